package load

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/otnsim/otnsim/internal/httpbody"
	"github.com/otnsim/otnsim/sim/clock"
)

// observer sits in front of fakegraph and notes every Send API call with
// its verdict. Calls may arrive on server goroutines; the world applies the
// notes on its own goroutine after each step (drain).
type observer struct {
	clk  clock.Clock
	next http.Handler
	// lat, when set, times fakegraph's answer to each Send API call: for a
	// bot outside the process, whose own round trips otnsim cannot see.
	lat *histogram

	mu    sync.Mutex
	notes []sendNote
	spare []sendNote
}

// sendNote is what the engine needs of one Send API call.
type sendNote struct {
	at      int64
	psid    string
	token   string
	msgType string
	otn     bool
	topic   string
	ok      bool
}

// sendBody is the part of a Send API body the invariants need.
type sendBody struct {
	Recipient struct {
		ID    string `json:"id"`
		Token string `json:"one_time_notif_token"`
	} `json:"recipient"`
	MessagingType string `json:"messaging_type"`
	Message       *struct {
		Attachment *struct {
			Payload json.RawMessage `json:"payload"`
		} `json:"attachment"`
	} `json:"message"`
}

type templatePayload struct {
	TemplateType string `json:"template_type"`
	Payload      string `json:"payload"`
}

func (o *observer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || !strings.HasSuffix(r.URL.Path, "/messages") {
		o.next.ServeHTTP(w, r)
		return
	}
	body, err := httpbody.Read(r.Body, r.ContentLength, 1<<20+1)
	if err != nil {
		http.Error(w, "read body", http.StatusBadRequest)
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	sw := statusWriter{ResponseWriter: w, status: http.StatusOK}
	var began time.Time
	if o.lat != nil {
		began = time.Now()
	}
	o.next.ServeHTTP(&sw, r)
	if o.lat != nil {
		o.lat.record(time.Since(began))
	}

	n := sendNote{at: o.clk.Now().UnixNano(), ok: sw.status == http.StatusOK}
	var sb sendBody
	if json.Unmarshal(body, &sb) == nil {
		n.psid, n.token, n.msgType = sb.Recipient.ID, sb.Recipient.Token, sb.MessagingType
		if m := sb.Message; m != nil && m.Attachment != nil && len(m.Attachment.Payload) > 0 && bytes.Contains(m.Attachment.Payload, []byte("one_time_notif_req")) {
			var tp templatePayload
			if json.Unmarshal(m.Attachment.Payload, &tp) == nil && tp.TemplateType == "one_time_notif_req" {
				n.otn, n.topic = true, tp.Payload
			}
		}
	}
	o.mu.Lock()
	o.notes = append(o.notes, n)
	o.mu.Unlock()
}

// take returns the notes gathered since the last call.
func (o *observer) take() []sendNote {
	o.mu.Lock()
	defer o.mu.Unlock()
	out := o.notes
	o.notes = o.spare[:0]
	o.spare = out
	return out
}

type statusWriter struct {
	http.ResponseWriter
	status int
	wrote  bool
}

func (s *statusWriter) WriteHeader(code int) {
	if !s.wrote {
		s.status, s.wrote = code, true
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusWriter) Write(b []byte) (int, error) {
	s.wrote = true
	return s.ResponseWriter.Write(b)
}
