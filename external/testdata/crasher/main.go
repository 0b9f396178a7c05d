// Command crasher answers the verification handshake, then dies on the first
// webhook event or trigger: a bot that crashes mid-run.
package main

import (
	"fmt"
	"io"
	"net/http"
	"os"
)

func main() {
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet && r.URL.Query().Get("hub.verify_token") == os.Getenv("OTNSIM_VERIFY_TOKEN") {
			_, _ = io.WriteString(w, r.URL.Query().Get("hub.challenge"))
			return
		}
		fmt.Fprintln(os.Stderr, "crasher: panic: nil map write in the webhook handler")
		os.Exit(3)
	})
	fmt.Println("crasher: listening")
	if err := http.ListenAndServe("127.0.0.1:"+os.Getenv("PORT"), nil); err != nil {
		fmt.Fprintln(os.Stderr, "crasher:", err)
		os.Exit(1)
	}
}
