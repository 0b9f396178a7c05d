// Command skip-signature is a test bot for otnsim's compliance checks: the minibot
// with faults {SkipSignature: true}.
package main

import "github.com/otnsim/otnsim/compliance/testdata/bots/minibot"

func main() { minibot.Main(minibot.Faults{SkipSignature: true}) }
