// Command ask-outside-window is a test bot for otnsim's compliance checks: the minibot
// with faults {AskOutsideWindow: true}.
package main

import "github.com/otnsim/otnsim/compliance/testdata/bots/minibot"

func main() { minibot.Main(minibot.Faults{AskOutsideWindow: true}) }
