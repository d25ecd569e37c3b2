package playbook

import (
	"fmt"
	"unicode/utf8"
)

// Limits on text the engine accepts from files and updates. Everything an incident carries ends
// up in Temporal payloads and in notices (titles in mail headers), so it is bounded and free of
// control characters. Time and deadline limits are in package clock (clock.MaxHours, …).
const (
	// MaxFileSize is the largest playbook, incident or scenario file read: 1 MiB.
	MaxFileSize = 1 << 20
	// MaxTitleLen is the longest title (incident, obligation, role, fact, playbook), in characters.
	MaxTitleLen = 200
	// MaxSummaryLen is the longest incident summary or description, in characters.
	MaxSummaryLen = 10000
	// MaxFactTextLen is the longest value of a text fact, in characters.
	MaxFactTextLen = 2000
	// MaxNoteLen is the longest note, reason, source or other free-text field, in characters.
	MaxNoteLen = 2000
	// MaxContactsPerRole is the most addresses one role of an incident may have: a notice goes
	// to a role's people, not to a mailing list's members one by one.
	MaxContactsPerRole = 50
)

// CheckLine reports whether s fits in one line of at most max characters: valid UTF-8, no line
// breaks, no control characters (C0, DEL, C1) other than tab, no Unicode line separators or
// bidirectional overrides. Titles and subjects go into mail headers and terminals, where such
// characters inject headers or disguise text. field names the input in the error.
func CheckLine(field, s string, max int) error {
	return checkText(field, s, max, false)
}

// CheckText is CheckLine for multi-line text (summaries, descriptions, notes): line feeds are
// allowed too, carriage returns and other control characters are not.
func CheckText(field, s string, max int) error {
	return checkText(field, s, max, true)
}

// checkText checks s; an empty field leaves the field's name out of the message.
func checkText(field, s string, max int, multiLine bool) error {
	err := textProblem(s, max, multiLine)
	if err == nil || field == "" {
		return err
	}
	return fmt.Errorf("%s: %w", field, err)
}

func textProblem(s string, max int, multiLine bool) error {
	if !utf8.ValidString(s) {
		return fmt.Errorf("not valid UTF-8: save the file as UTF-8")
	}
	if n := utf8.RuneCountInString(s); n > max {
		return fmt.Errorf("too long (%d characters): shorten it to at most %d", n, max)
	}
	for i, r := range s {
		if r == '\n' && multiLine {
			continue
		}
		if bad, what := forbidden(r); bad {
			hint := "remove it"
			if r == '\r' || r == '\n' {
				hint = "write it on one line"
				if multiLine {
					hint = "use plain line feeds (save the file with Unix line endings)"
				}
			}
			return fmt.Errorf("holds %s (U+%04X) at byte %d: %s", what, r, i, hint)
		}
	}
	return nil
}

// forbidden reports whether r may not appear in accepted text, and names it.
func forbidden(r rune) (bool, string) {
	switch {
	case r == '\t':
		return false, ""
	case r == '\r' || r == '\n':
		return true, "a line break"
	case r == 0x1b:
		return true, "an escape character (a terminal control sequence)"
	case r < 0x20 || r == 0x7f || (r >= 0x80 && r <= 0x9f):
		return true, "a control character"
	case r == '\u2028' || r == '\u2029':
		return true, "a Unicode line separator"
	case (r >= '\u202a' && r <= '\u202e') || (r >= '\u2066' && r <= '\u2069') || r == '\u200e' || r == '\u200f' || r == '\u061c':
		return true, "a bidirectional text control"
	case r == '\ufeff':
		return true, "a byte-order mark"
	}
	return false, ""
}
