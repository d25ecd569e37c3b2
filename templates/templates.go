// Package templates holds the engine's embedded notice templates and default playbooks, and
// renders notices from them.
//
// A notice template NAME is three files in notices/: NAME.subject.tmpl (one line, text/template),
// NAME.txt.tmpl (plain text, text/template) and NAME.html.tmpl (html/template). Templates are
// treated as untrusted: HTML always goes through html/template's contextual escaping, the function
// set is small and has nothing that marks a string as safe HTML, and a subject that renders to more
// than one line is refused (it would inject mail headers).
package templates

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	htmltemplate "html/template"
	"io/fs"
	"sort"
	"strings"
	texttemplate "text/template"
	"time"
	_ "time/tzdata" // notices name IANA zones; binaries must not depend on the host's zoneinfo
	"unicode"
)

//go:embed notices/*.tmpl playbooks/*.yaml
var embedded embed.FS

// Embedded returns the templates and playbooks compiled into the binary.
func Embedded() fs.FS { return embedded }

// Notice kinds, passed to templates as .Kind.
const (
	KindNotice     = "notice"
	KindReminder   = "reminder"
	KindEscalation = "escalation"
	// KindHoldExpiring asks to re-confirm or release a hold before it expires; its template has
	// the same name.
	KindHoldExpiring = "hold-expiring"
	// KindDigest is one recipient's daily digest of repeating reminders and escalations
	// (Data.Digest); its template has the same name.
	KindDigest = "escalation-digest"
)

// Data is everything a notice template can use.
type Data struct {
	// Kind is notice, reminder, escalation or hold-expiring (Kind*).
	Kind string
	// Incident describes the incident.
	Incident IncidentData
	// Obligation is the obligation the notice is about.
	Obligation ObligationData
	// Facts holds each fact's current value, by fact ID (missing facts are absent).
	Facts map[string]string
	// Determinations holds each recorded determination ("true"/"false"), by ID.
	Determinations map[string]string
	// Done holds true for each obligation of the incident that is done, by obligation ID; open,
	// waived and not-applicable obligations are absent. A notice says that something was done
	// (equipment removed, law enforcement engaged) only when it is: {{if index .Done "ID"}}.
	Done map[string]bool
	// To names the recipients' roles, human-readable.
	To []string
	// GeneratedAt is when the notice was rendered (workflow time).
	GeneratedAt time.Time
	// TimeZone is the IANA name of the zone dates are shown in (default UTC).
	TimeZone string
	// DeadlineKind is the obligation's deadline kind: legal, internal_target (a deadline the
	// organization set itself), or empty without a fixed deadline.
	DeadlineKind string
	// InternalTarget is set when the deadline is an internal target: a notice must say
	// "internal target", never call it a legal deadline.
	InternalTarget bool
	// Decisions holds each recorded decision's latest outcome, by ID.
	Decisions map[string]string
	// Digest lists the reminders of a digest (Kind escalation-digest), nil
	// otherwise; Incident and Obligation are then empty.
	Digest *DigestData `json:",omitempty"`
}

// DigestData is what a reminder digest lists: every overdue or still-open obligation, of every
// incident, brought up to one recipient since the last digest.
type DigestData struct {
	// Items are ordered by incident, overdue ones first.
	Items []DigestItemData
	// Incidents is how many incidents the items come from.
	Incidents int
}

// DigestItemData is one overdue obligation in a digest. Every text in it comes from an incident
// or a playbook and is escaped like any other value.
type DigestItemData struct {
	IncidentID      string
	IncidentTitle   string
	ObligationID    string
	ObligationTitle string
	Citation        string
	// Overdue is set for an escalation: the obligation is past Deadline (an internal target
	// when InternalTarget), by Overdue at GeneratedAt. Otherwise the obligation has no fixed
	// deadline and has been open for OpenFor.
	Overdue  bool
	Deadline time.Time
	Late     time.Duration
	OpenFor  time.Duration
	// InternalTarget is set when the deadline is one the organization set itself.
	InternalTarget bool
	// Rung labels the reminder, e.g. "escalation 9" or "open for 3 weeks".
	Rung string
}

// IncidentData describes the incident in a notice.
type IncidentData struct {
	ID              string
	Title           string
	Summary         string
	DiscoveredAt    time.Time
	PlaybookName    string
	PlaybookVersion string
}

// ObligationData describes the obligation in a notice.
type ObligationData struct {
	ID          string
	Title       string
	Citation    string
	Description string
	// Deadline is the zero time when the obligation has no fixed deadline.
	Deadline time.Time
	// DeadlineNote explains a deadline without a fixed date ("without unreasonable delay").
	DeadlineNote string
	// AnchorAt is when the obligation's clock started.
	AnchorAt time.Time
	// Overdue is how late the obligation is (escalations), zero otherwise.
	Overdue time.Duration
	// Left is how much time remains (reminders), zero otherwise.
	Left time.Duration
	// OpenFor is how long the obligation's clock has been running.
	OpenFor time.Duration
	// Hold describes the hold in force (hold-expiring notices), nil otherwise.
	Hold *HoldData
	// Quote is the rule's own words, when the playbook gives them.
	Quote string
	// Source is primary or secondary (the rule rests on secondary sources only), when said.
	Source string
	// Regime is the playbook the obligation comes from, in a combined incident.
	Regime string
	// Limit says which limit governs the deadline when the obligation has a second one.
	Limit string
}

// HoldData describes a hold in a notice.
type HoldData struct {
	RequestedBy string
	Authority   string
	From, Until time.Time
}

// Rendered is a notice ready to send.
type Rendered struct {
	Subject string `json:"subject"`
	Text    string `json:"text"`
	HTML    string `json:"html"`
	// ContentHash is the hex SHA-256 of subject, text and HTML; approvals and Message-IDs bind to it.
	ContentHash string `json:"content_hash"`
}

// Set is a parsed collection of notice templates.
type Set struct {
	subject map[string]*texttemplate.Template
	text    map[string]*texttemplate.Template
	html    map[string]*htmltemplate.Template
}

// Load parses every notice template under notices/ in fsys. A name must have all three files.
func Load(fsys fs.FS) (*Set, error) {
	s := &Set{
		subject: map[string]*texttemplate.Template{},
		text:    map[string]*texttemplate.Template{},
		html:    map[string]*htmltemplate.Template{},
	}
	paths, err := fs.Glob(fsys, "notices/*.tmpl")
	if err != nil {
		return nil, err
	}
	for _, p := range paths {
		src, err := fs.ReadFile(fsys, p)
		if err != nil {
			return nil, err
		}
		base := strings.TrimSuffix(strings.TrimPrefix(p, "notices/"), ".tmpl")
		name, part, ok := strings.Cut(base, ".")
		if !ok {
			return nil, fmt.Errorf("template %s: name it NAME.subject.tmpl, NAME.txt.tmpl or NAME.html.tmpl", p)
		}
		switch part {
		case "subject":
			s.subject[name], err = texttemplate.New(p).Funcs(textFuncs).Option("missingkey=error").Parse(string(src))
		case "txt":
			s.text[name], err = texttemplate.New(p).Funcs(textFuncs).Option("missingkey=error").Parse(string(src))
		case "html":
			s.html[name], err = htmltemplate.New(p).Funcs(htmlFuncs).Option("missingkey=error").Parse(string(src))
		default:
			return nil, fmt.Errorf("template %s: unknown part %q: use subject, txt or html", p, part)
		}
		if err != nil {
			return nil, fmt.Errorf("parsing template %s: %w", p, err)
		}
	}
	var errs []error
	for _, name := range s.Names() {
		if s.subject[name] == nil || s.text[name] == nil || s.html[name] == nil {
			errs = append(errs, fmt.Errorf("template %q: needs notices/%s.subject.tmpl, .txt.tmpl and .html.tmpl", name, name))
		}
	}
	return s, errors.Join(errs...)
}

// Names lists every template name, sorted.
func (s *Set) Names() []string {
	seen := map[string]bool{}
	for _, m := range []map[string]*texttemplate.Template{s.subject, s.text} {
		for n := range m {
			seen[n] = true
		}
	}
	for n := range s.html {
		seen[n] = true
	}
	names := make([]string, 0, len(seen))
	for n := range seen {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Has reports whether a complete template of that name exists.
func (s *Set) Has(name string) bool {
	return s.subject[name] != nil && s.text[name] != nil && s.html[name] != nil
}

// Render renders the named template with data.
func (s *Set) Render(name string, data Data) (Rendered, error) {
	if !s.Has(name) {
		return Rendered{}, fmt.Errorf("unknown notice template %q", name)
	}
	if data.TimeZone == "" {
		data.TimeZone = "UTC"
	}
	var subj, text, html bytes.Buffer
	if err := s.subject[name].Execute(&subj, data); err != nil {
		return Rendered{}, fmt.Errorf("rendering %s subject: %w", name, err)
	}
	if err := s.text[name].Execute(&text, data); err != nil {
		return Rendered{}, fmt.Errorf("rendering %s text: %w", name, err)
	}
	if err := s.html[name].Execute(&html, data); err != nil {
		return Rendered{}, fmt.Errorf("rendering %s HTML: %w", name, err)
	}
	subject := strings.TrimSpace(subj.String())
	if strings.IndexFunc(subject, func(r rune) bool { return unicode.IsControl(r) || r == '\u2028' || r == '\u2029' }) >= 0 {
		return Rendered{}, fmt.Errorf("rendering %s subject: it spans several lines or holds control characters; a subject must be one line of plain text", name)
	}
	r := Rendered{Subject: subject, Text: text.String(), HTML: html.String()}
	r.ContentHash = Hash(r.Subject, r.Text, r.HTML)
	return r, nil
}

// Hash is the content hash of a notice's parts.
func Hash(subject, text, html string) string {
	h := sha256.New()
	for _, part := range []string{subject, text, html} {
		fmt.Fprintf(h, "%d:%s", len(part), part)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// Functions available to templates. None of them returns trusted HTML.
var funcs = map[string]any{
	// date formats a time in the notice's zone: {{date .Incident.DiscoveredAt $.TimeZone}}.
	"date": func(t time.Time, zone string) (string, error) {
		if t.IsZero() {
			return "not set", nil
		}
		loc, err := time.LoadLocation(zone)
		if err != nil {
			return "", fmt.Errorf("unknown time zone %q", zone)
		}
		return t.In(loc).Format("Monday 2 January 2006, 15:04 MST"), nil
	},
	// usdate formats a time in US order for US recipients, in the notice's zone:
	// "Friday, May 31, 2019, 9:00 AM EDT".
	"usdate": func(t time.Time, zone string) (string, error) {
		if t.IsZero() {
			return "not set", nil
		}
		loc, err := time.LoadLocation(zone)
		if err != nil {
			return "", fmt.Errorf("unknown time zone %q", zone)
		}
		return t.In(loc).Format("Monday, January 2, 2006, 3:04 PM MST"), nil
	},
	// usday formats only the calendar day in US order, in the notice's zone: "May 31, 2019". A
	// notice to the public says the day something happened, not the minute the record holds.
	"usday": func(t time.Time, zone string) (string, error) {
		if t.IsZero() {
			return "not set", nil
		}
		loc, err := time.LoadLocation(zone)
		if err != nil {
			return "", fmt.Errorf("unknown time zone %q", zone)
		}
		return t.In(loc).Format("January 2, 2006"), nil
	},
	// duration renders a duration for people: "2 days 3 hours".
	"duration": HumanDuration,
	// fact returns a fact's value or "not yet known".
	"fact": func(facts map[string]string, name string) string {
		if v, ok := facts[name]; ok {
			return v
		}
		return "not yet known"
	},
	// join joins strings with ", ".
	"join": func(s []string) string { return strings.Join(s, ", ") },
}

var (
	textFuncs = texttemplate.FuncMap(funcs)
	htmlFuncs = htmltemplate.FuncMap(funcs)
)

// HumanDuration renders a duration as days, hours and minutes, e.g. "6 days 23 hours".
func HumanDuration(d time.Duration) string {
	if d < 0 {
		d = -d
	}
	d = d.Round(time.Minute)
	days := int(d / (24 * time.Hour))
	hours := int(d % (24 * time.Hour) / time.Hour)
	mins := int(d % time.Hour / time.Minute)
	var parts []string
	add := func(n int, unit string) {
		if n == 1 {
			parts = append(parts, "1 "+unit)
		} else if n > 1 {
			parts = append(parts, fmt.Sprintf("%d %ss", n, unit))
		}
	}
	add(days, "day")
	add(hours, "hour")
	if days == 0 {
		add(mins, "minute")
	}
	if len(parts) == 0 {
		return "less than a minute"
	}
	return strings.Join(parts, " ")
}
