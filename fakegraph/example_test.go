package fakegraph_test

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/otnsim/otnsim/fakegraph"
	"github.com/otnsim/otnsim/sim/clock"
)

// fakegraph in process: a user writes, a bot's Send API call is answered
// as Meta would, and a send a day and a second later is refused with
// Meta's own error.
func ExampleServer() {
	clk := clock.NewVirtual(time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC))
	graph := fakegraph.New(fakegraph.Config{Clock: clk})
	_ = graph.AddUser(fakegraph.User{PSID: "7001"})
	_, _ = graph.UserMessage("7001", "hi") // opens the 24-hour window
	client := &http.Client{Transport: graph.MockTransport()}
	send := func() {
		body := `{"recipient":{"id":"7001"},"messaging_type":"RESPONSE","message":{"text":"hello"}}`
		resp, err := client.Post(fakegraph.DefaultGraphURL+"/v19.0/me/messages?access_token="+graph.Page().AccessToken,
			"application/json", bytes.NewReader([]byte(body)))
		if err != nil {
			fmt.Println(err)
			return
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		fmt.Println(resp.StatusCode, bytes.Contains(b, []byte(`"code":10`)))
	}
	send()
	clk.Advance(24*time.Hour + time.Second)
	send()
	for _, c := range graph.Ledger().CallsFor("7001") {
		fmt.Printf("ok=%v rule=%q\n", c.OK, c.Rule)
	}
	// Output:
	// 200 false
	// 400 true
	// ok=true rule=""
	// ok=false rule="WIN-24H"
}
