package scenarios

import (
	"regexp"
	"slices"
	"strings"
)

// Filter selects scenarios to run.
type Filter struct {
	// Run, when set, keeps scenarios whose name or file matches.
	Run *regexp.Regexp
	// Tags keeps scenarios carrying any of these tags; a tag written "-x"
	// drops scenarios tagged x instead. Empty keeps all.
	Tags []string
}

// Select returns the scenarios of all that f keeps, in order.
func Select(all []*Scenario, f Filter) []*Scenario {
	var want, drop []string
	for _, t := range f.Tags {
		t = strings.TrimSpace(t)
		switch {
		case t == "":
		case strings.HasPrefix(t, "-"):
			drop = append(drop, t[1:])
		default:
			want = append(want, t)
		}
	}
	var out []*Scenario
	for _, sc := range all {
		if f.Run != nil && !f.Run.MatchString(sc.Name) && !f.Run.MatchString(sc.File) {
			continue
		}
		if len(want) > 0 && !hasAny(sc.Tags, want) {
			continue
		}
		if hasAny(sc.Tags, drop) {
			continue
		}
		out = append(out, sc)
	}
	return out
}

func hasAny(tags, any []string) bool {
	for _, t := range tags {
		if slices.Contains(any, t) {
			return true
		}
	}
	return false
}
