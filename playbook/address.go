package playbook

import (
	"fmt"
	"net/mail"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/idna"
)

// Address limits of RFC 5321 (section 4.5.3.1).
const (
	// MaxAddressLen is the longest e-mail address, in octets.
	MaxAddressLen = 254
	// MaxLocalPartLen is the longest part of an address before the @, in octets.
	MaxLocalPartLen = 64
	// maxDomainLen and maxLabelLen bound a domain and each of its labels (RFC 1035).
	maxDomainLen = 253
	maxLabelLen  = 63
)

// idnaProfile converts internationalized domains the way mail clients look them up (UTS 46,
// transitional processing off), refusing anything that is not a valid host name.
var idnaProfile = idna.New(idna.MapForLookup(), idna.BidiRule(), idna.ValidateLabels(true),
	idna.StrictDomainName(true), idna.Transitional(false))

// CheckAddress reports whether s is a single plain e-mail address the engine can send to as it
// is: at most 254 octets with a local part of at most 64, ASCII only (an internationalized domain
// must be written in its xn-- form; the error gives it), no display name, spaces or control
// characters, a domain with a dot, and no label that mixes scripts (such as a Cyrillic "а" in
// "exаmple", which looks like Latin). It is the one address check of the engine: playbooks,
// incident files and the set-contacts update use it.
func CheckAddress(s string) error {
	norm, err := NormalizeAddress(s)
	if err != nil {
		return err
	}
	if norm != s {
		return fmt.Errorf("malformed e-mail address %q: the domain is not ASCII: write it as %s", s, norm)
	}
	return nil
}

// NormalizeAddress is CheckAddress for addresses typed by people: a non-ASCII domain is accepted
// and returned in its ASCII (IDNA) form, e.g. "privacy@bücher.example" becomes
// "privacy@xn--bcher-kva.example". Any other address is returned unchanged.
func NormalizeAddress(s string) (string, error) {
	bad := func(problem string) (string, error) {
		return "", fmt.Errorf("malformed e-mail address %q: %s", s, problem)
	}
	const (
		example = "write a plain address such as privacy@agency.example"
		badHost = "the domain is not a valid host name (letters, digits and dashes between dots): " + example
	)
	switch {
	case s == "":
		return bad("missing: " + example)
	case !utf8.ValidString(s):
		return bad("not valid UTF-8: " + example)
	case len(s) > MaxAddressLen:
		return bad(fmt.Sprintf("%d octets long: an address has at most %d", len(s), MaxAddressLen))
	}
	for _, r := range s {
		if r <= ' ' || r == 0x7f || (r >= 0x80 && r <= 0x9f) || unicode.IsSpace(r) {
			return bad("it holds a space, line break or control character: " + example)
		}
	}
	at := strings.LastIndex(s, "@")
	if at <= 0 || at == len(s)-1 {
		return bad(example)
	}
	local, domain := s[:at], s[at+1:]
	if len(local) > MaxLocalPartLen {
		return bad(fmt.Sprintf("the part before @ is %d octets: it has at most %d", len(local), MaxLocalPartLen))
	}
	if !isASCII(local) {
		return bad("the part before @ is not ASCII: the engine sends mail without SMTPUTF8; use an ASCII address")
	}
	ascii, err := idnaProfile.ToASCII(domain)
	if err != nil {
		return bad(badHost)
	}
	if isASCII(domain) && !strings.EqualFold(ascii, domain) {
		// Valid ASCII domains map to themselves (up to case); anything else is malformed.
		return bad(example)
	}
	if isASCII(domain) {
		ascii = domain // keep the case as written
	}
	if err := checkDomain(ascii); err != nil {
		return bad(err.Error() + ": " + example)
	}
	unicodeDomain, err := idnaProfile.ToUnicode(ascii)
	if err != nil {
		return bad(badHost)
	}
	for _, label := range strings.Split(unicodeDomain, ".") {
		if scripts := mixedScripts(label); scripts != "" {
			return bad(fmt.Sprintf("the domain label %q mixes scripts (%s), a look-alike of another domain: check the address letter by letter", label, scripts))
		}
	}
	out := local + "@" + ascii
	if a, err := mail.ParseAddress(out); err != nil || a.Address != out {
		return bad(example)
	}
	return out, nil
}

// checkDomain checks an ASCII domain: a dot, label and total lengths.
func checkDomain(d string) error {
	if len(d) > maxDomainLen {
		return fmt.Errorf("the domain is %d octets: it has at most %d", len(d), maxDomainLen)
	}
	if !strings.Contains(d, ".") {
		return fmt.Errorf("the domain has no dot (a full domain looks like agency.example)")
	}
	for _, l := range strings.Split(d, ".") {
		if l == "" || len(l) > maxLabelLen {
			return fmt.Errorf("the domain has an empty or over-long part: each part between dots has 1 to %d characters", maxLabelLen)
		}
	}
	return nil
}

// mixedScripts returns the scripts of label joined with " and " when it mixes scripts in a way
// no language does (UTS 39 "highly restrictive": one script, or Han with the Japanese or Korean
// scripts, plus Latin), or "" when it does not.
func mixedScripts(label string) string {
	seen := map[string]bool{}
	var names []string
	for _, r := range label {
		if !unicode.IsLetter(r) {
			continue
		}
		name := scriptOf(r)
		if name != "" && !seen[name] {
			seen[name] = true
			names = append(names, name)
		}
	}
	if len(names) <= 1 {
		return ""
	}
	for _, allowed := range [][]string{
		{"Latin", "Han", "Hiragana", "Katakana"},
		{"Latin", "Han", "Hangul"},
		{"Latin", "Han", "Bopomofo"},
	} {
		ok := true
		for _, n := range names {
			if !contains(allowed, n) {
				ok = false
				break
			}
		}
		if ok {
			return ""
		}
	}
	return strings.Join(names, " and ")
}

// scriptOf names the Unicode script of r, or "" for Common and Inherited characters.
func scriptOf(r rune) string {
	if r < 0x80 {
		return "Latin"
	}
	for name, table := range unicode.Scripts {
		if name != "Common" && name != "Inherited" && unicode.Is(table, r) {
			return name
		}
	}
	return ""
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
