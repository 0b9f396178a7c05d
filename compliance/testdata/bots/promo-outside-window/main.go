// Command promo-outside-window is a test bot for otnsim's compliance checks: the minibot
// with faults {PromoteOutsideWindow: true}.
package main

import "github.com/otnsim/otnsim/compliance/testdata/bots/minibot"

func main() { minibot.Main(minibot.Faults{PromoteOutsideWindow: true}) }
