// Package otnsimtest checks a Messenger bot written in Go from its own
// tests, with no network and no processes: `go test` is enough.
//
// TestBot plays otnsim's compliance suite (the scenarios `otnsim check`
// ships) and the security probes against a bot that is an http.Handler, and
// reports every rule of the catalogue as a subtest named by its rule id, as
// testing/fstest.TestFS does for file systems:
//
//	func TestMyBot(t *testing.T) {
//		client := &http.Client{}
//		page := otnsimtest.DefaultPage()
//		bot := mybot.New(mybot.Config{
//			GraphURL: otnsimtest.GraphURL, // https://graph.facebook.com, intercepted
//			PageID: page.ID, AccessToken: page.AccessToken,
//			AppSecret: page.AppSecret, VerifyToken: page.VerifyToken,
//			HTTPClient: client,
//		})
//		otnsimtest.TestBot(t, bot, otnsimtest.WithClient(client))
//	}
//
//	--- FAIL: TestMyBot (0.21s)
//	    --- PASS: TestMyBot/HOOK-REPLAY (0.00s)
//	    ...
//	    --- FAIL: TestMyBot/OTN-IDLE (0.00s)
//	        mybot_test.go:12: OTN-IDLE (practice, warning): do not interrupt: notify only after the subscriber has been idle (default 5 minutes)
//	                compliance/idle-guard.yaml (Compliance: notify only once the subscriber has been idle 5 minutes)
//	                  step 6 (expect) at compliance/idle-guard.yaml:15:5
//	                    delivered ana message (compliance/idle-guard.yaml:16:18): count: expected 0, got 1
//	                  timeline of ana:
//	                    2026-01-05T09:00:00.000Z  message "Hello there" (window opens until 2026-01-06T09:00:00Z)
//	                    ...
//	                    2026-01-05T09:04:59.999Z  send message to id UPDATE (window open) -> ok
//	                    2026-01-05T09:04:59.999Z  finding OTN-IDLE [warning] notification 4m59.999s after the subscriber's last action (idle period 5m0s)
//	    ...
//
// A failed subtest shows the evidence: the scenario, the step, expected
// versus actual, and an excerpt of the subscriber's timeline in virtual
// time. A rule no scenario or probe exercised is skipped, with the reason.
//
// The bot is treated exactly as `otnsim check` treats a bot in its own
// process (see the external bot contract in otnsim's README): it learns the
// time only from webhook timestamps and the triggers' "now" (a tick trigger
// follows every clock advance), it is built with the page credentials of
// DefaultPage (or those given with WithPage), and one bot serves every
// scenario, each with fresh PSIDs. Its Graph API calls to GraphURL (or any
// graph.facebook.com host) reach the current scenario's fake Graph API in
// process: through the client given with WithClient, whose Transport is
// replaced for the duration of the check, or else through
// http.DefaultTransport (http.DefaultClient, http.Get, &http.Client{}).
// Calls to other hosts go where they went before.
//
// The matchers (HaveActiveToken, HaveConsumedToken, HaveDelivered,
// HaveFinding) are Gomega matchers for tests that drive a *sim.World
// themselves; they read its fake Graph API's ledger and print the
// subscriber's timeline when they fail.
package otnsimtest
