// Command hardcoded is a test bot for otnsim --intercept: the minibot,
// faults {}, sending to Meta's real Graph API URL with net/http's default
// client, as a Go bot in the wild does. It reads the page's credentials and
// its port from the contract's environment, but not OTNSIM_GRAPH_URL.
package main

import (
	"log"
	"net/http"
	"os"

	"github.com/otnsim/otnsim/compliance/testdata/bots/minibot"
)

// graphAPI is where the bot sends: the minibot adds /v19.0/me/messages.
const graphAPI = "https://graph.facebook.com"

func main() {
	b := minibot.New(minibot.Faults{}, minibot.Config{
		GraphURL:    graphAPI,
		AccessToken: os.Getenv("OTNSIM_PAGE_ACCESS_TOKEN"),
		AppSecret:   os.Getenv("OTNSIM_APP_SECRET"),
		VerifyToken: os.Getenv("OTNSIM_VERIFY_TOKEN"),
	})
	addr := "127.0.0.1:" + os.Getenv("PORT")
	log.Printf("hardcoded bot listening on %s, sending to %s", addr, graphAPI)
	log.Fatal(http.ListenAndServe(addr, b))
}
