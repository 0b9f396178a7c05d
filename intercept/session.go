// Package intercept lets otnsim test a bot that calls Meta's real Graph API
// (https://graph.facebook.com/...) without a change to its code: a proxy on
// loopback answers CONNECT for the Graph hosts with certificates from a
// per-run certificate authority and routes their requests to fakegraph,
// and the bot's environment points the usual runtimes (Go, Python, Node,
// curl) at the proxy and the authority.
//
// Without interception the same proxy watches: it refuses the Graph hosts
// and records the attempt, so that a bot that bypasses fakegraph is named
// instead of reaching the internet. Hosts other than Graph's are refused
// in both modes unless pass-through is asked for.
//
// The authority's private key lives in the run's temporary folder (mode
// 0700, the key 0600) and is deleted with it at Close, unless a CA folder
// is given to keep one across runs.
package intercept

import (
	_ "embed"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
)

// preload is the Node.js module that routes https and fetch through the
// proxy (Node 20 honours neither HTTPS_PROXY nor NODE_USE_ENV_PROXY).
//
//go:embed preload.cjs
var preload []byte

// File names in the run's folder.
const (
	BundleFileName  = "ca-bundle.pem" // the authority, and with pass-through the system's roots
	PreloadFileName = "preload.cjs"
)

// NoProxy is the bot's NO_PROXY: loopback, where fakegraph (its
// OTNSIM_GRAPH_URL) and the bot itself listen, goes direct.
const NoProxy = "127.0.0.1,localhost,::1"

// systemRoots are where Linux distributions keep their trusted roots (the
// files Go's crypto/x509 reads), for the bundle.
var systemRoots = []string{
	"/etc/ssl/certs/ca-certificates.crt",
	"/etc/pki/tls/certs/ca-bundle.crt",
	"/etc/ssl/ca-bundle.pem",
	"/etc/pki/tls/cacert.pem",
	"/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem",
	"/etc/ssl/cert.pem",
}

// Config says how a run treats the bot's traffic outside loopback.
type Config struct {
	// Intercept routes the Graph hosts to fakegraph; false is watch mode
	// (they are refused and the attempt recorded).
	Intercept bool
	// CADir, with Intercept, is a folder that keeps the authority across
	// runs (created there on first use, with its key mode 0600), and the
	// bundle and preload beside it, so that a bot configured by hand
	// keeps working; empty means a fresh authority in the run's folder,
	// deleted at Close.
	CADir string
	// PassThrough, with Intercept, lets hosts other than the Graph hosts
	// through; in watch mode they always pass, so that a bot's start-up
	// (go run, npx) fetches what it needs as it did before. Passed-through
	// requests go by otnsim's own HTTPS_PROXY when it has one.
	PassThrough bool
	// Logf, when set, gets the proxies' refusals, one line each.
	Logf func(format string, args ...any)
}

// Session is one run's interception: its folder, its authority (with
// Intercept) and the proxies it started, one per bot process.
type Session struct {
	cfg       Config
	dir       string
	temp      bool // dir is the run's own, deleted at Close
	authority *Authority
	certFile  string
	keyFile   string
}

// Open creates the run's folder (or takes Config.CADir) and, with
// Intercept, its authority.
func Open(cfg Config) (*Session, error) {
	s := &Session{cfg: cfg}
	if cfg.Intercept && cfg.CADir != "" {
		if err := os.MkdirAll(cfg.CADir, 0o700); err != nil {
			return nil, fmt.Errorf("intercept: create %s: %w", cfg.CADir, err)
		}
		s.dir = cfg.CADir
	} else {
		dir, err := os.MkdirTemp("", "otnsim-intercept-")
		if err != nil {
			return nil, fmt.Errorf("intercept: create the run's folder: %w", err)
		}
		s.dir, s.temp = dir, true
	}
	if err := s.setUp(); err != nil {
		_ = s.Close()
		return nil, err
	}
	return s, nil
}

func (s *Session) setUp() error {
	if err := os.WriteFile(filepath.Join(s.dir, PreloadFileName), preload, 0o644); err != nil {
		return fmt.Errorf("intercept: write the Node.js preload: %w", err)
	}
	if !s.cfg.Intercept {
		return nil
	}
	var err error
	if s.temp {
		s.authority, err = NewAuthority(runLifetime)
		if err == nil {
			err = s.authority.Save(s.dir)
		}
	} else {
		s.authority, err = LoadOrCreateAuthority(s.dir)
	}
	if err != nil {
		return err
	}
	s.certFile, s.keyFile = filepath.Join(s.dir, CertFileName), filepath.Join(s.dir, KeyFileName)
	// Without pass-through no other host can be reached, so the bundle
	// holds the authority alone: OpenSSL clients that load it for every
	// connection (Python's urllib) stay fast.
	bundle := s.authority.CertPEM()
	if roots := systemBundle(); roots != nil && s.cfg.PassThrough {
		bundle = append(append(bundle, '\n'), roots...)
	}
	if err := os.WriteFile(filepath.Join(s.dir, BundleFileName), bundle, 0o644); err != nil {
		return fmt.Errorf("intercept: write the certificate bundle: %w", err)
	}
	return nil
}

// systemBundle returns the roots the bot trusted before the bundle
// replaced them: SSL_CERT_FILE's, or the system's; nil when none is found.
func systemBundle() []byte {
	paths := systemRoots
	if f := os.Getenv("SSL_CERT_FILE"); f != "" {
		paths = append([]string{f}, paths...)
	}
	for _, p := range paths {
		if b, err := os.ReadFile(p); err == nil && len(b) > 0 {
			return b
		}
	}
	return nil
}

// Intercepting reports whether the session routes the Graph hosts.
func (s *Session) Intercepting() bool { return s.authority != nil }

// Authority returns the session's authority; nil in watch mode.
func (s *Session) Authority() *Authority { return s.authority }

// Dir is the folder of the session's files: the run's own, deleted at
// Close, or Config.CADir, kept.
func (s *Session) Dir() string { return s.dir }

// CertFile is the authority's certificate ("" in watch mode).
func (s *Session) CertFile() string { return s.certFile }

// KeyFile is the authority's private key ("" in watch mode).
func (s *Session) KeyFile() string { return s.keyFile }

// BundleFile is the authority (followed by the system's roots with
// pass-through), for SSL_CERT_FILE and the like ("" in watch mode).
func (s *Session) BundleFile() string {
	if s.authority == nil {
		return ""
	}
	return filepath.Join(s.dir, BundleFileName)
}

// Route says where one proxy of the session sends what it serves.
type Route struct {
	// Addr is where the proxy listens ("" a free loopback port).
	Addr string
	// Graph serves the Graph hosts' requests.
	Graph http.Handler
	// Local is fakegraph's host:port, served with Graph when proxied to.
	Local string
	// OnRefuse, when set, is told of every refused request.
	OnRefuse func(Refusal)
}

// Listen starts a proxy for one bot process.
func (s *Session) Listen(r Route) (*Proxy, error) {
	return Listen(Options{
		Addr: r.Addr, Graph: r.Graph, Local: r.Local, Authority: s.authority,
		PassThrough: s.cfg.PassThrough || !s.cfg.Intercept, Upstream: http.ProxyFromEnvironment,
		OnRefuse: r.OnRefuse, Logf: s.cfg.Logf,
	})
}

// Env returns what the bot's environment needs to use p and trust the
// authority: the proxy variables in both spellings, NO_PROXY for loopback,
// the CA variables of OpenSSL (Python, curl), Go, requests and Node, and
// NODE_OPTIONS with the preload that routes Node's https and fetch.
func (s *Session) Env(p *Proxy) []string {
	u := p.URL()
	env := []string{
		"HTTPS_PROXY=" + u, "https_proxy=" + u, "HTTP_PROXY=" + u, "http_proxy=" + u,
		"NO_PROXY=" + NoProxy, "no_proxy=" + NoProxy,
		"OTNSIM_PROXY_URL=" + u,
		"NODE_USE_ENV_PROXY=1",
		"NODE_OPTIONS=" + nodeOptions(filepath.Join(s.dir, PreloadFileName)),
	}
	if s.authority != nil {
		b := s.BundleFile()
		env = append(env,
			"SSL_CERT_FILE="+b, "REQUESTS_CA_BUNDLE="+b, "CURL_CA_BUNDLE="+b,
			"NODE_EXTRA_CA_CERTS="+s.certFile, "OTNSIM_CA_CERT="+s.certFile)
	}
	return env
}

// nodeOptions adds the preload to the NODE_OPTIONS otnsim was given.
func nodeOptions(preloadPath string) string {
	opt := `--require "` + strings.ReplaceAll(preloadPath, `"`, `\"`) + `"`
	if prev := strings.TrimSpace(os.Getenv("NODE_OPTIONS")); prev != "" {
		opt = prev + " " + opt
	}
	return opt
}

// Close deletes the run's folder, with the authority's key; a
// Config.CADir is kept. Close the session's proxies first.
func (s *Session) Close() error {
	dir, temp := s.dir, s.temp
	s.dir, s.temp = "", false
	if !temp || dir == "" {
		return nil
	}
	if err := os.RemoveAll(dir); err != nil {
		return fmt.Errorf("intercept: delete the run's folder: %w", err)
	}
	return nil
}
