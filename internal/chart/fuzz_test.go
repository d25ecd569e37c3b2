package chart

import (
	"encoding/xml"
	"io"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzSVGText puts arbitrary text in every place a playbook, a fact or a person can put text:
// the SVG must stay well-formed XML, with one row per obligation, and the heading must read back
// as written, less what XML cannot carry.
func FuzzSVGText(f *testing.F) {
	for _, seed := range []string{"", "<script>alert(1)</script>", "a & b", `"'`, "\x00\x01\x1b", "]]>", "\xff\xfe", "\uFFFE", "<!--", "&amp;", strings.Repeat("é", 400)} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, s string) {
		st, log := fixture()
		st.Title = s
		for i := range st.Obligations {
			st.Obligations[i].Title = s
		}
		st.Obligations[2].Hold.RequestedBy = s
		for i := range log {
			log[i].Detail = s
		}
		tl := FromStatus(st, log)
		tl.Notes = []string{s}
		svg := tl.SVG()
		d := xml.NewDecoder(strings.NewReader(svg))
		rows, title := 0, ""
		inTitle, depth := false, 0
		for {
			tok, err := d.Token()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("not well-formed for %q: %v", s, err)
			}
			switch tok := tok.(type) {
			case xml.StartElement:
				depth++
				inTitle = depth == 2 && tok.Name.Local == "title"
				for _, a := range tok.Attr {
					if a.Name.Local == "class" && a.Value == "tl-row" {
						rows++
					}
				}
			case xml.EndElement:
				depth--
				inTitle = false
			case xml.CharData:
				if inTitle {
					title += string(tok)
				}
			}
		}
		if rows != len(st.Obligations) {
			t.Fatalf("%d row groups for %d obligations", rows, len(st.Obligations))
		}
		if want := "Timeline of " + st.IncidentID; !strings.HasPrefix(title, want) {
			t.Fatalf("title %q does not start with %q", title, want)
		}
		if !utf8.ValidString(svg) {
			t.Fatalf("invalid UTF-8 for %q", s)
		}
	})
}
