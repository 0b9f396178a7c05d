package fakegraph

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/otnsim/otnsim/sim/clock"
)

// FaultKind is what an armed fault does to a matching call.
type FaultKind string

// Fault kinds.
const (
	// FaultGraphError answers a Graph error envelope (Code, Subcode, Status).
	FaultGraphError FaultKind = "graph_error"
	// FaultHTTP5xx answers an HTTP 5xx (Status, default 500) with code 2, transient.
	FaultHTTP5xx FaultKind = "http_5xx"
	// FaultLatency delays the answer by Latency: on the simulated clock when
	// it is virtual (the call completes once the clock has moved that far),
	// on the wall clock otherwise. The call is then served normally.
	FaultLatency FaultKind = "latency"
	// FaultDrop closes the connection without an answer.
	FaultDrop FaultKind = "drop"
	// FaultLostResponse lets the call take effect (a token is spent) and then
	// drops the connection: the bot never hears that it succeeded.
	FaultLostResponse FaultKind = "lost_response"
)

// FaultStage says whether a fault strikes before the call takes effect or after.
type FaultStage string

// Fault stages.
const (
	StageBefore FaultStage = "before"
	StageAfter  FaultStage = "after"
)

// Fault describes a failure to inject into matching Graph calls.
type Fault struct {
	// Name identifies the fault in the ledger (Call.Fault); default: the kind.
	Name string `json:"name,omitempty" yaml:"name"`
	// Kind is what happens.
	Kind FaultKind `json:"kind" yaml:"kind"`
	// Stage is before (default) or after the call takes effect; lost_response is always after.
	Stage FaultStage `json:"stage,omitempty" yaml:"stage"`
	// Method and Path restrict the fault to calls whose method matches and
	// whose URL path contains Path. Empty matches every Graph call; control
	// calls under /otnsim/ are never faulted.
	Method string `json:"method,omitempty" yaml:"method"`
	Path   string `json:"path,omitempty" yaml:"path"`
	// PSID restricts a Send API fault to calls addressed (by PSID or token) to that user.
	PSID string `json:"psid,omitempty" yaml:"psid"`
	// Times is how many matching calls the fault strikes; 0 means once, -1 forever.
	Times int `json:"times,omitempty" yaml:"times"`
	// Probability (0..1, seeded) that a matching call is struck; 0 means always.
	Probability float64 `json:"probability,omitempty" yaml:"probability"`
	// Code, Subcode, Status, Message and Transient shape the error answered
	// by graph_error and http_5xx faults (and after-stage faults of those kinds).
	Code      int    `json:"code,omitempty" yaml:"code"`
	Subcode   int    `json:"error_subcode,omitempty" yaml:"error_subcode"`
	Status    int    `json:"status,omitempty" yaml:"status"`
	Message   string `json:"message,omitempty" yaml:"message"`
	Transient *bool  `json:"is_transient,omitempty" yaml:"is_transient"`
	// Latency is the delay of a latency fault.
	Latency time.Duration `json:"-" yaml:"latency"`
}

type armedFault struct {
	Fault
	left int // calls left to strike; -1 forever
}

// FaultProblem is one thing wrong with a fault: the field (named as in the
// control API's JSON) and what is wrong with it.
type FaultProblem struct {
	Field   string
	Problem string
}

func (p FaultProblem) String() string { return p.Field + ": " + p.Problem }

// FaultError is ArmFault's refusal of an invalid fault: every problem found.
type FaultError struct{ Problems []FaultProblem }

func (e *FaultError) Error() string {
	parts := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		parts[i] = p.String()
	}
	return "arm fault: " + strings.Join(parts, "; ")
}

// MaxFaultLatency is the longest latency a fault may have.
const MaxFaultLatency = 366 * 24 * time.Hour

// CheckFault is the one validation of a fault, whether it comes from a
// scenario file or the control API: it returns every problem with f, none
// when ArmFault accepts it. Zero values mean the defaults (stage before,
// times once, probability always, the kind's usual status).
func CheckFault(f Fault) []FaultProblem {
	var out []FaultProblem
	bad := func(field, format string, a ...any) {
		out = append(out, FaultProblem{field, fmt.Sprintf(format, a...)})
	}
	switch f.Kind {
	case FaultGraphError:
		if f.Code <= 0 {
			bad("code", "a graph_error fault needs a positive Graph error code, got %d", f.Code)
		}
	case FaultHTTP5xx, FaultDrop, FaultLostResponse:
	case FaultLatency:
		if f.Latency <= 0 {
			bad("latency", "a latency fault needs a positive latency")
		}
	case "":
		bad("kind", "missing (graph_error, http_5xx, latency, drop, lost_response)")
	default:
		bad("kind", "unknown kind %q (graph_error, http_5xx, latency, drop, lost_response)", f.Kind)
	}
	switch f.Stage {
	case "", StageBefore, StageAfter:
	default:
		bad("stage", "unknown stage %q (before, after)", f.Stage)
	}
	switch {
	case f.Status == 0:
	case f.Status < 400 || f.Status > 599:
		bad("status", "must be an HTTP error status (400-599), got %d", f.Status)
	case f.Kind == FaultHTTP5xx && f.Status < 500:
		bad("status", "an http_5xx fault needs a 5xx status (500-599), got %d", f.Status)
	}
	if f.Code < 0 {
		bad("code", "must not be negative, got %d", f.Code)
	}
	if f.Subcode < 0 {
		bad("error_subcode", "must not be negative, got %d", f.Subcode)
	}
	if f.Times < -1 {
		bad("times", "must be -1 (forever), 0 (once) or more, got %d", f.Times)
	}
	if !(f.Probability >= 0 && f.Probability <= 1) {
		bad("probability", "%v outside 0..1", f.Probability)
	}
	if f.Latency < 0 || f.Latency > MaxFaultLatency {
		bad("latency", "must be between 0 and %s, got %s", clock.FormatDuration(MaxFaultLatency), f.Latency)
	}
	if len(f.Message) > 2000 {
		bad("message", "over 2000 bytes")
	}
	return out
}

// ArmFault arms f for the next matching Graph calls. An invalid fault is
// refused with a *FaultError (see CheckFault).
func (s *Server) ArmFault(f Fault) error {
	if p := CheckFault(f); len(p) > 0 {
		return &FaultError{Problems: p}
	}
	switch {
	case f.Kind == FaultLostResponse:
		f.Stage = StageAfter
	case f.Stage == "":
		f.Stage = StageBefore
	}
	if f.Name == "" {
		f.Name = string(f.Kind)
	}
	left := f.Times
	if left == 0 {
		left = 1
	}
	s.mu.Lock()
	s.faults = append(s.faults, &armedFault{Fault: f, left: left})
	s.mayFault.Store(true)
	s.mu.Unlock()
	return nil
}

// ClearFaults disarms every fault.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	s.faults = nil
	s.mu.Unlock()
}

// Faults returns the armed faults with how many strikes each has left (-1 forever).
func (s *Server) Faults() []ArmedFault {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]ArmedFault, len(s.faults))
	for i, f := range s.faults {
		out[i] = ArmedFault{Fault: f.Fault, Left: f.left}
	}
	return out
}

// ArmedFault is an armed fault and its remaining strikes.
type ArmedFault struct {
	Fault
	Left int `json:"left"`
}

// takeFault returns the first armed fault matching the call and uses one of
// its strikes. req may be nil for calls other than the Send API.
func (s *Server) takeFault(method, path string, req *SendRequest) *armedFault {
	if !s.mayFault.Load() {
		return nil // the common case costs no lock
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.faults) == 0 {
		s.mayFault.Store(false)
		return nil
	}
	for i, f := range s.faults {
		if f.Method != "" && !strings.EqualFold(f.Method, method) {
			continue
		}
		if f.Path != "" && !strings.Contains(path, f.Path) {
			continue
		}
		if f.PSID != "" && (req == nil || s.psidOfLocked(req.Recipient) != f.PSID) {
			continue
		}
		if f.Probability > 0 && s.rng.Float64() >= f.Probability {
			continue
		}
		if f.left > 0 {
			f.left--
			if f.left == 0 {
				s.faults = append(s.faults[:i:i], s.faults[i+1:]...)
			}
		}
		return f
	}
	return nil
}

// psidOfLocked is the user a recipient names, if known.
func (s *Server) psidOfLocked(r Recipient) string {
	switch {
	case r.ID != "":
		return r.ID
	case r.OneTimeNotifToken != "":
		if t, ok := s.tokens[r.OneTimeNotifToken]; ok {
			return t.psid
		}
	case r.UserRef != "":
		return s.userRefs[r.UserRef]
	}
	return ""
}

// graphError is the error answered by the fault.
func (f *armedFault) graphError() *Error {
	e := &Error{Status: f.Status, Type: "OAuthException", Code: f.Code, Subcode: f.Subcode}
	if f.Kind == FaultHTTP5xx || f.Kind == FaultDrop || f.Kind == FaultLostResponse || f.Kind == FaultLatency {
		if e.Status == 0 || e.Status < 500 {
			e.Status = http.StatusInternalServerError
		}
		if e.Code == 0 {
			e.Code = 2
		}
	}
	if e.Status == 0 {
		e.Status = http.StatusBadRequest
	}
	e.Message = f.Message
	if e.Message == "" {
		e.Message = "(#" + itoa(e.Code) + ") An unexpected error has occurred. Please retry your request later."
	}
	switch e.Code {
	case 1, 2, 4, 17, 32, 341, 613, 1200:
		e.IsTransient = true
	}
	if f.Transient != nil {
		e.IsTransient = *f.Transient
	}
	return e
}

// recordFault records a call struck by a fault before it took effect.
func (s *Server) recordFault(req *SendRequest, f *armedFault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	call := Call{At: s.clock.Now(), Kind: requestKind(req), RecipientKind: recipientKind(req.Recipient),
		MessagingType: req.MessagingType, Tag: req.Tag, PSID: s.psidOfLocked(req.Recipient), Fault: f.Name, Answered: f.answered()}
	if t, ok := s.tokens[req.Recipient.OneTimeNotifToken]; ok {
		call.TokenSeq, call.Topic = t.seq, t.topic
	}
	if u, ok := s.users[call.PSID]; ok {
		call.WindowOpen = u.windowOpen(call.At)
	}
	if f.Kind != FaultDrop {
		e := f.graphError()
		call.Code, call.Subcode = e.Code, e.Subcode
	}
	s.recordCallLocked(call)
}

// answered says what a bot receives from a call the fault strikes.
func (f *armedFault) answered() string {
	if f.Kind == FaultDrop || f.Kind == FaultLostResponse {
		return "no answer (connection dropped)"
	}
	e := f.graphError()
	return "error " + itoa(e.Code) + " (HTTP " + itoa(e.Status) + ")"
}

// sleep waits d on the server's clock, or until the request is cancelled.
// It reports false when the request went away first.
func (s *Server) sleep(r *http.Request, d time.Duration) bool {
	if s.cfg.Wait != nil {
		s.cfg.Wait(d)
		return r.Context().Err() == nil
	}
	done := make(chan struct{})
	t := s.clock.AfterFunc(d, func() { close(done) })
	select {
	case <-done:
		return true
	case <-r.Context().Done():
		t.Stop()
		return false
	}
}
