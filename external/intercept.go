package external

import (
	"fmt"
	"strings"

	"github.com/otnsim/otnsim/intercept"
)

// startProxy starts the bot's proxy (see Config.Intercept); local is
// fakegraph's address.
func (h *Harness) startProxy(local string) error {
	sess := h.cfg.Intercept
	switch {
	case h.cfg.Command == "" && (sess == nil || !sess.Intercepting()):
		return nil // a bot started by hand: its environment is not ours
	case h.cfg.Command == "" && h.cfg.ProxyAddr == "":
		return fmt.Errorf("external bot: intercepting a bot at a URL needs a proxy address the bot was configured with")
	case sess == nil:
		var err error
		if sess, err = intercept.Open(intercept.Config{}); err != nil {
			return fmt.Errorf("external bot: %w", err)
		}
		h.session = sess
	}
	on, ca := sess.Intercepting(), sess.CertFile()
	p, err := sess.Listen(intercept.Route{Addr: h.cfg.ProxyAddr, Graph: h.graph, Local: local,
		OnRefuse: func(r intercept.Refusal) { h.refused(r, on, ca) }})
	if err != nil {
		return fmt.Errorf("external bot: %w", err)
	}
	h.proxy = p
	return nil
}

// sessionOf returns the session the bot's proxy belongs to.
func (h *Harness) sessionOf() *intercept.Session {
	if h.session != nil {
		return h.session
	}
	return h.cfg.Intercept
}

// ProxyURL is the bot's proxy, as HTTPS_PROXY takes it ("" without one).
func (h *Harness) ProxyURL() string {
	if h.proxy == nil {
		return ""
	}
	return h.proxy.URL()
}

// Refusals returns the requests the bot's proxy refused (the first
// thousand) and how many there were in all.
func (h *Harness) Refusals() ([]intercept.Refusal, int) {
	if h.proxy == nil {
		return nil, 0
	}
	return h.proxy.Refusals()
}

// GraphCalls returns how many Graph API calls fakegraph received from the
// bot, directly or through the proxy.
func (h *Harness) GraphCalls() int { return h.graph.mark() }

// refused ends the run when the bot tried the real Graph API outside
// interception (on is false), or would not trust the authority whose
// certificate is ca: no rule can be judged on a bot whose calls never
// reach fakegraph.
func (h *Harness) refused(r intercept.Refusal, on bool, ca string) {
	if !r.Graph {
		return
	}
	host := r.Target
	if i := strings.LastIndexByte(host, ':'); i > 0 {
		host = host[:i]
	}
	switch {
	case !on:
		h.fail(botErrorf(GraphBypassed, "the bot cannot reach fakegraph: it called the real Graph API (%s %s) instead of OTNSIM_GRAPH_URL; otnsim refused the call, so nothing reached Meta. "+
			"A bot that hard-codes https://%s can be tested unmodified with --intercept", r.Method, r.Target, host))
	case strings.Contains(r.Reason, "remote error"):
		// The client hung up on the certificate (an unknown authority).
		h.fail(botErrorf(GraphBypassed, "the bot's TLS client gave up on otnsim's certificate for %s (%s): it does not trust the run's authority. "+
			"otnsim sets SSL_CERT_FILE, REQUESTS_CA_BUNDLE, CURL_CA_BUNDLE and NODE_EXTRA_CA_CERTS; a client with a trust store of its own must be given %s", host, r.Reason, ca))
	}
}
