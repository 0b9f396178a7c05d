package profile_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/otnsim/otnsim/load/profile"
)

// FuzzParse checks that profile parsing never panics and that whatever it
// accepts is a usable profile: regions to draw from, positive weights.
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob("../profiles/*.yaml")
	for _, name := range files {
		if b, err := os.ReadFile(name); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte("name: x\nregions: [{code: US, weight: 1}]\n"))
	f.Add([]byte("writes_per_day: {mean: -1}\n"))
	f.Fuzz(func(t *testing.T, src []byte) {
		p, err := profile.Parse(src)
		if err != nil {
			return
		}
		if len(p.Regions) == 0 {
			t.Fatalf("accepted a profile without regions: %q", src)
		}
		for _, r := range p.Regions {
			if r.Weight <= 0 || r.Locale == "" || len(r.Timezones) == 0 {
				t.Fatalf("accepted an unusable region %+v from %q", r, src)
			}
		}
	})
}
