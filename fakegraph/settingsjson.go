package fakegraph

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/otnsim/otnsim/internal/yamlpos"
	"github.com/otnsim/otnsim/sim/clock"
)

// The control API shows and takes the settings under the names a scenario
// file's world.settings uses: Settings' yaml tags, read through yamlpos's
// table like the scenario decoder reads them. Durations are strings in
// otnsim's syntax ("24h", "30d"; clock.ParseDuration), times RFC 3339
// strings, a zero time null.

var (
	durationType = reflect.TypeOf(time.Duration(0))
	timeType     = reflect.TypeOf(time.Time{})
)

// Validate reports every setting out of its range, named as in a scenario
// file (rate_limit.per_page_per_second), or nil. DefaultSettings() is valid.
func (s Settings) Validate() error {
	var p []string
	atLeast := func(name string, v, min int) {
		if v < min {
			p = append(p, fmt.Sprintf("%s must be at least %d, got %d", name, min, v))
		}
	}
	positive := func(name string, d time.Duration) {
		if d <= 0 {
			p = append(p, fmt.Sprintf("%s must be a duration above 0, got %q", name, clock.FormatDuration(d)))
		}
	}
	set := func(name string, t time.Time) {
		if t.IsZero() {
			p = append(p, name+" must be a time, got null")
		}
	}
	rate := func(name string, f float64) {
		if !(f >= 0 && f <= 1) {
			p = append(p, fmt.Sprintf("%s must be between 0 and 1, got %v", name, f))
		}
	}
	countries := func(name string, cs []string) {
		for i, c := range cs {
			if len(c) != 2 || c[0] < 'A' || c[0] > 'Z' || c[1] < 'A' || c[1] > 'Z' {
				p = append(p, fmt.Sprintf("%s[%d] must be a two-letter upper-case country code like DE, got %q", name, i, c))
			}
		}
	}
	atLeast("token_error_code", s.TokenErrorCode, 1)
	atLeast("permission_error_code", s.PermissionErrorCode, 1)
	if s.ErrorStatus < 400 || s.ErrorStatus > 599 {
		p = append(p, fmt.Sprintf("error_status must be an HTTP error status (400 to 599), got %d", s.ErrorStatus))
	}
	if s.TokenLength < 8 || s.TokenLength > 1024 {
		p = append(p, fmt.Sprintf("token_length must be 8 to 1024 bytes, got %d", s.TokenLength))
	}
	atLeast("max_request_payload_runes", s.MaxRequestPayloadRunes, 1)
	atLeast("request_spam_limit", s.RequestSpamLimit, 0)
	positive("request_spam_window", s.RequestSpamWindow)
	atLeast("request_spam_subcode", s.RequestSpamSubcode, 0)
	countries("region.europe", s.Region.Europe)
	set("region.europe_from", s.Region.EuropeFrom)
	countries("region.japan", s.Region.Japan)
	set("region.japan_from", s.Region.JapanFrom)
	atLeast("region.error_code", s.Region.ErrorCode, 1)
	rl := s.RateLimit
	atLeast("rate_limit.per_page_per_second", rl.PerPagePerSecond, 1)
	atLeast("rate_limit.media_per_second", rl.MediaPerSecond, 1)
	atLeast("rate_limit.daily_per_user", rl.DailyPerUser, 1)
	atLeast("rate_limit.thread_burst", rl.ThreadBurst, 0)
	positive("rate_limit.thread_window", rl.ThreadWindow)
	atLeast("rate_limit.page_code", rl.PageCode, 1)
	atLeast("rate_limit.media_code", rl.MediaCode, 1)
	atLeast("rate_limit.daily_code", rl.DailyCode, 1)
	atLeast("rate_limit.thread_code", rl.ThreadCode, 1)
	wh := s.Webhook
	positive("webhook.timeout", wh.Timeout)
	if wh.Retries < 0 || wh.Retries > 20 {
		p = append(p, fmt.Sprintf("webhook.retries must be 0 to 20, got %d", wh.Retries))
	}
	positive("webhook.backoff", wh.Backoff)
	rate("webhook.duplicate_rate", wh.DuplicateRate)
	rate("webhook.reorder_rate", wh.ReorderRate)
	positive("webhook.reorder_delay", wh.ReorderDelay)
	set("retired_tags_date", s.RetiredTagsDate)
	positive("token_lifetime", s.TokenLifetime)
	positive("ad_window", s.AdWindow)
	set("ad_window_from", s.AdWindowFrom)
	if s.Content != ContentRich && s.Content != ContentBasic {
		p = append(p, fmt.Sprintf("content must be %s or %s, got %q", ContentRich, ContentBasic, s.Content))
	}
	rn := s.Recurring
	positive("recurring.repeat_window", rn.RepeatWindow)
	atLeast("recurring.max_requests", rn.MaxRequests, 0)
	positive("recurring.cooldown", rn.Cooldown)
	positive("recurring.cooldown_48h", rn.Cooldown48h)
	set("recurring.cooldown_48h_from", rn.Cooldown48From)
	atLeast("recurring.follow_ups", rn.FollowUps, 0)
	positive("recurring.follow_ups_within", rn.FollowUpsWithin)
	positive("recurring.token_lifetime", rn.TokenLifetime)
	set("recurring.deprecated_from", rn.DeprecatedFrom)
	if rn.AfterDeprecation != "refuse" && rn.AfterDeprecation != "allow" {
		p = append(p, fmt.Sprintf("recurring.after_deprecation must be refuse or allow, got %q", rn.AfterDeprecation))
	}
	atLeast("recurring.deprecated_code", rn.DeprecatedCode, 1)
	if len(p) > 0 {
		return errors.New(strings.Join(p, "; "))
	}
	return nil
}

// UpdateSettings replaces the settings in effect with set, once Validate
// accepts it. Calls already being judged finish under the old settings;
// every later one sees the new.
func (s *Server) UpdateSettings(set Settings) error {
	if err := set.Validate(); err != nil {
		return err
	}
	s.mu.Lock()
	s.settings.Store(&set)
	s.mu.Unlock()
	return nil
}

// settingJSON renders the setting at the dotted yaml path name of the
// Settings value v as SettingsJSON would; "" when there is none.
func settingJSON(v reflect.Value, name string) string {
	for _, part := range strings.Split(name, ".") {
		_, index := yamlpos.FieldNames(v.Type())
		idx, ok := index[part]
		if !ok {
			return ""
		}
		v = v.FieldByIndex(idx)
	}
	return string(appendSettingValue(nil, v))
}

// SettingsJSON renders set as the control API shows it: world.settings'
// names in declaration order, durations in otnsim's syntax.
func SettingsJSON(set Settings) []byte {
	return appendSettingValue(nil, reflect.ValueOf(set))
}

func appendSettingValue(b []byte, v reflect.Value) []byte {
	switch v.Type() {
	case durationType:
		return appendJSONString(b, clock.FormatDuration(time.Duration(v.Int())))
	case timeType:
		t := v.Interface().(time.Time)
		if t.IsZero() {
			return append(b, "null"...)
		}
		return appendJSONString(b, t.UTC().Format(time.RFC3339Nano))
	}
	switch v.Kind() {
	case reflect.Struct:
		names, index := yamlpos.FieldNames(v.Type())
		b = append(b, '{')
		for i, n := range names {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJSONString(b, n)
			b = append(b, ':')
			b = appendSettingValue(b, v.FieldByIndex(index[n]))
		}
		return append(b, '}')
	case reflect.Slice:
		b = append(b, '[')
		for i := 0; i < v.Len(); i++ {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendSettingValue(b, v.Index(i))
		}
		return append(b, ']')
	}
	raw, _ := json.Marshal(v.Interface())
	return append(b, raw...)
}

// PatchSettings merges the JSON object patch over cur: the objects it holds
// merge field by field, any other value replaces the field's, and null puts
// the field back to its default (DefaultSettings). The result is validated.
// An error names every bad field, as in a scenario file.
func PatchSettings(cur Settings, patch []byte) (Settings, error) {
	dec := json.NewDecoder(bytes.NewReader(patch))
	dec.UseNumber()
	var doc any
	if err := dec.Decode(&doc); err != nil {
		return cur, fmt.Errorf("malformed JSON body: %v", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return cur, errors.New("malformed JSON body: more than one JSON value")
	}
	if _, ok := doc.(map[string]any); !ok {
		return cur, fmt.Errorf("the body must be a JSON object of settings, got %s", describeJSON(doc))
	}
	out := cur
	var p patcher
	p.apply(reflect.ValueOf(&out).Elem(), reflect.ValueOf(DefaultSettings()), doc, "")
	if len(p.problems) > 0 {
		return cur, errors.New(strings.Join(p.problems, "; "))
	}
	if err := out.Validate(); err != nil {
		return cur, err
	}
	return out, nil
}

type patcher struct{ problems []string }

func (p *patcher) fail(format string, args ...any) {
	p.problems = append(p.problems, fmt.Sprintf(format, args...))
}

// apply sets v (whose default is def) from the decoded JSON value x; name
// is v's dotted path, "" for the whole settings.
func (p *patcher) apply(v, def reflect.Value, x any, name string) {
	if x == nil {
		if name == "" {
			p.fail("the body must be a JSON object of settings, got null")
			return
		}
		v.Set(def)
		return
	}
	switch v.Type() {
	case durationType:
		s, ok := x.(string)
		if !ok {
			p.fail(`%s must be a duration string like "24h" or "30d", got %s`, name, describeJSON(x))
			return
		}
		d, err := clock.ParseDuration(s)
		if err != nil {
			p.fail("%s: %v", name, err)
			return
		}
		v.SetInt(int64(d))
		return
	case timeType:
		s, ok := x.(string)
		t, err := time.Parse(time.RFC3339Nano, s)
		if !ok || err != nil {
			p.fail("%s must be an RFC 3339 time like \"2026-01-05T09:00:00Z\" (or null), got %s", name, describeJSON(x))
			return
		}
		v.Set(reflect.ValueOf(t.UTC()))
		return
	}
	switch v.Kind() {
	case reflect.Struct:
		m, ok := x.(map[string]any)
		if !ok {
			p.fail("%s must be an object, got %s", orSettings(name), describeJSON(x))
			return
		}
		names, index := yamlpos.FieldNames(v.Type())
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			path := k
			if name != "" {
				path = name + "." + k
			}
			idx, ok := index[k]
			if !ok {
				hint := yamlpos.Suggest(k, names)
				if hint != "" {
					hint = " (" + hint + ")"
				}
				p.fail("unknown field %q in %s%s", k, orSettings(name), hint)
				continue
			}
			p.apply(v.FieldByIndex(idx), def.FieldByIndex(idx), m[k], path)
		}
	case reflect.Slice:
		xs, ok := x.([]any)
		if !ok {
			p.fail("%s must be a list, got %s", name, describeJSON(x))
			return
		}
		s := reflect.MakeSlice(v.Type(), len(xs), len(xs))
		for i, e := range xs {
			p.apply(s.Index(i), reflect.New(v.Type().Elem()).Elem(), e, fmt.Sprintf("%s[%d]", name, i))
		}
		v.Set(s)
	case reflect.Bool:
		b, ok := x.(bool)
		if !ok {
			p.fail("%s must be true or false, got %s", name, describeJSON(x))
			return
		}
		v.SetBool(b)
	case reflect.String:
		s, ok := x.(string)
		if !ok {
			p.fail("%s must be a string, got %s", name, describeJSON(x))
			return
		}
		v.SetString(s)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		n, ok := x.(json.Number)
		i, err := n.Int64()
		if !ok || err != nil || v.OverflowInt(i) {
			p.fail("%s must be a whole number, got %s", name, describeJSON(x))
			return
		}
		v.SetInt(i)
	case reflect.Float32, reflect.Float64:
		n, ok := x.(json.Number)
		f, err := n.Float64()
		if !ok || err != nil {
			p.fail("%s must be a number, got %s", name, describeJSON(x))
			return
		}
		v.SetFloat(f)
	default:
		p.fail("%s cannot be set", name)
	}
}

func orSettings(name string) string {
	if name == "" {
		return "the settings"
	}
	return name
}

// describeJSON renders a decoded JSON value for a message, cut short.
func describeJSON(x any) string {
	if x == nil {
		return "null"
	}
	b, _ := json.Marshal(x)
	if len(b) > 40 {
		b = append(b[:37:37], "..."...)
	}
	return string(b)
}

func (s *Server) ctlSettings(w http.ResponseWriter) {
	w.Header()["Content-Type"] = jsonHeader
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(append(SettingsJSON(*s.set()), '\n'))
}

func (s *Server) ctlPatchSettings(w http.ResponseWriter, r *http.Request) *Error {
	body, gerr := readControlBody(r)
	if gerr != nil {
		return gerr
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return errControl(http.StatusBadRequest, "settings: the body must be a JSON object of settings, e.g. {\"rate_limit\":{\"disabled\":true}}")
	}
	// The merge runs under mu, so that two patches at once both apply.
	s.mu.Lock()
	set, err := PatchSettings(*s.set(), body)
	if err == nil {
		s.settings.Store(&set)
	}
	s.mu.Unlock()
	if err != nil {
		return errControl(http.StatusBadRequest, "settings: %v", err)
	}
	s.ctlSettings(w)
	return nil
}
