package scenarios

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/otnsim/otnsim/fakegraph"
	"github.com/otnsim/otnsim/findings"
	"github.com/otnsim/otnsim/rules"
	"github.com/otnsim/otnsim/sim"
)

// runner plays the steps of one scenario in its world.
type runner struct {
	w      *sim.World
	start  time.Time
	checks findings.Options
	// rules holds, for the problems of the last failed step, the rule each
	// is charged to ("" for none): each failing expectation's, or
	// HOOK-SIGNATURE for a correctly signed event the bot refused.
	rules []string
}

// step plays one step. It returns problems (empty on success) and the
// alias of the subscriber concerned.
func (r *runner) step(st *Step) ([]string, string) {
	r.rules = nil
	w := r.w
	sub := func() *sim.Subscriber { s, _ := w.Subscriber(st.Who); return s }
	var err error
	switch st.Kind {
	case StepSay, StepReply:
		err = w.Say(sub(), st.Text)
	case StepQuickReply:
		err = w.QuickReply(sub(), st.Text, st.Payload)
	case StepPostback:
		err = w.Postback(sub(), st.Title, st.Payload)
	case StepNotifyMe:
		_, err = w.NotifyMe(sub(), st.Topic)
	case StepReact:
		err = w.React(sub(), st.Emoji)
	case StepReferral:
		err = w.Referral(sub(), fakegraph.Referral{Source: st.Source, Ref: st.Ref, AdID: st.AdID})
	case StepRecurringOptIn:
		_, err = w.RecurringOptIn(sub(), st.Topic)
	case StepRecurringStop:
		err = w.RecurringStop(sub(), st.Topic)
	case StepRecurringResume:
		err = w.RecurringResume(sub(), st.Topic)
	case StepBlock:
		err = w.Graph.Block(sub().PSID)
	case StepUnblock:
		err = w.Graph.Unblock(sub().PSID)
	case StepAdvance:
		w.Advance(st.Duration)
	case StepAt:
		at := st.At
		if st.Relative {
			at = r.start.Add(st.AtOffset)
		}
		if at.Before(w.Clock.Now()) {
			return []string{fmt.Sprintf("at %s is before the current virtual time %s; time never goes backwards", at.Format(time.RFC3339Nano), w.Clock.Now().Format(time.RFC3339Nano))}, ""
		}
		w.AdvanceTo(at)
	case StepTrigger:
		var only []*sim.Subscriber
		data := st.Data
		if st.Who != "" {
			data = map[string]any{}
			for k, v := range st.Data {
				data[k] = v
			}
			data["psid"] = sub().PSID
			only = append(only, sub())
		}
		err = w.Trigger(st.Trigger, data, only...)
	case StepFault:
		err = armFault(w, st.Fault)
	case StepSend:
		return harnessSend(w, st.Send)
	case StepExpect:
		led := w.Graph.Ledger()
		var fs []findings.Finding
		var problems []string
		who := ""
		r.rules = nil
		for _, e := range st.Expect {
			if e.Kind == ExpectFindings && fs == nil {
				fs = findings.Detect(led, r.checks)
			}
			if p := check(w, led, fs, e); p != "" {
				problems = append(problems, p)
				r.rules = append(r.rules, e.Rule)
				if who == "" {
					who = e.Who
				}
			}
		}
		return problems, who
	}
	if err != nil {
		var refused *sim.RefusedError
		if errors.As(err, &refused) && refused.SignatureRefused() {
			// A correctly signed event refused as unsigned: the bot's
			// signature check is wrong (it verifies anything but the raw
			// bytes, e.g. a re-serialised body), not the trigger contract.
			r.rules = []string{rules.HookSignature}
			return []string{fmt.Sprintf("the bot refused a correctly signed webhook event with HTTP %d: a signature check must verify the raw bytes Meta signed (non-ASCII text comes escaped, \\u00e9)", refused.Status)}, st.Who
		}
		return []string{err.Error()}, st.Who
	}
	return nil, ""
}

// harnessSend posts a Send API call as the bot would, through the same
// in-process route. Its verdict lands in the ledger like any other call.
func harnessSend(w *sim.World, s *SendSpec) ([]string, string) {
	w.Graph.RecordStep("the scenario's send: step, playing a careless bot")
	body := map[string]any{}
	who := s.To
	if s.To != "" {
		sub, _ := w.Subscriber(s.To)
		body["recipient"] = map[string]string{"id": sub.PSID}
		body["messaging_type"] = "RESPONSE"
	} else if s.UserRefOf != "" || s.UserRefValue != "" {
		ref := s.UserRefValue
		if s.UserRefOf != "" {
			who = s.UserRefOf
			sub, _ := w.Subscriber(s.UserRefOf)
			if ref = sub.UserRef; ref == "" {
				return []string{fmt.Sprintf("send: %s has no user_ref (give the subscriber one)", s.UserRefOf)}, who
			}
		}
		body["recipient"] = map[string]string{"user_ref": ref}
		body["messaging_type"] = "RESPONSE"
	} else if s.TokenValue != "" {
		body["recipient"] = map[string]string{"one_time_notif_token": s.TokenValue}
	} else if s.RecurringOf != "" {
		who = s.RecurringOf
		sub, _ := w.Subscriber(s.RecurringOf)
		var value string
		for _, t := range w.Graph.Ledger().Recurring {
			if t.PSID == sub.PSID && (s.RecurringTopic == "" || t.Payload == s.RecurringTopic) {
				value = t.Value
			}
		}
		if value == "" {
			return []string{fmt.Sprintf("send: %s holds no recurring notifications token for topic %q", s.RecurringOf, s.RecurringTopic)}, who
		}
		body["recipient"] = map[string]string{"notification_messages_token": value}
	} else {
		who = s.TokenOf
		sub, _ := w.Subscriber(s.TokenOf)
		toks := w.Graph.Ledger().TokensFor(sub.PSID, s.TokenTopic)
		if len(toks) == 0 {
			return []string{fmt.Sprintf("send: %s holds no token for topic %q", s.TokenOf, s.TokenTopic)}, who
		}
		t := toks[len(toks)-1]
		if s.TokenNth > 0 {
			if s.TokenNth > len(toks) {
				return []string{fmt.Sprintf("send: %s holds %d token(s) for topic %q, not %d", s.TokenOf, len(toks), s.TokenTopic, s.TokenNth)}, who
			}
			t = toks[s.TokenNth-1]
		}
		body["recipient"] = map[string]string{"one_time_notif_token": t.Value}
	}
	switch s.MessagingType {
	case "":
	case "none":
		delete(body, "messaging_type")
	default:
		body["messaging_type"] = s.MessagingType
	}
	if s.Tag != "" {
		body["tag"] = s.Tag
	}
	body["message"] = sendMessage(s)
	raw, _ := json.Marshal(body)
	if s.Encoding == "latin1" {
		raw = latin1Text(raw, s.Text)
	}
	req, _ := http.NewRequest(http.MethodPost, fakegraph.DefaultGraphURL+"/v19.0/me/messages", bytes.NewReader(raw))
	req.Header.Set("Content-Type", "application/json")
	token := w.Graph.Page().AccessToken
	if s.AccessToken != "" {
		token = s.AccessToken
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := w.Graph.Respond(req)
	w.Flush()
	if err != nil {
		// A dropped connection or a lost answer (an armed fault): the
		// call's fate is in the ledger, as it is for a bot.
		return nil, ""
	}
	answer, _ := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	if s.Response != "" {
		if p := checkResponse(s.Response, resp.StatusCode, answer); p != "" {
			return []string{"send: " + p}, who
		}
	}
	return nil, ""
}

// checkResponse compares a Send API answer with a send step's response:
// whether a successful answer omits or includes recipient_id.
func checkResponse(want string, status int, answer []byte) string {
	if status != http.StatusOK {
		return fmt.Sprintf("expected a successful answer to check its recipient_id, got HTTP %d: %s", status, answer)
	}
	var got map[string]any
	if err := json.Unmarshal(answer, &got); err != nil {
		return fmt.Sprintf("the answer is not JSON: %v", err)
	}
	_, has := got["recipient_id"]
	if has != (want == "included") {
		return fmt.Sprintf("expected recipient_id %s in the answer, got %s", want, answer)
	}
	return ""
}

// armFault arms fs in the world's fakegraph, for Send API calls only (the
// bot's other Graph reads, such as the page's region flag, are left alone).
func armFault(w *sim.World, fs *FaultSpec) error {
	f := fs.graphFault()
	if fs.Who != "" {
		s, _ := w.Subscriber(fs.Who)
		f.PSID = s.PSID
	}
	if err := w.Graph.ArmFault(f); err != nil {
		return fmt.Errorf("fault: %w", err)
	}
	return nil
}

// graphFault is fs as fakegraph arms it, for Send API calls only and to
// no subscriber in particular.
func (fs *FaultSpec) graphFault() fakegraph.Fault {
	f := fakegraph.Fault{
		Name:    fs.Name,
		Kind:    fakegraph.FaultKind(fs.Kind),
		Stage:   fakegraph.FaultStage(fs.Stage),
		Path:    "/messages",
		Times:   fs.Times,
		Code:    fs.Code,
		Subcode: fs.Subcode,
		Status:  fs.Status,
		Latency: fs.Latency,
	}
	if fs.Probability != 1 { // 1 is always, fakegraph's 0
		f.Probability = fs.Probability
	}
	return f
}

// sendMessage is the message object of a send step.
func sendMessage(s *SendSpec) map[string]any {
	template := func(p map[string]any) map[string]any {
		return map[string]any{"attachment": map[string]any{"type": "template", "payload": p}}
	}
	switch {
	case s.OTNRequest:
		return template(map[string]any{"template_type": "one_time_notif_req", "title": s.OTNTitle, "payload": s.OTNTopic})
	case s.RecurringRequest != nil:
		p := map[string]any{"template_type": "notification_messages", "payload": s.RecurringRequest.Topic}
		if s.RecurringRequest.Title != "" {
			p["title"] = s.RecurringRequest.Title
		}
		if s.RecurringRequest.Timezone != "" {
			p["notification_messages_timezone"] = s.RecurringRequest.Timezone
		}
		return template(p)
	case s.Template != nil:
		return template(s.Template)
	case s.Attachment != nil:
		return map[string]any{"attachment": s.Attachment}
	}
	m := map[string]any{"text": s.Text}
	if len(s.QuickReplies) > 0 {
		m["quick_replies"] = s.QuickReplies
	}
	return m
}

// latin1Text re-encodes the text of a JSON body as ISO 8859-1 bytes, as a
// bot that gets its encoding wrong sends it; characters beyond Latin-1
// become '?'.
func latin1Text(raw []byte, text string) []byte {
	quoted, _ := json.Marshal(text)
	var latin []byte
	for _, r := range text {
		switch {
		case r == '"' || r == '\\':
			latin = append(latin, '\\', byte(r))
		case r < 0x20:
			esc, _ := json.Marshal(string(r))
			latin = append(latin, esc[1:len(esc)-1]...)
		case r < 0x100:
			latin = append(latin, byte(r))
		default:
			latin = append(latin, '?')
		}
	}
	return bytes.Replace(raw, quoted, append(append([]byte{'"'}, latin...), '"'), 1)
}
