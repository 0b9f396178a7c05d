package scenarios

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/otnsim/otnsim/fakegraph"
	"github.com/otnsim/otnsim/reference"
	"github.com/otnsim/otnsim/sim"
)

// Result is the outcome of one scenario.
type Result struct {
	File     string
	Name     string
	Passed   bool
	Failure  *Failure // nil when Passed
	Elapsed  time.Duration
	Steps    int           // steps run
	Virtual  time.Duration // virtual time that passed
	Assumed  bool          // a verdict the scenario relied on rests on an [assumed] fact
	Findings []string      // rule ids of refused Send API calls
}

// Failure says where and why a scenario failed.
type Failure struct {
	Step     int // 1-based index of the failing step
	Pos      Pos
	StepName string
	Problems []string // expected versus actual, one per line
	Who      string   // the subscriber the failure concerns, if any
	Timeline []string // that subscriber's timeline in virtual time
}

// RunOptions tunes a run.
type RunOptions struct {
	// Seed overrides every scenario's seed when non-zero.
	Seed int64
	// Bot builds the bot under test; nil means the reference bot configured
	// by the scenario's bot section.
	Bot func(*Scenario) sim.BotFactory
	// AfterStep, when set, runs after every step that succeeded; an error
	// fails the scenario at that step. A bot outside the process gets its
	// tick trigger after clock advances through it.
	AfterStep func(w *sim.World, st *Step) error
	// PSID, when set, names every subscriber's PSID, so that scenarios
	// sharing one bot process never share a PSID.
	PSID func() string
}

// ReferenceBot returns a factory for the reference bot with sc's policy.
func ReferenceBot(sc *Scenario) sim.BotFactory {
	return func(env sim.BotEnv) (http.Handler, error) {
		return reference.New(reference.Config{
			GraphURL:        env.GraphURL,
			PageID:          env.PageID,
			PageAccessToken: env.PageAccessToken,
			AppSecret:       env.AppSecret,
			VerifyToken:     env.VerifyToken,
			Client:          env.Client,
			Clock:           env.Clock,
			Setup:           sc.Bot,
		}), nil
	}
}

// Run plays sc in a fresh world and checks its expectations.
func Run(sc *Scenario, opts RunOptions) Result {
	began := time.Now()
	res := Result{File: sc.File, Name: sc.Name}
	seed := sc.Seed
	if opts.Seed != 0 {
		seed = opts.Seed
	}
	botFor := opts.Bot
	if botFor == nil {
		botFor = ReferenceBot
	}
	page := fakegraph.DefaultPage()
	page.OTNApproved = sc.Page.OTNApproved
	fail := func(i int, st *Step, who string, w *sim.World, problems ...string) Result {
		res.Failure = &Failure{Step: i + 1, Pos: sc.posOf(st), Problems: problems, Who: who}
		if st != nil {
			res.Failure.StepName = string(st.Kind)
		}
		if w != nil && who != "" {
			res.Failure.Timeline = timeline(w, who)
		}
		res.Elapsed = time.Since(began)
		return res
	}
	w, err := sim.NewWorld(sim.Options{Seed: seed, Start: sc.Start, Page: page, Bot: botFor(sc), PSID: opts.PSID})
	if err != nil {
		return fail(-1, nil, "", nil, err.Error())
	}
	start := w.Clock.Now()
	for _, spec := range sc.Subscribers {
		if _, err := w.AddSubscriber(sim.SubscriberSpec{Alias: spec.Alias, Name: spec.Name, Region: spec.Region, Locale: spec.Locale}); err != nil {
			return fail(-1, nil, "", nil, fmt.Sprintf("%s: %v", spec.Pos, err))
		}
	}
	for i := range sc.Steps {
		st := &sc.Steps[i]
		res.Steps = i + 1
		if problems, who := runStep(w, st); len(problems) > 0 {
			return fail(i, st, who, w, problems...)
		}
		if opts.AfterStep != nil {
			if err := opts.AfterStep(w, st); err != nil {
				return fail(i, st, st.Who, w, err.Error())
			}
		}
	}
	led := w.Graph.Ledger()
	for _, c := range led.Calls {
		if !c.OK && c.Rule != "" {
			res.Findings = append(res.Findings, c.Rule)
		}
		if c.Assumed {
			res.Assumed = true
		}
	}
	res.Virtual = w.Clock.Now().Sub(start)
	res.Passed = true
	res.Elapsed = time.Since(began)
	return res
}

func (sc *Scenario) posOf(st *Step) Pos {
	if st == nil {
		return Pos{File: sc.File, Line: 1, Col: 1}
	}
	return st.Pos
}

// runStep plays one step. It returns problems (empty on success) and the
// alias of the subscriber concerned.
func runStep(w *sim.World, st *Step) ([]string, string) {
	sub := func() *sim.Subscriber { s, _ := w.Subscriber(st.Who); return s }
	var err error
	switch st.Kind {
	case StepSay:
		err = w.Say(sub(), st.Text)
	case StepPostback:
		err = w.Postback(sub(), st.Title, st.Payload)
	case StepNotifyMe:
		_, err = w.NotifyMe(sub(), st.Topic)
	case StepBlock:
		err = w.Graph.Block(sub().PSID)
	case StepUnblock:
		err = w.Graph.Unblock(sub().PSID)
	case StepAdvance:
		w.Advance(st.Duration)
	case StepAt:
		if st.At.Before(w.Clock.Now()) {
			return []string{fmt.Sprintf("at %s is before the current virtual time %s; time never goes backwards", st.At.Format(time.RFC3339Nano), w.Clock.Now().Format(time.RFC3339Nano))}, ""
		}
		w.Clock.AdvanceTo(st.At)
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
	case StepSend:
		return harnessSend(w, st.Send)
	case StepExpect:
		led := w.Graph.Ledger()
		var problems []string
		who := ""
		for _, e := range st.Expect {
			if p := check(w, led, e); p != "" {
				problems = append(problems, p)
				if who == "" {
					who = e.Who
				}
			}
		}
		return problems, who
	}
	if err != nil {
		return []string{err.Error()}, st.Who
	}
	return nil, ""
}

// harnessSend posts a Send API call as the bot would, through the same
// in-process route. Its verdict lands in the ledger like any other call.
func harnessSend(w *sim.World, s *SendSpec) ([]string, string) {
	body := map[string]any{}
	who := s.To
	if s.To != "" {
		sub, _ := w.Subscriber(s.To)
		body["recipient"] = map[string]string{"id": sub.PSID}
		body["messaging_type"] = "RESPONSE"
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
	if s.MessagingType != "" {
		body["messaging_type"] = s.MessagingType
	}
	if s.Tag != "" {
		body["tag"] = s.Tag
	}
	if s.OTNTopic != "" {
		body["message"] = map[string]any{"attachment": map[string]any{"type": "template", "payload": map[string]string{
			"template_type": "one_time_notif_req", "title": s.OTNTitle, "payload": s.OTNTopic}}}
	} else {
		body["message"] = map[string]string{"text": s.Text}
	}
	raw, _ := json.Marshal(body)
	req, _ := http.NewRequest(http.MethodPost, fakegraph.DefaultGraphURL+"/v19.0/me/messages", bytes.NewReader(raw))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+w.Graph.Page().AccessToken)
	resp, err := w.Graph.Respond(req)
	if err != nil {
		return []string{err.Error()}, who
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
	return nil, ""
}

// check evaluates one expectation; it returns "" when it holds.
func check(w *sim.World, led fakegraph.Ledger, e Expectation) string {
	psid := ""
	if e.Who != "" {
		s, _ := w.Subscriber(e.Who)
		psid = s.PSID
	}
	var got map[string]int
	label := string(e.Kind)
	if e.Who != "" {
		label += " " + e.Who
	}
	switch e.Kind {
	case ExpectTokens:
		got = map[string]int{}
		for _, t := range led.TokensFor(psid, e.Topic) {
			got["issued"]++
			got[string(t.State)]++
			got["rejected_uses"] += len(t.Rejected)
		}
		if e.Topic != "" {
			label += " topic " + fmt.Sprintf("%q", e.Topic)
		}
	case ExpectDelivered:
		n := 0
		for _, c := range led.CallsFor(psid) {
			if c.OK && matchesDelivery(c, e) {
				n++
			}
		}
		got = map[string]int{"count": n}
		if e.What != "" {
			label += " " + e.What
		}
		if e.Via != "" {
			label += " via " + e.Via
		}
	case ExpectErrors:
		n := 0
		for _, c := range led.CallsFor(psid) {
			if !c.OK && (e.Code == 0 || c.Code == e.Code) && (e.Sub == 0 || c.Subcode == e.Sub) && (e.Rule == "" || c.Rule == e.Rule) {
				n++
			}
		}
		got = map[string]int{"count": n}
		if e.Code != 0 {
			label += fmt.Sprintf(" code %d", e.Code)
		}
		if e.Sub != 0 {
			label += fmt.Sprintf("/%d", e.Sub)
		}
		if e.Rule != "" {
			label += " rule " + e.Rule
		}
	case ExpectWindow:
		open := w.Graph.WindowOpen(psid)
		if open != *e.Open {
			return fmt.Sprintf("%s: expected open=%t, got open=%t", label, *e.Open, open)
		}
		return ""
	}
	var diffs []string
	for _, k := range countFields[e.Kind] {
		want, set := e.Counts[k]
		if set && got[k] != want {
			diffs = append(diffs, fmt.Sprintf("%s: expected %d, got %d", k, want, got[k]))
		}
	}
	if len(diffs) == 0 {
		return ""
	}
	return fmt.Sprintf("%s (%s): %s", label, e.Pos, strings.Join(diffs, "; "))
}

func matchesDelivery(c fakegraph.Call, e Expectation) bool {
	if e.What != "" && string(c.Kind) != e.What {
		return false
	}
	switch e.Via {
	case "token":
		return c.RecipientKind == fakegraph.RecipientToken
	case "tag":
		return c.RecipientKind == fakegraph.RecipientPSID && c.MessagingType == "MESSAGE_TAG"
	case "id":
		return c.RecipientKind == fakegraph.RecipientPSID && c.MessagingType != "MESSAGE_TAG"
	}
	return c.Kind != fakegraph.KindSenderAction
}

// timeline renders alias's timeline in virtual time, relative to nothing:
// absolute RFC 3339 instants, one event per line.
func timeline(w *sim.World, alias string) []string {
	s, ok := w.Subscriber(alias)
	if !ok {
		return nil
	}
	led := w.Graph.Ledger()
	var out []string
	for _, e := range led.Timeline(s.PSID) {
		out = append(out, e.At.UTC().Format("2006-01-02T15:04:05.000Z")+"  "+e.Text)
	}
	return out
}
