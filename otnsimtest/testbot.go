package otnsimtest

import (
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/otnsim/otnsim/compliance"
	"github.com/otnsim/otnsim/fakegraph"
	"github.com/otnsim/otnsim/scenarios"
)

// GraphURL is the Graph API base URL to build the bot under test with: the
// real one, whose calls TestBot intercepts.
const GraphURL = fakegraph.DefaultGraphURL

// DefaultPage returns the standard page credentials (page id, page access
// token, app secret, verify token) that TestBot hands the bot unless
// WithPage says otherwise. Build the bot under test with them.
func DefaultPage() fakegraph.Page { return fakegraph.DefaultPage() }

// Option tunes TestBot and Check.
type Option func(*options)

type options struct {
	client                   *http.Client
	page                     fakegraph.Page
	seed                     int64
	run                      string
	webhookPath, triggerPath string
}

// WithClient names the *http.Client the bot makes its Graph API calls with.
// Its Transport is replaced for the duration of the check and restored
// after. Without it, http.DefaultTransport is replaced instead.
func WithClient(c *http.Client) Option { return func(o *options) { o.client = c } }

// WithPage gives the credentials the bot was built with, in place of
// DefaultPage's: page id, access token, app secret and verify token. Every
// scenario keeps its own page settings (OTN permission, country).
func WithPage(p fakegraph.Page) Option { return func(o *options) { o.page = p } }

// WithSeed overrides every scenario's seed (0 keeps each scenario's own).
func WithSeed(seed int64) Option { return func(o *options) { o.seed = seed } }

// WithRun plays only the scenarios whose name or file matches the regular
// expression, like `otnsim run --run`. The security probes always run.
func WithRun(pattern string) Option { return func(o *options) { o.run = pattern } }

// WithPaths gives the bot's webhook and trigger routes; an empty one keeps
// its default (/webhook, /otnsim/trigger).
func WithPaths(webhook, trigger string) Option {
	return func(o *options) { o.webhookPath, o.triggerPath = webhook, trigger }
}

// Check plays the compliance suite and the security probes against bot, in
// process, and returns the verdict of every rule of the catalogue. An error
// means there is no verdict: a bad option, or a bot that could not be run
// on (it panicked, answered 5xx, hung past the step timeout, or does not
// answer the verification handshake with the page's verify token).
func Check(bot http.Handler, opts ...Option) (*compliance.Report, error) {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	suite, err := scenarios.LoadEmbedded("compliance")
	if err != nil {
		return nil, fmt.Errorf("otnsimtest: %w", err)
	}
	if o.run != "" {
		re, err := regexp.Compile(o.run)
		if err != nil {
			return nil, fmt.Errorf("otnsimtest: WithRun: %w", err)
		}
		suite = scenarios.Select(suite, scenarios.Filter{Run: re})
	}
	ip, err := compliance.NewInProcess(bot, compliance.InProcessConfig{
		Page: o.page, Client: o.client, WebhookPath: o.webhookPath, TriggerPath: o.triggerPath,
	})
	if err != nil {
		return nil, fmt.Errorf("otnsimtest: %w", err)
	}
	defer ip.Close()
	rep, err := compliance.Check(ip, fmt.Sprintf("%T", bot), suite, o.seed)
	if err != nil {
		return nil, fmt.Errorf("otnsimtest: %w", err)
	}
	return rep, nil
}

// TestBot checks bot as Check does and reports every rule of the catalogue
// as a subtest of t named by its rule id (t.Run("OTN-TOKEN-ONCE", ...)): a
// failed rule fails its subtest with the evidence, a passed rule logs what
// exercised it, and a rule nothing exercised is skipped with the reason. A
// bot that could not be run on fails t at once.
//
// TestBot replaces the transport the bot's Graph API calls go through for
// its duration; without WithClient that is http.DefaultTransport, so do not
// run it in parallel with other tests that use the default transport.
func TestBot(t *testing.T, bot http.Handler, opts ...Option) {
	t.Helper()
	rep, err := Check(bot, opts...)
	if err != nil {
		t.Fatal(err)
	}
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	for _, row := range rep.Rows {
		t.Run(row.Rule, func(t *testing.T) {
			t.Helper()
			switch row.Verdict {
			case compliance.Fail:
				t.Error(failure(row))
			case compliance.NotExercised:
				t.Skip(notExercised(row, o.run))
			default:
				t.Log(passed(row))
			}
		})
	}
}

// heading names a rule as the catalogue does.
func heading(row compliance.Row) string {
	s := fmt.Sprintf("%s (%s, %s): %s", row.Rule, row.Kind, row.Severity, row.Text)
	if row.Assumed {
		s += " [assumed: rests on a platform behaviour Meta does not document]"
	}
	return s
}

func failure(row compliance.Row) string {
	var b strings.Builder
	b.WriteString(heading(row))
	b.WriteString("\n")
	for _, ev := range row.Evidence {
		if !ev.Passed {
			compliance.WriteEvidence(&b, ev)
		}
	}
	return strings.TrimRight(b.String(), "\n")
}

func notExercised(row compliance.Row, run string) string {
	why := row.Note
	if why == "" {
		why = "no scenario that ran is tagged with it"
		if run != "" {
			why += fmt.Sprintf(" (WithRun %q)", run)
		}
	}
	return heading(row) + "\nnot exercised: " + why
}

func passed(row compliance.Row) string {
	var b strings.Builder
	b.WriteString(heading(row))
	for _, ev := range row.Evidence {
		b.WriteString("\n    by ")
		if ev.Scenario != "" {
			b.WriteString(ev.Scenario + " (" + ev.Name + ")")
		} else {
			b.WriteString(ev.Name)
		}
	}
	return b.String()
}
