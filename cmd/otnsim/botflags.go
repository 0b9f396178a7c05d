package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/otnsim/otnsim/compliance"
	"github.com/otnsim/otnsim/external"
	"github.com/otnsim/otnsim/scenarios"
)

// botFlags are the flags that point a command at a bot outside the process.
type botFlags struct {
	cmd, url     string
	graphAddr    string
	settle       time.Duration
	stepTimeout  time.Duration
	startTimeout time.Duration
	webhookPath  string
	triggerPath  string
	startErr     error // why start last returned nil, for the reports
}

// addBotFlags registers --bot-cmd, --bot-url and their tuning flags on fs,
// with settle as --settle's default.
func addBotFlags(fs *flag.FlagSet, settle time.Duration) *botFlags {
	b := &botFlags{}
	fs.StringVar(&b.cmd, "bot-cmd", "", "shell command that starts the bot under test, with the external bot contract's environment (OTNSIM_GRAPH_URL, OTNSIM_PAGE_ID, OTNSIM_PAGE_ACCESS_TOKEN, OTNSIM_APP_SECRET, OTNSIM_VERIFY_TOKEN, PORT)")
	fs.StringVar(&b.url, "bot-url", "", "base URL of a bot already running (configured with the values otnsim serve prints; fakegraph then listens on --graph-addr)")
	fs.StringVar(&b.graphAddr, "graph-addr", "", "where fakegraph listens for the bot (default: a free loopback port with --bot-cmd, "+external.DefaultURLGraphAddr+" with --bot-url)")
	fs.DurationVar(&b.settle, "settle", settle, "after each step, wait until the bot's Graph API calls have been quiet this long (real time)")
	fs.DurationVar(&b.stepTimeout, "step-timeout", external.DefaultStepTimeout, "the most a step, with its settling, may take before the bot counts as hung")
	fs.DurationVar(&b.startTimeout, "start-timeout", external.DefaultStartTimeout, "how long the bot may take to answer the first verification handshake")
	fs.StringVar(&b.webhookPath, "webhook-path", external.DefaultWebhookPath, "the bot's webhook route")
	fs.StringVar(&b.triggerPath, "trigger-path", external.DefaultTriggerPath, "the bot's trigger route")
	return b
}

// given reports whether the user pointed the command at an external bot.
func (b *botFlags) given() bool { return b.cmd != "" || b.url != "" }

// describe names the bot for reports.
func (b *botFlags) describe() string {
	if b.cmd != "" {
		return "--bot-cmd " + b.cmd
	}
	return "--bot-url " + b.url
}

// start runs the bot; on failure it prints why (with the bot's output) and
// returns nil.
func (b *botFlags) start(name string, stderr io.Writer) *external.Harness {
	if b.cmd != "" && b.url != "" {
		b.startErr = errors.New("give --bot-cmd or --bot-url, not both")
		fmt.Fprintf(stderr, "otnsim %s: %v\n", name, b.startErr)
		return nil
	}
	settle := b.settle
	if settle == 0 {
		settle = -1 // the flag's zero means "no quiet period", not "the default"
	}
	h, err := external.Start(external.Config{
		Command: b.cmd, URL: b.url, GraphAddr: b.graphAddr,
		Settle: settle, StepTimeout: b.stepTimeout, StartTimeout: b.startTimeout,
		WebhookPath: b.webhookPath, TriggerPath: b.triggerPath,
	})
	if err != nil {
		b.startErr = err
		printBotError(stderr, name, err)
		return nil
	}
	return h
}

// printBotError prints err, with the bot's output when it is a *BotError.
func printBotError(w io.Writer, name string, err error) {
	if be, ok := external.AsBotError(err); ok {
		fmt.Fprintf(w, "otnsim %s: %s\n", name, be.Report())
		return
	}
	fmt.Fprintf(w, "otnsim %s: %v\n", name, err)
}

// botRun is an external bot serving a run; nil when the reference bot runs
// in process.
type botRun struct{ h *external.Harness }

// open returns the runner's options: in process when no bot flag was given,
// else through the started external bot. ok is false when the bot could not
// be started (the reason is printed).
func (b *botFlags) open(name string, stderr io.Writer, seed int64) (opts scenarios.RunOptions, br *botRun, ok bool) {
	if !b.given() {
		return scenarios.RunOptions{Seed: seed}, nil, true
	}
	h := b.start(name, stderr)
	if h == nil {
		return opts, nil, false
	}
	return compliance.RunOptions(h, seed), &botRun{h}, true
}

// failed reports, and prints, whether the external bot could not be run on.
func (br *botRun) failed(name string, stderr io.Writer) bool {
	if br == nil {
		return false
	}
	if err := br.h.Err(); err != nil {
		printBotError(stderr, name, err)
		return true
	}
	return false
}

// close stops the external bot.
func (br *botRun) close() {
	if br != nil {
		br.h.Stop()
	}
}

// defaultSettle is --settle's default for run and check.
const defaultSettle = external.DefaultSettle
