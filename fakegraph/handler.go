package fakegraph

import (
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/otnsim/otnsim/sim/clock"
)

var versionRE = regexp.MustCompile(`^v[0-9]{1,2}\.[0-9]{1,2}$`)

// ServeHTTP routes Graph API calls and otnsim's control calls. Every refusal,
// unknown routes included, is a Graph error envelope.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	switch {
	case len(parts) == 3 && parts[0] == "otnsim" && parts[1] == "v1" && parts[2] == "clock":
		if r.Method != http.MethodGet {
			s.writeError(w, errUnsupported(r.Method, r.URL.Path))
			return
		}
		mode := "virtual"
		if _, wall := s.clock.(clock.Wall); wall {
			mode = "wall"
		}
		writeJSON(w, http.StatusOK, map[string]string{"now": s.clock.Now().UTC().Format(time.RFC3339Nano), "mode": mode})
	case len(parts) == 3 && versionRE.MatchString(parts[0]) && parts[2] == "messages" &&
		(parts[1] == "me" || parts[1] == s.cfg.Page.ID):
		if r.Method != http.MethodPost {
			s.writeError(w, errUnsupported(r.Method, parts[1]+"/messages"))
			return
		}
		s.handleSend(w, r)
	default:
		s.writeError(w, errUnsupported(r.Method, strings.Join(parts, "/")))
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

func quote(s string) string { return strconv.Quote(s) }
