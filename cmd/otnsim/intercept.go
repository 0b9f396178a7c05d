package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"net/http"
	"slices"
	"strings"

	"github.com/otnsim/otnsim/external"
	"github.com/otnsim/otnsim/intercept"
	"github.com/otnsim/otnsim/scenarios"
)

// addInterceptFlags registers --intercept, --ca-dir and --pass-through.
func addInterceptFlags(fs *flag.FlagSet, on *bool, caDir *string, pass *bool) {
	fs.BoolVar(on, "intercept", false, "serve the real Graph API hosts ("+strings.Join(intercept.GraphHosts, ", ")+") from fakegraph through an HTTPS proxy with a per-run certificate authority, for a bot that hard-codes https://graph.facebook.com (README: \"Test a bot unmodified\")")
	fs.StringVar(caDir, "ca-dir", "", "with --intercept, keep the certificate authority in `DIR` across runs (created on first use, key mode 0600) instead of a fresh one deleted after the run")
	fs.BoolVar(pass, "pass-through", false, "with --intercept, let the bot's requests to hosts other than the Graph API's through its proxy to the network (default: refused; without --intercept they always pass); the Graph hosts are never let through")
}

// openSession opens the run's interception session on first use.
func (b *botFlags) openSession() (*intercept.Session, error) {
	b.mu.Lock()
	open := b.session
	b.mu.Unlock()
	if open != nil {
		return open, nil
	}
	switch {
	case b.caDir != "" && !b.intercept:
		return nil, errors.New("--ca-dir keeps the authority of --intercept: give both")
	case b.url != "" && b.proxyAddr != "" && !b.intercept:
		return nil, errors.New("--proxy-addr with --bot-url needs --intercept")
	case b.url != "" && b.intercept && b.proxyAddr == "":
		return nil, errors.New("--intercept with --bot-url needs --proxy-addr: the address of the proxy the bot was given (HTTPS_PROXY), e.g. what otnsim serve --intercept prints")
	case b.url != "" && !b.intercept:
		return nil, nil // a bot started by hand: no proxy to watch it with
	}
	s, err := intercept.Open(intercept.Config{Intercept: b.intercept, CADir: b.caDir, PassThrough: b.passThrough})
	if err != nil {
		return nil, err
	}
	b.mu.Lock()
	b.session = s
	b.mu.Unlock()
	// Ending on a signal (signals.go) stops the bots and then deletes the
	// run's folder, the authority's key with it.
	armSignals()
	atEnd(b.closeSession)
	return s, nil
}

// closeSession deletes the run's interception folder (the authority's key
// with it, unless --ca-dir keeps it). Call it after the bots stopped; a
// second call does nothing.
func (b *botFlags) closeSession() {
	b.mu.Lock()
	s := b.session
	b.session = nil
	b.mu.Unlock()
	if s != nil {
		_ = s.Close()
	}
}

// printRefusals says which hosts outside the Graph API the bots' proxies
// refused, so that a bot that needs one knows of --pass-through.
func printRefusals(w io.Writer, name string, hs []*external.Harness) {
	counts := map[string]int{}
	total := 0
	for _, h := range hs {
		if h == nil {
			continue
		}
		refs, _ := h.Refusals()
		for _, r := range refs {
			if !r.Graph {
				counts[r.Target]++
				total++
			}
		}
	}
	if total == 0 {
		return
	}
	var parts []string
	for _, t := range slices.Sorted(maps.Keys(counts)) {
		parts = append(parts, fmt.Sprintf("%s (%d)", t, counts[t]))
	}
	fmt.Fprintf(w, "otnsim %s: the bot's proxy refused %d request(s) to hosts outside the Graph API: %s; --pass-through lets them through\n",
		name, total, strings.Join(parts, ", "))
}

// unreachedGraph explains a run whose bot made no Graph API call at all:
// its failures say nothing of the rules, since its calls never reached
// fakegraph. Nil when some bot process made a call.
func unreachedGraph(hs []*external.Harness, intercepting bool) error {
	if len(hs) == 0 {
		return nil
	}
	for _, h := range hs {
		if h.GraphCalls() > 0 {
			return nil
		}
	}
	msg := "the bot made no Graph API call in the whole run: its calls never reached fakegraph at OTNSIM_GRAPH_URL. " +
		"A bot that hard-codes https://graph.facebook.com can be tested unmodified with --intercept"
	if intercepting {
		msg = "the bot made no Graph API call in the whole run, not even through the proxy of --intercept: its HTTP client ignores HTTPS_PROXY (README: \"Test a bot unmodified\" lists what each runtime honours), or it calls a host other than the Graph API's"
	}
	return &external.BotError{Kind: external.GraphBypassed, Msg: msg, Output: hs[0].Output()}
}

// anyFailed reports whether a scenario of results failed.
func anyFailed(results []scenarios.Result) bool {
	for _, r := range results {
		if !r.Passed {
			return true
		}
	}
	return false
}

// serveIntercept starts serve's proxy for the Graph hosts, routed to graph
// (listening at local), and prints the environment a bot needs to use it.
// The returned function stops the proxy and deletes the run's folder.
func serveIntercept(stdout, stderr io.Writer, o *serveOptions, graph http.Handler, local string) (func(), error) {
	sess, err := intercept.Open(intercept.Config{Intercept: true, CADir: o.caDir, PassThrough: o.passThrough,
		Logf: func(format string, args ...any) { fmt.Fprintf(stderr, "otnsim serve: "+format+"\n", args...) }})
	if err != nil {
		return nil, err
	}
	p, err := sess.Listen(intercept.Route{Addr: o.proxyAddr, Graph: graph, Local: local})
	if err != nil {
		_ = sess.Close()
		return nil, err
	}
	kept := "deleted when serve stops"
	if o.caDir != "" {
		kept = "kept in --ca-dir"
	}
	fmt.Fprintf(stdout, "  intercept:   proxy %s serves %s from fakegraph (authority %s, %s)\n",
		p.URL(), strings.Join(intercept.GraphHosts, ", "), sess.CertFile(), kept)
	fmt.Fprintln(stdout, "  a bot that calls https://graph.facebook.com reaches fakegraph with this environment:")
	for _, kv := range sess.Env(p) {
		fmt.Fprintf(stdout, "    export %s\n", shellAssign(kv))
	}
	return func() {
		_ = p.Close()
		_ = sess.Close()
	}, nil
}

// shellAssign quotes the value of KEY=VALUE for a POSIX shell.
func shellAssign(kv string) string {
	k, v, _ := strings.Cut(kv, "=")
	return k + "=" + shellQuote(v)
}
