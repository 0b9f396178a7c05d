package yamlpos_test

import (
	"reflect"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"go.yaml.in/yaml/v3"

	"github.com/otnsim/otnsim/internal/yamlpos"
)

type knobs struct {
	Wait  time.Duration  `yaml:"wait"`
	At    time.Time      `yaml:"at"`
	Small int8           `yaml:"small"`
	Ratio float64        `yaml:"ratio"`
	Tags  []string       `yaml:"tags"`
	Data  map[string]any `yaml:"data"`
	Inner struct {
		On bool `yaml:"on"`
	} `yaml:"inner"`
	Kept   string `yaml:"kept"`
	hidden string
}

// decode reads src into v and returns the mistakes, rendered.
func decode(src string, v any) []string {
	root, errs := yamlpos.Document("f.yaml", []byte(src))
	Expect(errs).To(BeEmpty())
	d := &yamlpos.Decoder{File: "f.yaml", Top: "the file"}
	d.Into(root, reflect.ValueOf(v).Elem(), "")
	var out []string
	for _, e := range d.Errs.Sorted() {
		out = append(out, e.Error())
	}
	return out
}

var _ = Describe("Decoder.Into", func() {
	It("sets what the file has and keeps the rest", func() {
		k := knobs{Kept: "default"}
		Expect(decode("wait: 1y1ms\nat: 2026-01-05T09:00:00+01:00\nsmall: -3\nratio: 0.5\ntags: [a, b]\ndata: {x: 1, y: ~}\ninner: {on: yes}\n", &k)).To(BeEmpty())
		Expect(k.Wait).To(Equal(365*24*time.Hour + time.Millisecond))
		Expect(k.At).To(Equal(time.Date(2026, 1, 5, 8, 0, 0, 0, time.UTC)))
		Expect(k.Small).To(Equal(int8(-3)))
		Expect(k.Tags).To(Equal([]string{"a", "b"}))
		Expect(k.Data).To(Equal(map[string]any{"x": 1, "y": nil}))
		Expect(k.Inner.On).To(BeTrue())
		Expect(k.Kept).To(Equal("default"))
	})

	It("reports every mistake with its position and a hint", func() {
		var k knobs
		Expect(decode("wiat: 1s\nsmall: 300\nratio: .nan\ndata: {x: 1, x: 2}\ninner: {on: maybe}\nhidden: x\n", &k)).To(Equal([]string{
			`f.yaml:1:1: unknown field "wiat" in the file (did you mean "wait"?)`,
			`f.yaml:2:8: small: 300 is out of range`,
			`f.yaml:3:8: ratio must be a number, got ".nan"`,
			`f.yaml:4:14: field "x" appears twice in data`,
			`f.yaml:5:13: inner.on must be true or false, got "maybe"`,
			`f.yaml:6:1: unknown field "hidden" in the file (expected one of: at, data, inner, kept, ratio, small, tags, wait)`,
		}))
	})
})

var _ = Describe("Find", func() {
	root := func(src string) *yaml.Node {
		n, errs := yamlpos.Document("f.yaml", []byte(src))
		Expect(errs).To(BeEmpty())
		return n
	}

	It("finds the node a path names, or the deepest one the file has", func() {
		n := root("regions:\n  - {code: US}\n  - {code: XX, weight: 0}\n")
		at := func(path string) [2]int { f := yamlpos.Find(n, path); return [2]int{f.Line, f.Column} }
		Expect(at("regions[1].weight")).To(Equal([2]int{3, 24}))
		Expect(at("regions[0].weight")).To(Equal([2]int{2, 5}))
		Expect(at("regions[7]")).To(Equal([2]int{2, 3}))
		Expect(at("nothing.here")).To(Equal([2]int{1, 1}))
	})
})

var _ = Describe("Document", func() {
	It("reads nothing from an empty file and refuses a second document", func() {
		n, errs := yamlpos.Document("f.yaml", []byte("# only a comment\n"))
		Expect(n).To(BeNil())
		Expect(errs).To(BeEmpty())
		_, errs = yamlpos.Document("f.yaml", []byte("a: 1\n---\nb: 2\n"))
		Expect(errs.Error()).To(Equal("f.yaml:2:1: the file holds one YAML document; found another"))
	})
})
