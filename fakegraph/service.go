package fakegraph

import (
	"net/http"
)

// serviceRoute is one of the endpoints that make fakegraph a service
// rather than a Graph API: health, readiness and metrics. They sit at the
// top level (/healthz, not /v19.0/healthz) where Graph has no such nodes.
type serviceRoute struct {
	name string // the path without its slashes
	doc  string
	// guarded routes need the control key when the server has one.
	guarded bool
	serve   func(s *Server, w http.ResponseWriter, r *http.Request)
}

// serviceRoutes are routed by serve and listed by the control API's index.
var serviceRoutes = []serviceRoute{
	{name: "healthz", doc: `liveness: 200 {"status":"ok"} while the server answers; never needs the control key`,
		serve: func(_ *Server, w http.ResponseWriter, _ *http.Request) {
			writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
		}},
	{name: "readyz", doc: `readiness: 200 {"status":"ok"} once the server takes calls; never needs the control key`,
		serve: func(_ *Server, w http.ResponseWriter, _ *http.Request) {
			writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
		}},
	{name: "metrics", guarded: true, doc: "Prometheus metrics (text format), all prefixed otnsim_; needs the control key when the server has one",
		serve: (*Server).serveMetrics},
}

// serveService answers GET or HEAD on a service route.
func (s *Server) serveService(w http.ResponseWriter, r *http.Request, rt *serviceRoute) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		s.writeError(w, errControl(http.StatusMethodNotAllowed, "/%s answers GET and HEAD, not %s", rt.name, r.Method))
		return
	}
	if rt.guarded {
		if gerr := s.checkControlKey(r); gerr != nil {
			s.writeError(w, gerr)
			return
		}
	}
	rt.serve(s, w, r)
}
