package fakegraph

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"time"
)

// ServeHTTP routes Graph API calls and otnsim's control calls. Every refusal,
// unknown routes included, is a Graph error envelope. An armed drop fault
// closes the connection (or aborts the handler where it cannot).
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !s.serve(w, r) {
		return
	}
	if hj, ok := w.(http.Hijacker); ok {
		if conn, _, err := hj.Hijack(); err == nil {
			_ = conn.Close()
			return
		}
	}
	panic(http.ErrAbortHandler)
}

// errDropped is what the in-process transport returns for a dropped connection.
var errDropped = errors.New("fakegraph: connection dropped (armed fault)")

// serve answers one request and reports whether the connection must be dropped.
func (s *Server) serve(w http.ResponseWriter, r *http.Request) (drop bool) {
	path := strings.Trim(r.URL.Path, "/")
	if path == "otnsim/v1" {
		s.serveControl(w, r, "")
		return false
	}
	if rest, ok := strings.CutPrefix(path, "otnsim/v1/"); ok {
		s.serveControl(w, r, rest)
		return false
	}
	for i := range serviceRoutes {
		if path == serviceRoutes[i].name {
			s.serveService(w, r, &serviceRoutes[i])
			return false
		}
	}
	start := time.Now()
	route, drop := s.serveGraphAPI(w, r, path)
	s.metrics.observe(route, start)
	return drop
}

// serveGraphAPI routes a Graph API call and reports the route it took.
func (s *Server) serveGraphAPI(w http.ResponseWriter, r *http.Request, path string) (route int, drop bool) {
	seg0, rest, _ := strings.Cut(path, "/")
	if isVersion(seg0) {
		path = rest
		seg0, rest, _ = strings.Cut(rest, "/")
	}
	node, edge := seg0, rest
	if edge == "messages" && (node == "me" || node == s.cfg.Page.ID) {
		if r.Method != http.MethodPost {
			s.writeError(w, errUnsupported(r.Method, path))
			return routeUnsupported, false
		}
		return routeSend, s.handleSend(w, r)
	}
	var h func(http.ResponseWriter, *http.Request, string) *Error
	switch {
	case edge == "subscribed_apps" && (node == "me" || node == s.cfg.Page.ID):
		h, route = s.handleSubscribedApps, routeSubscribedApps
	case edge == "messenger_profile" && (node == "me" || node == s.cfg.Page.ID) && r.Method == http.MethodGet:
		h, route = s.handleMessengerProfile, routeMessengerProfile
	case edge == "notification_message_tokens" && (node == "me" || node == s.cfg.Page.ID) && r.Method == http.MethodGet:
		h, route = s.handleRecurringTokens, routeRecurringTokens
	case edge == "" && node != "" && r.Method == http.MethodGet:
		h, route = s.handleProfile, routeProfile
	default:
		s.writeError(w, errUnsupported(r.Method, path))
		return routeUnsupported, false
	}
	return route, s.serveGraph(w, r, node, h)
}

// serveGraph runs a Graph route other than the Send API: auth, faults, handler.
func (s *Server) serveGraph(w http.ResponseWriter, r *http.Request, node string, h func(http.ResponseWriter, *http.Request, string) *Error) bool {
	r.Body = http.MaxBytesReader(nil, bodyOrEmpty(r), MaxBodyBytes)
	if err := r.ParseForm(); err != nil {
		s.writeError(w, s.errParam("", false, "Could not read the request parameters"))
		return false
	}
	token, proof := credentials(r, nil)
	if token == "" {
		token = r.PostForm.Get("access_token")
	}
	if proof == "" {
		proof = r.PostForm.Get("appsecret_proof")
	}
	if gerr := s.authorize(token, proof); gerr != nil {
		s.writeError(w, gerr)
		return false
	}
	f := s.takeFault(r.Method, r.URL.Path, nil)
	if f != nil && f.Latency > 0 && !s.sleep(r, f.Latency) {
		return true
	}
	if f != nil && f.Kind != FaultLatency {
		if f.Stage == StageAfter {
			_ = h(httptest.NewRecorder(), r, node)
		}
		if f.Kind == FaultDrop || f.Kind == FaultLostResponse {
			return true
		}
		s.writeError(w, f.graphError())
		return false
	}
	if gerr := h(w, r, node); gerr != nil {
		s.writeError(w, gerr)
	}
	return false
}

func bodyOrEmpty(r *http.Request) interface {
	Read([]byte) (int, error)
	Close() error
} {
	if r.Body == nil {
		return http.NoBody
	}
	return r.Body
}

// isVersion reports whether seg looks like a Graph API version: v1.0 to v99.99.
func isVersion(seg string) bool {
	if len(seg) < 4 || len(seg) > 6 || seg[0] != 'v' {
		return false
	}
	major, minor, ok := strings.Cut(seg[1:], ".")
	return ok && allDigits(major) && allDigits(minor) && len(major) <= 2 && len(minor) <= 2
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func itoa(n int) string { return strconv.Itoa(n) }

func quote(s string) string { return strconv.Quote(s) }
