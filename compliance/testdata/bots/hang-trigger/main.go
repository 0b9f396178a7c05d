// Command hang-trigger is a test bot for otnsim's reports: it answers the
// verification handshake and every webhook, but never answers a trigger
// (otn.request, otn.notify, tick, ...): it prints that it got one and
// waits until the harness gives up. otnsim must then exit 2 and still
// write its --json and --junit reports, with the error and this output.
package main

import (
	"fmt"
	"io"
	"net/http"
	"os"
)

func main() {
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.Method == http.MethodGet:
			if r.URL.Query().Get("hub.verify_token") != os.Getenv("OTNSIM_VERIFY_TOKEN") {
				http.Error(w, "wrong verify token", http.StatusForbidden)
				return
			}
			_, _ = io.WriteString(w, r.URL.Query().Get("hub.challenge"))
		case r.URL.Path == "/otnsim/trigger":
			body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<10))
			fmt.Fprintf(os.Stderr, "hang-trigger: got trigger %s, not answering\n", body)
			<-r.Context().Done() // until the harness hangs up
		default:
			_, _ = io.Copy(io.Discard, r.Body)
			w.WriteHeader(http.StatusOK)
		}
	})
	fmt.Println("hang-trigger: listening")
	_ = http.ListenAndServe("127.0.0.1:"+os.Getenv("PORT"), nil)
}
