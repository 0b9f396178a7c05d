// Command hardcoded is a test bot for otnsim --intercept: the minibot,
// faults {}, sending to Meta's real Graph API URL with net/http's default
// client, as a Go bot in the wild does. It reads the page's credentials and
// its port from the contract's environment, but not OTNSIM_GRAPH_URL.
package main

import "github.com/otnsim/otnsim/compliance/testdata/bots/minibot"

// graphAPI is where the bot sends: the minibot adds /v19.0/me/messages.
const graphAPI = "https://graph.facebook.com"

func main() { minibot.MainAt(minibot.Faults{}, graphAPI) }
