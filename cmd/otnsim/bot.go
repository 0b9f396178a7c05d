package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/otnsim/otnsim/fakegraph"
	"github.com/otnsim/otnsim/internal/httpserver"
	"github.com/otnsim/otnsim/internal/inputfile"
	"github.com/otnsim/otnsim/reference"
	"github.com/otnsim/otnsim/reference/sqlitestore"
)

const botUsage = `Usage: otnsim bot [flags]

Runs the reference OTN bot as an HTTP service speaking otnsim's external bot
contract: GET/POST /webhook (Meta's handshake and signed events), POST
/otnsim/trigger (otn.request, otn.notify, broadcast, tick, and the reference
bot's own triggers), and a read-only JSON API under /reference/v1/
(analytics, campaigns).

The bot keeps no clock of its own: it takes the time from webhook timestamps,
each trigger's "now" and, at start, GET $OTNSIM_GRAPH_URL/otnsim/v1/clock.
Scheduled work (idle guard, retries, delayed asks, campaign schedules) runs on
"tick" triggers. With --db its state lives in a SQLite file, so it can be
killed and restarted without losing or double-spending a token.

Every flag defaults to the environment variable the harness sets:
OTNSIM_GRAPH_URL, OTNSIM_PAGE_ID, OTNSIM_PAGE_ACCESS_TOKEN, OTNSIM_APP_SECRET,
OTNSIM_VERIFY_TOKEN, PORT, and OTNSIM_BOT_DB.

The bot needs a Graph API URL: --graph-url or OTNSIM_GRAPH_URL (fakegraph,
e.g. what "otnsim serve" prints). Without one it refuses to start rather than
message real people: to target Meta's Graph API say so, with --real-graph or
--graph-url ` + fakegraph.DefaultGraphURL + `.

Every connection has timeouts: ` + httpserver.Timeouts + `. A --config file is at most 4 MiB.

Examples:
  otnsim run scenarios/compliance --bot-cmd "otnsim bot --db /tmp/bot.db"
  otnsim bot --addr 127.0.0.1:8080 --graph-url http://127.0.0.1:8787 --config shop.yaml
  otnsim bot --preset flow-builder --graph-url http://127.0.0.1:8787

Exit status: 0 stopped by a signal, 1 the server failed, 2 usage or input error.

Flags:
`

func init() {
	commands["bot"] = command{summary: "run the reference bot as an HTTP service (external bot contract)", run: botCmd,
		flags: func(fs *flag.FlagSet) { defineBotFlags(fs) }}
}

// botOptions are otnsim bot's flags.
type botOptions struct {
	addr, graphURL, pageID, pageToken, appSecret, verifyToken, db, config, preset *string
	realGraph                                                                     *bool
}

// defineBotFlags defines otnsim bot's flags on fs, with their defaults from
// the environment.
func defineBotFlags(fs *flag.FlagSet) botOptions {
	defAddr := "127.0.0.1:8080"
	if p := os.Getenv("PORT"); p != "" {
		defAddr = "127.0.0.1:" + p
	}
	addr := fs.String("addr", defAddr, "listen address (default from PORT)")
	graphURL := fs.String("graph-url", os.Getenv("OTNSIM_GRAPH_URL"), "Graph API base URL, e.g. fakegraph's from otnsim serve (required, or OTNSIM_GRAPH_URL)")
	realGraph := fs.Bool("real-graph", false, "target Meta's real Graph API ("+fakegraph.DefaultGraphURL+") when no --graph-url is given")
	pageID := fs.String("page-id", os.Getenv("OTNSIM_PAGE_ID"), "page id")
	pageToken := fs.String("page-token", os.Getenv("OTNSIM_PAGE_ACCESS_TOKEN"), "page access token")
	appSecret := fs.String("app-secret", os.Getenv("OTNSIM_APP_SECRET"), "app secret (checks X-Hub-Signature-256)")
	verifyToken := fs.String("verify-token", os.Getenv("OTNSIM_VERIFY_TOKEN"), "webhook verify token")
	db := fs.String("db", os.Getenv("OTNSIM_BOT_DB"), "SQLite file for durable state (empty: in memory)")
	config := fs.String("config", "", "YAML file with the bot setup (the bot: section of a scenario file or load profile)")
	preset := fs.String("preset", "", "policy preset when no --config is given: careful, flow-builder, broadcaster, instant")
	return botOptions{addr, graphURL, pageID, pageToken, appSecret, verifyToken, db, config, preset, realGraph}
}

func botCmd(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("bot", botUsage, stderr)
	o := defineBotFlags(fs)
	if err := parseArgs(fs, args, stdout); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitPass
		}
		return exitUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "otnsim bot: unexpected argument %q\n", fs.Arg(0))
		usageHint(fs)
		return exitUsage
	}
	setup, err := botSetup(*o.config, *o.preset)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return exitUsage
	}
	if *o.graphURL, err = botGraphURL(*o.graphURL, *o.realGraph); err != nil {
		fmt.Fprintf(stderr, "otnsim bot: %v\n", err)
		return exitUsage
	}
	var store reference.Store = reference.NewMemoryStore()
	if *o.db != "" {
		s, err := sqlitestore.Open(*o.db)
		if err != nil {
			fmt.Fprintf(stderr, "otnsim bot: %v\n", err)
			return exitUsage
		}
		store = s
	}
	client := &http.Client{Timeout: 10 * time.Second}
	clk := reference.NewHarnessClock(harnessNow(client, *o.graphURL))
	bot, err := reference.New(reference.Config{
		GraphURL: *o.graphURL, PageID: *o.pageID, PageAccessToken: *o.pageToken, AppSecret: *o.appSecret,
		VerifyToken: *o.verifyToken, Client: client, Clock: clk, Store: store, Setup: setup,
		Logf: func(format string, a ...any) { fmt.Fprintf(stderr, "otnsim bot: "+format+"\n", a...) },
	})
	if err != nil {
		fmt.Fprintf(stderr, "otnsim bot: %v\n", err)
		return exitUsage
	}
	defer bot.Close()
	ln, err := net.Listen("tcp", *o.addr)
	if err != nil {
		fmt.Fprintf(stderr, "otnsim bot: %v\n", err)
		return exitUsage
	}
	srv := httpserver.New(bot)
	fmt.Fprintf(stdout, "otnsim bot listening on http://%s (graph %s, store %s)\n", ln.Addr(), *o.graphURL, storeName(*o.db))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		fmt.Fprintf(stderr, "otnsim bot: %v\n", err)
		return exitFailed
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = srv.Shutdown(shutdown)
	return exitPass
}

// botGraphURL is the Graph API the bot talks to: the one given, or Meta's
// only when asked for by --real-graph. It never falls back to the real
// Graph API silently.
func botGraphURL(given string, real bool) (string, error) {
	given = strings.TrimSpace(given)
	switch {
	case given == "" && real:
		return fakegraph.DefaultGraphURL, nil
	case given == "":
		return "", fmt.Errorf("no Graph API URL: give --graph-url (or OTNSIM_GRAPH_URL) with fakegraph's address, e.g. what otnsim serve prints; --real-graph targets %s", fakegraph.DefaultGraphURL)
	case real && strings.TrimRight(given, "/") != fakegraph.DefaultGraphURL:
		return "", fmt.Errorf("--real-graph targets %s, but the Graph API URL is %s: give one or the other", fakegraph.DefaultGraphURL, given)
	}
	return given, nil
}

// botSetup reads the configuration file, or starts from a preset.
func botSetup(path, preset string) (reference.Setup, error) {
	if path != "" {
		if preset != "" {
			return reference.Setup{}, fmt.Errorf("otnsim bot: give --preset or --config (set preset: inside it), not both")
		}
		src, err := inputfile.Read(path, inputfile.MaxYAMLBytes)
		if err != nil {
			return reference.Setup{}, fmt.Errorf("otnsim bot: %w", err)
		}
		return reference.ParseSetup(path, src)
	}
	p, err := reference.PresetPolicy(preset)
	if err != nil {
		return reference.Setup{}, fmt.Errorf("otnsim bot: --preset: %w", err)
	}
	return reference.Setup{Preset: preset, Policy: p}, nil
}

// harnessNow asks the harness for the virtual time; zero if it cannot say.
func harnessNow(c *http.Client, graphURL string) time.Time {
	resp, err := c.Get(strings.TrimRight(graphURL, "/") + "/otnsim/v1/clock")
	if err != nil {
		return time.Time{}
	}
	defer resp.Body.Close()
	var v struct {
		Now time.Time `json:"now"`
	}
	if resp.StatusCode != http.StatusOK || json.NewDecoder(io.LimitReader(resp.Body, 4096)).Decode(&v) != nil {
		return time.Time{}
	}
	return v.Now.UTC()
}

func storeName(db string) string {
	if db == "" {
		return "in memory"
	}
	return "sqlite " + db
}
