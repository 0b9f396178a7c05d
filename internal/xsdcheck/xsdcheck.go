// Package xsdcheck is a small XML Schema validator for the subset of XSD
// that the JUnit schema otnsim's reports are checked against uses
// (scenarios/testdata/junit.xsd): tests of `otnsim run` and `otnsim check`
// share it.
package xsdcheck

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// The subset: top-level element declarations, anonymous complex types (mixed or
// not) built from sequence, choice and element refs with minOccurs and
// maxOccurs, attributes with a built-in type and use="required", and
// elements of simple type xs:string. Content models are compiled to regular
// expressions over the children's names.

type xnode struct {
	name     string
	attrs    map[string]string
	children []*xnode
	text     string
}

func parseXML(src []byte) (*xnode, error) {
	dec := xml.NewDecoder(bytes.NewReader(src))
	var stack []*xnode
	var root *xnode
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			n := &xnode{name: t.Name.Local, attrs: map[string]string{}}
			for _, a := range t.Attr {
				if a.Name.Space == "xmlns" || a.Name.Local == "xmlns" {
					continue
				}
				n.attrs[a.Name.Local] = a.Value
			}
			if len(stack) > 0 {
				p := stack[len(stack)-1]
				p.children = append(p.children, n)
			} else {
				root = n
			}
			stack = append(stack, n)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		case xml.CharData:
			if len(stack) > 0 {
				stack[len(stack)-1].text += string(t)
			}
		}
	}
	if root == nil {
		return nil, fmt.Errorf("no root element")
	}
	return root, nil
}

type xsdAttr struct {
	typ      string
	required bool
}

type xsdElement struct {
	simple  string // xs:string for text-only elements
	mixed   bool
	attrs   map[string]xsdAttr
	content *regexp.Regexp // over "<child>" names
}

// Schema is a compiled schema: its top-level elements by name.
type Schema map[string]*xsdElement

// Compile reads an XSD document.
func Compile(src []byte) (Schema, error) {
	root, err := parseXML(src)
	if err != nil {
		return nil, err
	}
	s := Schema{}
	for _, el := range root.children {
		if el.name != "element" {
			continue
		}
		e := &xsdElement{attrs: map[string]xsdAttr{}, simple: el.attrs["type"]}
		re := ""
		for _, ct := range el.children {
			if ct.name != "complexType" {
				continue
			}
			e.mixed = ct.attrs["mixed"] == "true"
			for _, c := range ct.children {
				switch c.name {
				case "attribute":
					e.attrs[c.attrs["name"]] = xsdAttr{typ: c.attrs["type"], required: c.attrs["use"] == "required"}
				case "sequence", "choice":
					p, err := particle(c)
					if err != nil {
						return nil, err
					}
					re = p
				}
			}
		}
		e.content = regexp.MustCompile("^" + re + "$")
		s[el.attrs["name"]] = e
	}
	return s, nil
}

// particle turns a sequence, choice or element ref into a regular expression.
func particle(n *xnode) (string, error) {
	var body string
	switch n.name {
	case "element":
		body = regexp.QuoteMeta("<" + n.attrs["ref"] + ">")
	case "sequence", "choice":
		var parts []string
		for _, c := range n.children {
			p, err := particle(c)
			if err != nil {
				return "", err
			}
			parts = append(parts, p)
		}
		sep := ""
		if n.name == "choice" {
			sep = "|"
		}
		body = strings.Join(parts, sep)
	default:
		return "", fmt.Errorf("unsupported XSD particle %q", n.name)
	}
	min, max := n.attrs["minOccurs"], n.attrs["maxOccurs"]
	if min == "" {
		min = "1"
	}
	if max == "" {
		max = "1"
	}
	if max == "unbounded" {
		max = ""
	}
	return "(?:" + body + "){" + min + "," + max + "}", nil
}

var decimalRE = regexp.MustCompile(`^[+-]?(\d+(\.\d*)?|\.\d+)$`)

func checkType(typ, v string) error {
	switch typ {
	case "", "xs:string":
		return nil
	case "xs:decimal":
		if !decimalRE.MatchString(v) {
			return fmt.Errorf("%q is not an xs:decimal", v)
		}
	case "xs:nonNegativeInteger":
		if _, err := strconv.ParseUint(v, 10, 64); err != nil {
			return fmt.Errorf("%q is not an xs:nonNegativeInteger", v)
		}
	case "xs:dateTime":
		for _, layout := range []string{"2006-01-02T15:04:05", "2006-01-02T15:04:05Z07:00", time.RFC3339Nano} {
			if _, err := time.Parse(layout, v); err == nil {
				return nil
			}
		}
		return fmt.Errorf("%q is not an xs:dateTime", v)
	default:
		return fmt.Errorf("unsupported XSD type %q", typ)
	}
	return nil
}

// validate checks doc against s and returns every violation found.
// Validate checks doc against the schema and returns every problem found,
// each prefixed with the path of the element or attribute; none means valid.
func (s Schema) Validate(doc []byte) []string {
	root, err := parseXML(doc)
	if err != nil {
		return []string{err.Error()}
	}
	var errs []string
	var walk func(n *xnode, path string)
	walk = func(n *xnode, path string) {
		path += "/" + n.name
		e, ok := s[n.name]
		if !ok {
			errs = append(errs, path+": element not declared")
			return
		}
		for name, v := range n.attrs {
			a, ok := e.attrs[name]
			if !ok {
				errs = append(errs, fmt.Sprintf("%s: attribute %q not declared", path, name))
				continue
			}
			if err := checkType(a.typ, v); err != nil {
				errs = append(errs, fmt.Sprintf("%s/@%s: %v", path, name, err))
			}
		}
		for name, a := range e.attrs {
			if _, ok := n.attrs[name]; a.required && !ok {
				errs = append(errs, fmt.Sprintf("%s: missing required attribute %q", path, name))
			}
		}
		if e.simple != "" {
			if len(n.children) > 0 {
				errs = append(errs, path+": simple-typed element has child elements")
			}
			return
		}
		if !e.mixed && strings.TrimSpace(n.text) != "" {
			errs = append(errs, path+": text not allowed here")
		}
		var seq strings.Builder
		for _, c := range n.children {
			seq.WriteString("<" + c.name + ">")
		}
		if !e.content.MatchString(seq.String()) {
			errs = append(errs, fmt.Sprintf("%s: children %s do not match the content model", path, seq.String()))
		}
		for _, c := range n.children {
			walk(c, path)
		}
	}
	walk(root, "")
	return errs
}
