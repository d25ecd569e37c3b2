package chart

import (
	"strings"
	"unicode/utf8"
)

// esc makes any text safe as XML character data or a quoted attribute value: markup characters
// and both quotes are escaped, line breaks and tabs become spaces, and what XML 1.0 cannot carry
// at all (control characters, invalid UTF-8, U+FFFE and U+FFFF, surrogates) becomes U+FFFD or
// is dropped. Texts longer than maxText runes are cut with an ellipsis.
func esc(s string) string {
	var b strings.Builder
	n := 0
	for i, r := range s {
		if n == maxText {
			b.WriteString("…")
			break
		}
		n++
		switch {
		case r == utf8.RuneError:
			if _, size := utf8.DecodeRuneInString(s[i:]); size <= 1 {
				b.WriteRune('\uFFFD')
				continue
			}
			b.WriteRune(r)
		case r == '&':
			b.WriteString("&amp;")
		case r == '<':
			b.WriteString("&lt;")
		case r == '>':
			b.WriteString("&gt;")
		case r == '"':
			b.WriteString("&#34;")
		case r == '\'':
			b.WriteString("&#39;")
		case r == '\t' || r == '\n' || r == '\r':
			b.WriteByte(' ')
		case r < 0x20 || (r >= 0x7F && r <= 0x9F):
			// C0 and C1 controls: not allowed (or discouraged) in XML; dropped.
			n--
		case r == 0xFFFE || r == 0xFFFF || (r >= 0xD800 && r <= 0xDFFF):
			b.WriteRune('\uFFFD')
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// clip cuts a text to at most n runes, with an ellipsis, before escaping, for labels that must fit
// a column; the full text goes into a <title>.
func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}
