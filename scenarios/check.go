package scenarios

import (
	"fmt"
	"sort"
	"strings"

	"github.com/otnsim/otnsim/fakegraph"
	"github.com/otnsim/otnsim/findings"
	"github.com/otnsim/otnsim/sim"
)

// check evaluates one expectation; it returns "" when it holds, else the
// expected versus actual values.
func check(w *sim.World, led fakegraph.Ledger, fs []findings.Finding, e Expectation) string {
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
			label += fmt.Sprintf(" topic %q", e.Topic)
		}
	case ExpectRecurring:
		got = map[string]int{}
		for _, t := range led.Recurring {
			if (psid == "" || t.PSID == psid) && (e.Topic == "" || t.Payload == e.Topic) && (e.Zone == "" || t.Timezone == e.Zone) {
				got["issued"]++
				got[string(t.State)]++
				got["sends"] += len(t.Sends)
				got["rejected_uses"] += len(t.Rejected)
			}
		}
		if e.Topic != "" {
			label += fmt.Sprintf(" topic %q", e.Topic)
		}
		if e.Zone != "" {
			label += " timezone " + e.Zone
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
		if e.Topic != "" {
			label += fmt.Sprintf(" topic %q", e.Topic)
		}
	case ExpectErrors:
		n := 0
		for _, c := range led.CallsFor(psid) {
			// Counted as the bot saw them: refusals, and the errors, dropped
			// connections and lost answers of faults, after the call took
			// effect or before.
			if c.Failed() && (e.Code == 0 || c.Code == e.Code) && (e.Sub == 0 || c.Subcode == e.Sub) && (e.Rule == "" || c.Rule == e.Rule) {
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
	case ExpectFindings:
		n := findings.Count(fs, e.Rule, psid)
		label += " " + e.Rule
		if _, set := e.Counts["count"]; !set {
			if n == 0 {
				return fmt.Sprintf("%s (%s): expected at least one finding, got none%s", label, e.Pos, listFindings(fs))
			}
			return ""
		}
		got = map[string]int{"count": n}
	case ExpectWindow:
		open := w.Graph.WindowOpen(psid)
		if open != *e.Open {
			return fmt.Sprintf("%s (%s): expected open=%t, got open=%t", label, e.Pos, *e.Open, open)
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
	extra := ""
	if e.Kind == ExpectFindings {
		extra = listFindings(fs)
	}
	return fmt.Sprintf("%s (%s): %s%s", label, e.Pos, strings.Join(diffs, "; "), extra)
}

// listFindings names the rules found, for a failure message.
func listFindings(fs []findings.Finding) string {
	if len(fs) == 0 {
		return ""
	}
	seen := map[string]bool{}
	var ids []string
	for _, f := range fs {
		if !seen[f.Rule] {
			seen[f.Rule] = true
			ids = append(ids, f.Rule)
		}
	}
	sort.Strings(ids)
	return " (findings present: " + strings.Join(ids, ", ") + ")"
}

func matchesDelivery(c fakegraph.Call, e Expectation) bool {
	if e.What != "" && string(c.Kind) != e.What {
		return false
	}
	if e.Topic != "" && c.Topic != e.Topic {
		return false
	}
	switch e.Via {
	case "token":
		return c.RecipientKind == fakegraph.RecipientToken
	case "recurring":
		return c.RecipientKind == fakegraph.RecipientNotificationMessagesToken
	case "user_ref":
		return c.RecipientKind == fakegraph.RecipientUserRef
	case "tag":
		return c.RecipientKind == fakegraph.RecipientPSID && c.MessagingType == "MESSAGE_TAG"
	case "id":
		return c.RecipientKind == fakegraph.RecipientPSID && c.MessagingType != "MESSAGE_TAG"
	}
	return c.Kind != fakegraph.KindSenderAction
}
