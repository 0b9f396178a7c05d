package reference

import (
	"encoding/json"
	"math"
	"sync/atomic"
	"time"
	"unicode/utf8"
)

// memEntry is one MemoryStore value: a Go value of a hot record type (a
// normalised copy, never handed out or changed) with its JSON encoding made
// on demand, or only the JSON encoding.
type memEntry struct {
	val any // *subscriberRec, tokenRec, int64, float64, bool; nil: raw only
	raw atomic.Pointer[[]byte]
}

func rawEntry(raw []byte) *memEntry {
	e := &memEntry{}
	e.raw.Store(&raw)
	return e
}

// bytes returns the entry's JSON encoding.
func (e *memEntry) bytes() []byte {
	if p := e.raw.Load(); p != nil {
		return *p
	}
	raw, err := json.Marshal(e.val)
	if err != nil { // typedEntry only keeps values that encode
		panic("store: typed value does not encode: " + err.Error())
	}
	e.raw.Store(&raw)
	return raw
}

// typedEntry keeps v as a Go value when a JSON round trip would give back
// exactly its normalised copy; otherwise it returns nil and v is encoded.
func typedEntry(v any) *memEntry {
	switch x := v.(type) {
	case *subscriberRec:
		if c, ok := cloneSubscriber(x); ok {
			return &memEntry{val: c}
		}
	case *tokenRec:
		if c, ok := normToken(*x); ok {
			return &memEntry{val: c}
		}
	case tokenRec:
		if c, ok := normToken(x); ok {
			return &memEntry{val: c}
		}
	case int64, bool:
		return &memEntry{val: x}
	case float64:
		if !math.IsNaN(x) && !math.IsInf(x, 0) {
			return &memEntry{val: x}
		}
	}
	return nil
}

// load decodes the entry into v without JSON when it can, as json.Unmarshal
// would; it reports false when the caller must decode bytes instead.
func (e *memEntry) load(v any) bool {
	switch d := v.(type) {
	case *subscriberRec:
		s, ok := e.val.(*subscriberRec)
		if !ok || !zeroSubscriber(d) {
			return false
		}
		*d, _ = cloneSubscriberValue(s)
		return true
	case *tokenRec:
		t, ok := e.val.(tokenRec)
		if !ok || *d != (tokenRec{}) {
			return false
		}
		*d = t
		return true
	case *int64:
		n, ok := e.val.(int64)
		if ok {
			*d = n
		}
		return ok
	case *float64:
		f, ok := e.val.(float64)
		if ok {
			*d = f
		}
		return ok
	case *bool:
		b, ok := e.val.(bool)
		if ok {
			*d = b
		}
		return ok
	}
	return false
}

// normTime is t as a JSON round trip gives it back: UTC, no monotonic
// reading. Times in other zones or outside years 0-9999 are left to JSON.
func normTime(t time.Time) (time.Time, bool) {
	if y := t.Year(); y < 0 || y > 9999 {
		return t, false
	}
	if _, off := t.Zone(); off != 0 {
		return t, false
	}
	return t.UTC(), true
}

func normToken(t tokenRec) (tokenRec, bool) {
	ok1, ok2 := true, true
	t.IssuedAt, ok1 = normTime(t.IssuedAt)
	t.UsedAt, ok2 = normTime(t.UsedAt)
	return t, ok1 && ok2 && validStrings(t.PSID, t.Topic, t.Value, t.State)
}

func validStrings(ss ...string) bool {
	for _, s := range ss {
		if !utf8.ValidString(s) {
			return false
		}
	}
	return true
}

func zeroSubscriber(s *subscriberRec) bool {
	return s.PSID == "" && s.LastWindow.IsZero() && s.LastActive.IsZero() && !s.Blocked &&
		!s.RegionAffected && s.Country == "" && s.Locale == "" && s.Tags == nil && s.Segments == nil &&
		s.AskedTopic == nil && s.Asked == nil && s.LastNotified == nil && s.LastWindow == (time.Time{}) &&
		s.LastActive == (time.Time{}) && !s.AdPending && s.WindowUntil == (time.Time{})
}

func cloneSubscriber(s *subscriberRec) (*subscriberRec, bool) {
	c, ok := cloneSubscriberValue(s)
	return &c, ok
}

// cloneSubscriberValue deep-copies s as a JSON round trip would give it back
// (empty lists and maps become nil); false when one cannot be sure of that.
func cloneSubscriberValue(s *subscriberRec) (subscriberRec, bool) {
	c := *s
	ok := validStrings(s.PSID, s.Country, s.Locale)
	var k bool
	if c.LastWindow, k = normTime(s.LastWindow); !k {
		ok = false
	}
	if c.LastActive, k = normTime(s.LastActive); !k {
		ok = false
	}
	if c.WindowUntil, k = normTime(s.WindowUntil); !k {
		ok = false
	}
	c.Tags, k = cloneStrings(s.Tags)
	ok = ok && k
	c.Segments, k = cloneStrings(s.Segments)
	ok = ok && k
	c.AskedTopic = nil
	if len(s.AskedTopic) > 0 {
		c.AskedTopic = make(map[string]time.Time, len(s.AskedTopic))
		for topic, at := range s.AskedTopic {
			if c.AskedTopic[topic], k = normTime(at); !k || !utf8.ValidString(topic) {
				ok = false
			}
		}
	}
	c.Asked = nil
	if len(s.Asked) > 0 {
		c.Asked = make([]time.Time, len(s.Asked))
		for i, at := range s.Asked {
			if c.Asked[i], k = normTime(at); !k {
				ok = false
			}
		}
	}
	if s.LastNotified != nil {
		n := *s.LastNotified
		if n.At, k = normTime(n.At); !k || !validStrings(n.Campaign, n.Topic) {
			ok = false
		}
		c.LastNotified = &n
	}
	return c, ok
}

func cloneStrings(ss []string) ([]string, bool) {
	if len(ss) == 0 {
		return nil, true
	}
	return append([]string(nil), ss...), validStrings(ss...)
}
