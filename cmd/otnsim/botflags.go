package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/otnsim/otnsim/compliance"
	"github.com/otnsim/otnsim/external"
	"github.com/otnsim/otnsim/intercept"
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
	// psids is shared by every bot these flags start, so that PSIDs stay
	// distinct across their processes.
	psids *external.PSIDSource
	// What the bot's proxy does (intercept.go): route the Graph hosts to
	// fakegraph (--intercept) or refuse them, and the others.
	intercept, passThrough bool
	caDir, proxyAddr       string
	session                *intercept.Session // opened by the first start; closed by closeSession
	mu                     sync.Mutex
	started                []*external.Harness // stopped on a signal
}

// addBotFlags registers --bot-cmd, --bot-url and their tuning flags on fs,
// with settle as --settle's default.
func addBotFlags(fs *flag.FlagSet, settle time.Duration) *botFlags {
	b := &botFlags{}
	fs.StringVar(&b.cmd, "bot-cmd", "", "shell command that starts the bot under test, with the external bot contract's environment (OTNSIM_GRAPH_URL, OTNSIM_PAGE_ID, OTNSIM_PAGE_ACCESS_TOKEN, OTNSIM_APP_SECRET, OTNSIM_VERIFY_TOKEN, PORT)")
	fs.StringVar(&b.url, "bot-url", "", "base URL of a bot already running (configured with the values otnsim serve prints; fakegraph then listens on --graph-addr)")
	fs.StringVar(&b.graphAddr, "graph-addr", "", "where fakegraph listens for the bot (default: a free loopback port with --bot-cmd, "+external.DefaultURLGraphAddr+" with --bot-url)")
	fs.DurationVar(&b.settle, "settle", settle, "the most to wait (real time), after the bot answered a webhook or trigger, for the Graph API calls it still makes: the quiet period that closes a step is learned from the bot up to this (a couple of ms for a bot seen to call before answering, a few times its longest gap for one seen to call after); 0: no quiet period at all")
	fs.DurationVar(&b.stepTimeout, "step-timeout", external.DefaultStepTimeout, "the most a step, with its settling, may take before the bot counts as hung")
	fs.DurationVar(&b.startTimeout, "start-timeout", external.DefaultStartTimeout, "how long the bot may take to answer the first verification handshake")
	fs.StringVar(&b.webhookPath, "webhook-path", external.DefaultWebhookPath, "the bot's webhook route")
	fs.StringVar(&b.triggerPath, "trigger-path", external.DefaultTriggerPath, "the bot's trigger route")
	addInterceptFlags(fs, &b.intercept, &b.caDir, &b.passThrough)
	fs.StringVar(&b.proxyAddr, "proxy-addr", "", "where the bot's proxy listens, on loopback (default: a free port; required with --bot-url and --intercept, where the bot was given this proxy by hand)")
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

// flags returns the bot's flags as a shell would need them typed, for
// replay commands.
func (b *botFlags) flags() string {
	if b.cmd != "" {
		return "--bot-cmd " + shellQuote(b.cmd)
	}
	return "--bot-url " + shellQuote(b.url)
}

// shellQuote quotes s for a POSIX shell when it holds anything but plain
// word characters.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789@%+=:,./_-") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// start runs the bot; on failure it prints why (with the bot's output) and
// returns nil.
func (b *botFlags) start(name string, stderr io.Writer) *external.Harness {
	if b.cmd != "" && b.url != "" {
		b.startErr = errors.New("give --bot-cmd or --bot-url, not both")
		fmt.Fprintf(stderr, "otnsim %s: %v\n", name, b.startErr)
		return nil
	}
	h, err := b.startOne()
	if err != nil {
		b.startErr = err
		printBotError(stderr, name, err)
		return nil
	}
	return h
}

// startOne starts one process of the bot (or finds it at its URL).
func (b *botFlags) startOne() (*external.Harness, error) {
	settle := b.settle
	if settle == 0 {
		settle = -1 // the flag's zero means "no quiet period", not "the default"
	}
	if b.psids == nil {
		b.psids = external.NewPSIDSource()
	}
	if b.cmd != "" {
		armSignals() // a bot process must not outlive otnsim (signals.go)
	}
	sess, err := b.openSession()
	if err != nil {
		return nil, err
	}
	h, err := external.Start(external.Config{
		Command: b.cmd, URL: b.url, GraphAddr: b.graphAddr,
		Settle: settle, StepTimeout: b.stepTimeout, StartTimeout: b.startTimeout,
		WebhookPath: b.webhookPath, TriggerPath: b.triggerPath, PSIDs: b.psids,
		Intercept: sess, ProxyAddr: b.proxyAddr,
	})
	if err == nil {
		b.mu.Lock()
		b.started = append(b.started, h)
		b.mu.Unlock()
	}
	return h, err
}

// startN starts n processes of the bot at once (n is 1 with --bot-url); on
// failure it stops those started, prints why and returns nil.
func (b *botFlags) startN(name string, n int, stderr io.Writer) []*external.Harness {
	if b.cmd != "" && b.url != "" {
		b.startErr = errors.New("give --bot-cmd or --bot-url, not both")
		fmt.Fprintf(stderr, "otnsim %s: %v\n", name, b.startErr)
		return nil
	}
	if b.psids == nil {
		b.psids = external.NewPSIDSource()
	}
	if n > 1 && b.proxyAddr != "" {
		b.startErr = errors.New("--proxy-addr serves one bot process: give --bot-procs 1, or leave --proxy-addr out")
		fmt.Fprintf(stderr, "otnsim %s: %v\n", name, b.startErr)
		return nil
	}
	if _, err := b.openSession(); err != nil {
		b.startErr = err
		fmt.Fprintf(stderr, "otnsim %s: %v\n", name, err)
		return nil
	}
	hs := make([]*external.Harness, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			hs[i], errs[i] = b.startOne()
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err == nil {
			continue
		}
		b.startErr = err
		printBotError(stderr, name, err)
		for _, h := range hs {
			if h != nil {
				h.Stop()
			}
		}
		return nil
	}
	return hs
}

// procs resolves --bot-procs for count scenarios: 0 means one per CPU with
// --bot-cmd (one with --proxy-addr), never more than one per scenario;
// --bot-url allows 1 only.
func (b *botFlags) procs(name string, procs, count int, stderr io.Writer) (int, bool) {
	switch {
	case procs < 0 || (procs > 1 && b.cmd == ""):
		b.startErr = errors.New("--bot-procs wants a number of at least 1 (0: one per CPU), and more than 1 only with --bot-cmd")
		fmt.Fprintf(stderr, "otnsim %s: %v\n", name, b.startErr)
		return 0, false
	case b.cmd == "" || procs == 0 && b.proxyAddr != "":
		return 1, true // one bot at the URL; one proxy at --proxy-addr
	case procs == 0:
		procs = runtime.NumCPU()
	}
	return max(1, min(procs, count)), true
}

// printBotError prints err, with the bot's output when it is a *BotError.
func printBotError(w io.Writer, name string, err error) {
	if be, ok := external.AsBotError(err); ok {
		fmt.Fprintf(w, "otnsim %s: %s\n", name, be.Report())
		return
	}
	fmt.Fprintf(w, "otnsim %s: %v\n", name, err)
}

// botRun is the external bot serving a run, in one process or several;
// nil when the reference bot runs in process.
type botRun struct{ hs []*external.Harness }

// open returns the runner's options: in process when no bot flag was given,
// else through procs started processes of the external bot (see procs).
// ok is false when the bot could not be started (the reason is printed).
func (b *botFlags) open(name string, stderr io.Writer, seed int64, procs, count int) (opts scenarios.RunOptions, br *botRun, ok bool) {
	if !b.given() {
		return scenarios.RunOptions{Seed: seed}, nil, true
	}
	n, ok := b.procs(name, procs, count, stderr)
	if !ok {
		return opts, nil, false
	}
	hs := b.startN(name, n, stderr)
	if hs == nil {
		return opts, nil, false
	}
	return compliance.RunOptions(hs[0], seed), &botRun{hs}, true
}

// targets returns the bot's processes as the compliance package plays them.
func (br *botRun) targets() []compliance.Target {
	out := make([]compliance.Target, len(br.hs))
	for i, h := range br.hs {
		out[i] = h
	}
	return out
}

// err is why the external bot could not be run on, or nil.
func (br *botRun) err() error {
	if br == nil {
		return nil
	}
	for _, h := range br.hs {
		if err := h.Err(); err != nil {
			return err
		}
	}
	return nil
}

// failed reports, and prints, whether the external bot could not be run on.
func (br *botRun) failed(name string, stderr io.Writer) bool {
	if br == nil {
		return false
	}
	for _, h := range br.hs {
		if err := h.Err(); err != nil {
			printBotError(stderr, name, err)
			return true
		}
	}
	return false
}

// lateCalls counts the calls the bot made after their step was closed,
// waiting a moment for the last ones.
func (br *botRun) lateCalls() int {
	if br == nil {
		return 0
	}
	return len(compliance.LateCalls(br.targets()))
}

// close stops the external bot.
func (br *botRun) close() {
	if br != nil {
		for _, h := range br.hs {
			h.Stop()
		}
	}
}

// lateNotice is what a command says of a bot that made late calls.
func lateNotice(n int) string {
	return fmt.Sprintf("the bot made %d calls after otnsim closed their step; raise --settle", n)
}

// defaultSettle is --settle's default for run and check.
const defaultSettle = external.DefaultSettle
