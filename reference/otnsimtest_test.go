package reference_test

import (
	"errors"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/otnsim/otnsim/compliance/testdata/bots/minibot"
	"github.com/otnsim/otnsim/otnsimtest"
	"github.com/otnsim/otnsim/reference"
	"github.com/otnsim/otnsim/rules"
)

// newStandalone builds the reference bot as `otnsim bot` runs it, with the
// standard page credentials and the real Graph API URL: it knows the time
// only from webhooks and triggers, and calls the Graph API through client.
func newStandalone(t *testing.T, client *http.Client) *reference.Bot {
	t.Helper()
	page := otnsimtest.DefaultPage()
	bot, err := reference.New(reference.Config{
		GraphURL:        otnsimtest.GraphURL,
		PageID:          page.ID,
		PageAccessToken: page.AccessToken,
		AppSecret:       page.AppSecret,
		VerifyToken:     page.VerifyToken,
		Client:          client,
		Clock:           reference.NewHarnessClock(time.Time{}),
		Setup:           reference.Setup{Policy: reference.DefaultPolicy()},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = bot.Close() })
	return bot
}

// TestOTNSimCompliance checks the reference bot, in process, with the
// compliance suite and the security probes: one subtest per rule.
func TestOTNSimCompliance(t *testing.T) {
	client := &http.Client{Timeout: 10 * time.Second}
	otnsimtest.TestBot(t, newStandalone(t, client), otnsimtest.WithClient(client))
}

// fixtureEnv switches TestOTNSimFixture on, in the subprocess
// TestOTNSimCatchesFaultyHandlers starts.
const fixtureEnv = "OTNSIM_TESTBOT_FIXTURE"

// faulty are the minibot's switched faults, by the name of the subtest that
// checks each, with the one rule each must fail.
var faulty = []struct {
	name   string
	faults minibot.Faults
	rule   string
}{
	{"reuse-tokens", minibot.Faults{ReuseTokens: true}, rules.TokenOnce},
	{"promo-outside-window", minibot.Faults{PromoteOutsideWindow: true}, rules.Win24h},
	{"skip-signature", minibot.Faults{SkipSignature: true}, rules.HookSignature},
	{"ask-outside-window", minibot.Faults{AskOutsideWindow: true}, rules.ReqWindow},
	{"ignore-idle", minibot.Faults{IgnoreIdle: true}, rules.Idle},
}

// TestOTNSimFixture runs TestBot on the reference bot, on the minibot with
// one scenario only, and on every faulty minibot (an in-process handler
// calling the Graph API through http.DefaultClient). It fails by design, so it runs only in the
// subprocess of TestOTNSimCatchesFaultyHandlers.
func TestOTNSimFixture(t *testing.T) {
	if os.Getenv(fixtureEnv) != "1" {
		t.Skip("a fixture of TestOTNSimCatchesFaultyHandlers, which runs it in a subprocess")
	}
	t.Run("reference", func(t *testing.T) {
		client := &http.Client{}
		otnsimtest.TestBot(t, newStandalone(t, client), otnsimtest.WithClient(client))
	})
	page := otnsimtest.DefaultPage()
	t.Run("filtered", func(t *testing.T) {
		bot := minibot.New(minibot.Faults{}, minibot.Config{GraphURL: otnsimtest.GraphURL, AccessToken: page.AccessToken,
			AppSecret: page.AppSecret, VerifyToken: page.VerifyToken})
		otnsimtest.TestBot(t, bot, otnsimtest.WithRun("idle-guard"))
	})
	for _, f := range faulty {
		t.Run(f.name, func(t *testing.T) {
			bot := minibot.New(f.faults, minibot.Config{GraphURL: otnsimtest.GraphURL, AccessToken: page.AccessToken,
				AppSecret: page.AppSecret, VerifyToken: page.VerifyToken, Logf: func(string, ...any) {}})
			otnsimtest.TestBot(t, bot)
		})
	}
}

// subtestLine is the verdict line of one rule's subtest in `go test -v` output.
var subtestLine = regexp.MustCompile(`(?m)^\s*--- (PASS|FAIL|SKIP): TestOTNSimFixture/([^/\s]+)/([A-Z0-9-]+) `)

// TestOTNSimCatchesFaultyHandlers runs TestOTNSimFixture in a subprocess of
// this test binary and reads its verdicts: the test fails, the reference
// bot passes with one subtest per rule, rules a filter leaves out are
// skipped with the reason, and each faulty handler fails exactly the
// subtest of its rule, with the evidence in the message.
func TestOTNSimCatchesFaultyHandlers(t *testing.T) {
	if os.Getenv(fixtureEnv) == "1" {
		t.Skip("this is the subprocess")
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestOTNSimFixture$", "-test.v", "-test.count=1", "-test.timeout=5m")
	cmd.Env = append(os.Environ(), fixtureEnv+"=1")
	out, err := cmd.CombinedOutput()
	text := string(out)
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 1 {
		t.Fatalf("the fixture must fail with exit status 1, got %v; output:\n%s", err, text)
	}
	if !strings.Contains(text, "--- FAIL: TestOTNSimFixture ") {
		t.Fatalf("the fixture did not fail; output:\n%s", text)
	}

	verdicts := map[string]map[string]string{} // bot -> rule -> PASS/FAIL/SKIP
	for _, m := range subtestLine.FindAllStringSubmatch(text, -1) {
		if verdicts[m[2]] == nil {
			verdicts[m[2]] = map[string]string{}
		}
		verdicts[m[2]][m[3]] = m[1]
	}
	want := map[string]string{"reference": ""}
	for _, f := range faulty {
		want[f.name] = f.rule
	}
	for bot, failing := range want {
		got := verdicts[bot]
		if len(got) != len(rules.All()) {
			t.Errorf("%s: %d rule subtests, want one per rule of the catalogue (%d): %v", bot, len(got), len(rules.All()), got)
		}
		for _, r := range rules.All() {
			v, ok := got[r.ID]
			switch {
			case !ok:
				t.Errorf("%s: no subtest %s", bot, r.ID)
			case r.ID == failing && v != "FAIL":
				t.Errorf("%s: subtest %s is %s, want FAIL", bot, r.ID, v)
			case r.ID != failing && v != "PASS":
				t.Errorf("%s: subtest %s is %s, want PASS", bot, r.ID, v)
			}
		}
	}

	// WithRun leaves rules unexercised: skipped, with the reason; the probes
	// still run.
	filtered := verdicts["filtered"]
	for rule, v := range map[string]string{rules.Idle: "PASS", rules.HookSignature: "PASS", rules.TokenExpiry: "SKIP", rules.TokenOnce: "SKIP"} {
		if filtered[rule] != v {
			t.Errorf("filtered: subtest %s is %q, want %s", rule, filtered[rule], v)
		}
	}
	if len(filtered) != len(rules.All()) {
		t.Errorf("filtered: %d rule subtests, want %d", len(filtered), len(rules.All()))
	}
	expiry := section(text, "TestOTNSimFixture/filtered/"+rules.TokenExpiry)
	if want := `not exercised: no scenario that ran is tagged with it (WithRun "idle-guard")`; !strings.Contains(expiry, want) {
		t.Errorf("the skipped OTN-TOKEN-EXPIRY lacks %q; it reads:\n%s", want, expiry)
	}

	// The failure carries the evidence: scenario, step, expected versus
	// actual, and the subscriber's timeline.
	idle := section(text, "TestOTNSimFixture/ignore-idle/"+rules.Idle)
	for _, s := range []string{
		"OTN-IDLE (practice, warning): do not interrupt",
		"compliance/idle-guard.yaml (Compliance: notify only once the subscriber has been idle 5 minutes)",
		"at 2026-01-05T09:04:59.999Z (call #",
		"4m59.999s after their last action",
		"consequences (not charged to other rules):",
		"count: expected 0, got 1",
		"timeline of ana:",
		"send message to id UPDATE (window open) -> ok",
	} {
		if !strings.Contains(idle, s) {
			t.Errorf("the OTN-IDLE failure lacks %q; it reads:\n%s", s, idle)
		}
	}
	sig := section(text, "TestOTNSimFixture/skip-signature/"+rules.HookSignature)
	for _, s := range []string{"probe unsigned", "bot answered HTTP 200", "the bot processed the event"} {
		if !strings.Contains(sig, s) {
			t.Errorf("the HOOK-SIGNATURE failure lacks %q; it reads:\n%s", s, sig)
		}
	}
	if t.Failed() {
		t.Logf("fixture output:\n%s", text)
	}
}

// section returns what `go test -v` printed for one subtest: from its RUN
// line to the next RUN line.
func section(out, name string) string {
	start := strings.Index(out, "=== RUN   "+name+"\n")
	if start < 0 {
		return ""
	}
	rest := out[start+len("=== RUN   "+name+"\n"):]
	if end := strings.Index(rest, "=== RUN"); end >= 0 {
		rest = rest[:end]
	}
	return rest
}
