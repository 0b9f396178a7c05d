package fakegraph

import (
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/otnsim/otnsim/sim/clock"
	"github.com/otnsim/otnsim/sim/region"
)

// advancer is a clock that can be moved by hand (clock.Virtual).
type advancer interface {
	Advance(time.Duration)
	AdvanceTo(time.Time)
}

// checkControlKey refuses a request without the server's control key, when
// it has one: the control API and /metrics need it. Without a key, a
// server that knows its loopback address (Config.LoopbackAddr) refuses a
// request whose Host or Origin names another: a web page's cross-site
// POST (CSRF) or a rebound DNS name reaching the open control API.
func (s *Server) checkControlKey(r *http.Request) *Error {
	key := s.cfg.ControlKey
	if key == "" {
		return s.checkLoopbackOrigin(r)
	}
	got, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if subtle.ConstantTimeCompare([]byte(got), []byte(key)) != 1 {
		return errControl(http.StatusUnauthorized, "the control API needs Authorization: Bearer <control key>")
	}
	return nil
}

// checkLoopbackOrigin is checkControlKey's guard of a server without a key.
func (s *Server) checkLoopbackOrigin(r *http.Request) *Error {
	addr := s.cfg.LoopbackAddr
	if addr == "" {
		return nil
	}
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil
	}
	if !isLoopbackHostPort(r.Host, port) {
		return errControl(http.StatusForbidden, "the control API answers only requests for its loopback address (Host %s, not %q); give otnsim serve --control-key to reach it under another name", addr, r.Host)
	}
	if o := r.Header.Get("Origin"); o != "" {
		u, err := url.Parse(o)
		if err != nil || u.Scheme != "http" || !isLoopbackHostPort(u.Host, port) {
			return errControl(http.StatusForbidden, "the control API refuses requests from web pages of another origin (Origin %q); give otnsim serve --control-key to allow them", o)
		}
	}
	return nil
}

// isLoopbackHostPort reports whether hostport is a loopback host (localhost,
// 127.0.0.0/8, ::1) with the given port.
func isLoopbackHostPort(hostport, port string) bool {
	host, p, err := net.SplitHostPort(hostport)
	if err != nil || p != port {
		return false
	}
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// controlRoute is one control call. The router and the index (GET
// /otnsim/v1/) both read controlRoutes, so the list cannot drift.
type controlRoute struct {
	method string
	// path is under /otnsim/v1/; a {name} segment matches any one segment,
	// passed to serve in order.
	path  string
	doc   string
	serve func(s *Server, w http.ResponseWriter, r *http.Request, args []string) *Error
}

// controlRoutes is set in init: the index's handler reads it.
var controlRoutes []controlRoute

// userActions are the POST /otnsim/v1/users/{psid}/ACTION calls.
var userActions = []struct{ name, doc string }{
	{"message", `the user writes {"text"}: opens the 24-hour window, delivers a message webhook`},
	{"postback", `the user taps a button {"title","payload"}: opens the window, delivers a messaging_postbacks webhook`},
	{"quick-reply", `the user taps a quick reply {"text","payload"}: opens the window, delivers a message webhook`},
	{"notify-me", `the user taps Notify Me on the OTN request whose payload is {"payload"}: issues a token (answered as "token"), delivers the messaging_optins webhook`},
	{"block", "the user blocks the page: sends to them fail with 551/1545041"},
	{"unblock", "the user unblocks the page"},
	{"deactivate", "the user's account goes: sends to them fail with 200/1545041"},
	{"reactivate", "the user's account comes back"},
	{"react", `the user reacts {"emoji"} (default ❤️) to the page's latest message: opens the window, delivers a message_reactions webhook`},
	{"referral", `the user comes in through a referral {"ref","source","ad_id"}: an m.me link, or a Click-to-Messenger ad (source ADS or an ad_id; from 2026-09-28 their next message opens the window for 7 days); opens the window, delivers a messaging_referrals webhook`},
	{"recurring-opt-in", `the user accepts the latest recurring notifications request whose payload is {"payload"}: issues a notification_messages_token (answered as "token"), delivers the messaging_optins webhook`},
	{"recurring-stop", `the user stops the recurring notifications of {"payload"}: sends with the token fail with 10/1893015`},
	{"recurring-resume", `the user resumes the recurring notifications of {"payload"}`},
}

func init() {
	ok := func(w http.ResponseWriter) { writeJSON(w, http.StatusOK, map[string]bool{"success": true}) }
	controlRoutes = []controlRoute{
		{http.MethodGet, "", "this index of the control calls", func(s *Server, w http.ResponseWriter, _ *http.Request, _ []string) *Error {
			s.ctlIndex(w)
			return nil
		}},
		{http.MethodGet, "clock", `the clock: {"now","mode"}, mode virtual or wall`, func(s *Server, w http.ResponseWriter, _ *http.Request, _ []string) *Error {
			s.ctlClock(w)
			return nil
		}},
		{http.MethodPost, "clock/advance", `move the virtual clock by {"by":"25h"} or to {"to":"RFC 3339 time"}, firing what falls due (webhook retries, held-back events)`,
			func(s *Server, w http.ResponseWriter, r *http.Request, _ []string) *Error { return s.ctlAdvance(w, r) }},
		{http.MethodPost, "users", `add a user {"psid","first_name","last_name","name","locale","region","timezone","zone","profile_pic","user_ref"}; what is missing is generated (zone: the country's main IANA time zone)`,
			func(s *Server, w http.ResponseWriter, r *http.Request, _ []string) *Error { return s.ctlAddUser(w, r) }},
		{http.MethodGet, "users/{psid}", "a user, their state and whether their 24-hour window is open",
			func(s *Server, w http.ResponseWriter, _ *http.Request, a []string) *Error {
				return s.ctlGetUser(w, a[0])
			}},
	}
	for _, act := range userActions {
		name := act.name
		controlRoutes = append(controlRoutes, controlRoute{http.MethodPost, "users/{psid}/" + name, act.doc,
			func(s *Server, w http.ResponseWriter, r *http.Request, a []string) *Error {
				return s.ctlUserAction(w, r, a[0], name)
			}})
	}
	controlRoutes = append(controlRoutes, []controlRoute{
		{http.MethodGet, "ledger", "the ledger: tokens with their states, Send API calls with their verdicts, events; ?psid= and ?topic= filter",
			func(s *Server, w http.ResponseWriter, r *http.Request, _ []string) *Error {
				s.ctlLedger(w, r)
				return nil
			}},
		{http.MethodPost, "faults", `arm a fault {"name","kind","stage","method","path","psid","times","probability","code","error_subcode","status","message","is_transient","latency"}; answers {"armed"}`,
			func(s *Server, w http.ResponseWriter, r *http.Request, _ []string) *Error { return s.ctlArmFault(w, r) }},
		{http.MethodGet, "faults", "the armed faults", func(s *Server, w http.ResponseWriter, _ *http.Request, _ []string) *Error {
			writeJSON(w, http.StatusOK, map[string]any{"faults": s.Faults()})
			return nil
		}},
		{http.MethodDelete, "faults", "disarm every fault", func(s *Server, w http.ResponseWriter, _ *http.Request, _ []string) *Error {
			s.ClearFaults()
			ok(w)
			return nil
		}},
		{http.MethodPost, "reset", "forget every user, token, call, event and fault, and put a virtual clock back at its start; the page and the settings stay; no token value is ever issued twice",
			func(s *Server, w http.ResponseWriter, _ *http.Request, _ []string) *Error {
				s.ResetAll()
				ok(w)
				return nil
			}},
		{http.MethodGet, "settings", "the fidelity settings in effect, named as in a scenario file's world.settings (durations like \"24h\", times in RFC 3339)",
			func(s *Server, w http.ResponseWriter, _ *http.Request, _ []string) *Error {
				s.ctlSettings(w)
				return nil
			}},
		{http.MethodPatch, "settings", "change settings: a JSON object with world.settings' names, merged over those in effect (null puts a field back to its default), validated, applied at once; answers the settings now in effect",
			func(s *Server, w http.ResponseWriter, r *http.Request, _ []string) *Error {
				return s.ctlPatchSettings(w, r)
			}},
		{http.MethodGet, "assumptions", "every assumed setting (what Meta does not document): its name in world.settings, default, value in effect, and otnsim's reading",
			func(s *Server, w http.ResponseWriter, _ *http.Request, _ []string) *Error {
				writeJSON(w, http.StatusOK, map[string]any{"assumptions": Assumptions(*s.set())})
				return nil
			}},
		{http.MethodPost, "webhook/subscribe", "perform Meta's verification handshake against the webhook (GET ?hub.mode=subscribe&hub.verify_token=...&hub.challenge=...); answers the outcome and records it in the ledger",
			func(s *Server, w http.ResponseWriter, _ *http.Request, _ []string) *Error {
				h, err := s.Subscribe()
				if err != nil {
					return errControl(http.StatusConflict, "%v", err)
				}
				writeJSON(w, http.StatusOK, h)
				return nil
			}},
	}...)
}

// match reports whether route (split on "/") is rt's path, and its {name} segments.
func (rt *controlRoute) match(parts []string) ([]string, bool) {
	pat := strings.Split(rt.path, "/")
	if len(pat) != len(parts) {
		return nil, false
	}
	var args []string
	for i, p := range pat {
		switch {
		case strings.HasPrefix(p, "{"):
			if parts[i] == "" {
				return nil, false
			}
			args = append(args, parts[i])
		case p != parts[i]:
			return nil, false
		}
	}
	return args, true
}

// serveControl answers the control API under /otnsim/v1/ (GET /otnsim/v1/ lists its calls).
func (s *Server) serveControl(w http.ResponseWriter, r *http.Request, route string) {
	if gerr := s.checkControlKey(r); gerr != nil {
		s.writeError(w, gerr)
		return
	}
	route = strings.Trim(route, "/")
	parts := strings.Split(route, "/")
	var allowed []string
	for i := range controlRoutes {
		rt := &controlRoutes[i]
		args, ok := rt.match(parts)
		if !ok {
			continue
		}
		if rt.method != r.Method {
			allowed = append(allowed, rt.method)
			continue
		}
		if gerr := rt.serve(s, w, r, args); gerr != nil {
			s.writeError(w, gerr)
		}
		return
	}
	if len(allowed) > 0 {
		w.Header().Set("Allow", strings.Join(allowed, ", "))
		s.writeError(w, errControl(http.StatusMethodNotAllowed, "/otnsim/v1/%s answers %s, not %s", route, strings.Join(allowed, " and "), r.Method))
		return
	}
	s.writeError(w, errControl(http.StatusNotFound, "no control call %s /otnsim/v1/%s (GET /otnsim/v1/ lists them)", r.Method, route))
}

// controlCall is one entry of the control API's index.
type controlCall struct {
	Method      string `json:"method"`
	Path        string `json:"path"`
	Description string `json:"description"`
}

func (s *Server) ctlIndex(w http.ResponseWriter) {
	calls := make([]controlCall, 0, len(controlRoutes))
	for _, rt := range controlRoutes {
		calls = append(calls, controlCall{rt.method, "/otnsim/v1/" + rt.path, rt.doc})
	}
	service := make([]controlCall, 0, len(serviceRoutes))
	for _, rt := range serviceRoutes {
		service = append(service, controlCall{http.MethodGet, "/" + rt.name, rt.doc})
	}
	auth := "open: the server has no control key"
	if s.cfg.ControlKey != "" {
		auth = "Authorization: Bearer <control key> on every control call and on /metrics"
	}
	writeJSON(w, http.StatusOK, map[string]any{"calls": calls, "service": service, "auth": auth,
		"errors": "every refusal is a Graph error envelope: {\"error\":{\"message\",\"type\",\"code\",\"fbtrace_id\"}}, code = HTTP status"})
}

// readControlBody reads a control call's body, at most 1 MiB.
func readControlBody(r *http.Request) ([]byte, *Error) {
	if r.Body == nil {
		return nil, nil
	}
	b, err := io.ReadAll(io.LimitReader(r.Body, MaxBodyBytes+1))
	if err != nil {
		return nil, errControl(http.StatusBadRequest, "read body: %v", err)
	}
	if len(b) > MaxBodyBytes {
		return nil, errControl(http.StatusRequestEntityTooLarge, "body over 1 MiB")
	}
	return b, nil
}

// decodeControl reads a control call's JSON body into v (an empty body is {}).
func decodeControl(r *http.Request, v any) *Error {
	b, gerr := readControlBody(r)
	if gerr != nil {
		return gerr
	}
	if len(strings.TrimSpace(string(b))) == 0 {
		return nil
	}
	if err := json.Unmarshal(b, v); err != nil {
		return errControl(http.StatusBadRequest, "malformed JSON body: %v", err)
	}
	return nil
}

func (s *Server) clockMode() string {
	if _, ok := s.clock.(advancer); ok {
		return "virtual"
	}
	return "wall"
}

func (s *Server) ctlClock(w http.ResponseWriter) {
	writeJSON(w, http.StatusOK, map[string]string{"now": s.clock.Now().UTC().Format(time.RFC3339Nano), "mode": s.clockMode()})
}

func (s *Server) ctlAdvance(w http.ResponseWriter, r *http.Request) *Error {
	var body struct {
		By string `json:"by"`
		To string `json:"to"`
	}
	if gerr := decodeControl(r, &body); gerr != nil {
		return gerr
	}
	adv, ok := s.clock.(advancer)
	if !ok {
		return errControl(http.StatusConflict, "the clock is the wall clock; it cannot be advanced")
	}
	switch {
	case body.By != "" && body.To == "":
		d, err := clock.ParseDuration(body.By)
		if err != nil {
			return errControl(http.StatusBadRequest, "by: %q is not a duration (e.g. 25h, 30d): %v", body.By, err)
		}
		if _, err := clock.Add(s.clock.Now(), d); err != nil {
			return errControl(http.StatusBadRequest, "by: %v", err)
		}
		adv.Advance(d)
	case body.To != "" && body.By == "":
		t, err := time.Parse(time.RFC3339Nano, body.To)
		if err != nil {
			return errControl(http.StatusBadRequest, "to: %q is not an RFC 3339 time", body.To)
		}
		if err := clock.CheckTime(t); err != nil {
			return errControl(http.StatusBadRequest, "to: %v", err)
		}
		if t.Before(s.clock.Now()) {
			return errControl(http.StatusConflict, "to: %s is in the past; the clock never goes backwards", body.To)
		}
		adv.AdvanceTo(t)
	default:
		return errControl(http.StatusBadRequest, `give exactly one of "by" (e.g. "25h") or "to" (RFC 3339)`)
	}
	s.ctlClock(w)
	return nil
}

// userJSON is a user as the control API shows it.
type userJSON struct {
	PSID       string   `json:"psid"`
	FirstName  string   `json:"first_name"`
	LastName   string   `json:"last_name"`
	Locale     string   `json:"locale"`
	Region     string   `json:"region"`
	Timezone   *float64 `json:"timezone,omitempty"`
	Zone       string   `json:"zone,omitempty"`
	ProfilePic string   `json:"profile_pic,omitempty"`
	UserRef    string   `json:"user_ref,omitempty"`
	State      string   `json:"state,omitempty"`
	WindowOpen bool     `json:"window_open"`
	Name       string   `json:"name,omitempty"`
}

func (s *Server) ctlAddUser(w http.ResponseWriter, r *http.Request) *Error {
	var in userJSON
	if gerr := decodeControl(r, &in); gerr != nil {
		return gerr
	}
	u := User{PSID: in.PSID, FirstName: in.FirstName, LastName: in.LastName, Locale: in.Locale,
		Region: strings.ToUpper(in.Region), ProfilePic: in.ProfilePic, UserRef: in.UserRef, Zone: in.Zone}
	if in.Name != "" && u.FirstName == "" {
		u.FirstName, u.LastName, _ = strings.Cut(in.Name, " ")
	}
	if in.Timezone != nil {
		u.Timezone = *in.Timezone
	}
	u = s.fillUser(u, in.Timezone != nil)
	if u.Zone != "" {
		if err := region.CheckZone(u.Region, u.Zone); err != nil {
			return errControl(http.StatusBadRequest, "zone: %v", err)
		}
	}
	if err := s.AddUser(u); err != nil {
		return errControl(http.StatusConflict, "%v", err)
	}
	return s.ctlGetUser(w, u.PSID)
}

// fillUser completes a user with gofakeit, under the server's seed.
func (s *Server) fillUser(u User, hasTZ bool) User {
	s.mu.Lock()
	defer s.mu.Unlock()
	if u.PSID == "" {
		for u.PSID == "" || s.users[u.PSID] != nil {
			u.PSID = strconv.FormatInt(int64(s.faker.Number(1_000_000_000, 2_000_000_000))*1_000_000+int64(s.faker.Number(0, 999_999)), 10)
		}
	}
	if u.FirstName == "" {
		u.FirstName = s.faker.FirstName()
	}
	if u.LastName == "" {
		u.LastName = s.faker.LastName()
	}
	if u.Region == "" {
		u.Region = "US"
	}
	loc, tz := regionDefaults(u.Region)
	if u.Locale == "" {
		u.Locale = loc
	}
	if !hasTZ {
		u.Timezone = tz
		if u.Zone == "" {
			u.Zone = region.MainZone(u.Region)
		}
	}
	return u
}

// regionDefaults gives the locale and UTC offset otnsim's country table
// (sim/region) has for a country; en_US at UTC for a country it lacks.
func regionDefaults(code string) (string, float64) {
	if i, ok := region.Lookup(code); ok {
		return i.Locale, i.UTCOffset
	}
	return "en_US", 0
}

func (s *Server) ctlGetUser(w http.ResponseWriter, psid string) *Error {
	s.mu.Lock()
	u, ok := s.users[psid]
	var out userJSON
	if ok {
		tz := u.offset(s.clock.Now())
		out = userJSON{PSID: u.PSID, FirstName: u.FirstName, LastName: u.LastName, Locale: u.Locale, Region: u.Region,
			Timezone: &tz, Zone: u.Zone, ProfilePic: u.ProfilePic, UserRef: u.UserRef, State: string(u.state), WindowOpen: u.windowOpen(s.clock.Now())}
	}
	s.mu.Unlock()
	if !ok {
		return errControl(http.StatusNotFound, "no user %q", psid)
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) ctlUserAction(w http.ResponseWriter, r *http.Request, psid, action string) *Error {
	var body struct {
		Text    string `json:"text"`
		Payload string `json:"payload"`
		Title   string `json:"title"`
		Emoji   string `json:"emoji"`
		Referral
	}
	if gerr := decodeControl(r, &body); gerr != nil {
		return gerr
	}
	var d Delivery
	var err error
	out := map[string]any{}
	switch action {
	case "message":
		d, err = s.UserMessage(psid, body.Text)
	case "postback":
		d, err = s.Postback(psid, body.Title, body.Payload)
	case "quick-reply":
		d, err = s.QuickReply(psid, body.Text, body.Payload)
	case "notify-me":
		var tok string
		tok, d, err = s.NotifyMe(psid, body.Payload)
		if err == nil {
			out["token"] = tok
		}
	case "react":
		d, err = s.React(psid, body.Emoji)
	case "referral":
		d, err = s.Referral(psid, body.Referral)
	case "recurring-opt-in":
		var tok string
		tok, d, err = s.RecurringOptIn(psid, body.Payload)
		if err == nil {
			out["token"] = tok
		}
	case "recurring-stop":
		d, err = s.RecurringStop(psid, body.Payload)
	case "recurring-resume":
		d, err = s.RecurringResume(psid, body.Payload)
	case "block":
		err = s.Block(psid)
	case "unblock":
		err = s.Unblock(psid)
	case "deactivate":
		err = s.SetUserState(psid, UserDeactivated)
	case "reactivate":
		err = s.SetUserState(psid, UserActive)
	default:
		return errControl(http.StatusNotFound, "no user action %q (message, postback, quick-reply, notify-me, react, referral, recurring-opt-in, recurring-stop, recurring-resume, block, unblock, deactivate, reactivate)", action)
	}
	switch {
	case errors.Is(err, ErrUnknownUser):
		return errControl(http.StatusNotFound, "%v", err)
	case err != nil:
		return errControl(http.StatusConflict, "%v", err)
	}
	out["webhook"] = deliveryJSON(d, s.cfg.Webhook.URL != "" && action != "block" && action != "unblock" && action != "deactivate" && action != "reactivate")
	out["now"] = s.clock.Now().UTC().Format(time.RFC3339Nano)
	writeJSON(w, http.StatusOK, out)
	return nil
}

func deliveryJSON(d Delivery, attempted bool) map[string]any {
	out := map[string]any{"status": d.Status}
	switch {
	case d.Skipped:
		out["result"] = "not subscribed"
	case d.Deferred:
		out["result"] = "held back"
	case !attempted && d.Status == 0:
		out["result"] = "no webhook"
	case d.Err != nil:
		out["result"] = "failed: " + d.Err.Error()
	case d.Status == http.StatusOK:
		out["result"] = "delivered"
	default:
		out["result"] = fmt.Sprintf("bot answered %d", d.Status)
	}
	return out
}

func (s *Server) ctlLedger(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	psid, topic := q.Get("psid"), q.Get("topic")
	l := s.Ledger()
	if psid != "" || topic != "" {
		l.Tokens = l.TokensFor(psid, topic)
		calls := l.Calls[:0:0]
		for _, c := range l.Calls {
			if (psid == "" || c.PSID == psid) && (topic == "" || c.Topic == topic) {
				calls = append(calls, c)
			}
		}
		l.Calls = calls
		events := l.Events[:0:0]
		for _, e := range l.Events {
			if psid == "" || e.PSID == psid {
				events = append(events, e)
			}
		}
		l.Events = events
	}
	if l.Tokens == nil {
		l.Tokens = []Token{}
	}
	if l.Calls == nil {
		l.Calls = []Call{}
	}
	if l.Events == nil {
		l.Events = []Event{}
	}
	writeJSON(w, http.StatusOK, l)
}

// faultJSON is a Fault on the wire, with latency as a duration string.
type faultJSON struct {
	Fault
	Latency string `json:"latency,omitempty"`
}

func (s *Server) ctlArmFault(w http.ResponseWriter, r *http.Request) *Error {
	var in faultJSON
	if gerr := decodeControl(r, &in); gerr != nil {
		return gerr
	}
	f := in.Fault
	if in.Latency != "" {
		d, err := clock.ParseDuration(in.Latency)
		if err != nil {
			return errControl(http.StatusBadRequest, "latency: %v", err)
		}
		f.Latency = d
	}
	if err := s.ArmFault(f); err != nil {
		return errControl(http.StatusBadRequest, "%v", err)
	}
	writeJSON(w, http.StatusOK, map[string]any{"armed": len(s.Faults())})
	return nil
}

var _ clock.Clock = (*clock.Virtual)(nil)
