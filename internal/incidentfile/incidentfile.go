// Package incidentfile reads the YAML file a coordinator writes to start an incident.
//
// Parsing is strict: one YAML document of at most playbook.MaxFileSize bytes, no unknown field,
// text within the limits of package playbook (title ≤ playbook.MaxTitleLen characters on one
// line, summary ≤ playbook.MaxSummaryLen), times within the window of clock.CheckTime, numbers
// kept exactly as written, addresses checked by playbook.NormalizeAddress, and a playbook path
// that stays inside the incident file's folder.
package incidentfile

import (
	"errors"
	"fmt"
	"maps"
	"math/big"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/breachflow/breachflow/clock"
	"github.com/breachflow/breachflow/playbook"
	"github.com/breachflow/breachflow/workflows"
)

// File is an incident file.
type File struct {
	// Title is a short name for the incident.
	Title string `yaml:"title"`
	// Summary says what happened.
	Summary string `yaml:"summary"`
	// DiscoveredAt is RFC 3339, or "now".
	DiscoveredAt string `yaml:"discovered_at"`
	// Playbook is an embedded playbook name or a file path (default us-federal-breach). Read
	// resolves a path against the incident file's folder.
	Playbook string `yaml:"playbook"`
	// Playbooks lists the playbooks of several regimes (names or paths, as Playbook) that the
	// incident applies together (playbook.Combine); give it or Playbook, not both.
	Playbooks []string `yaml:"playbooks"`
	// Facts are initial facts by ID; scalars of any YAML type.
	Facts map[string]Scalar `yaml:"facts"`
	// Contacts are recipients by role.
	Contacts map[string][]playbook.Contact `yaml:"contacts"`
}

// Scalar is a fact value as written in the file. Numbers keep their digits (a 30-digit count is
// not rounded through a float), dates become RFC 3339; the workflow checks the value against the
// fact's type.
type Scalar string

// UnmarshalYAML implements yaml.Unmarshaler.
func (s *Scalar) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return fmt.Errorf("line %d: a fact is a single value (a number, yes/no, a date or text), not a list or mapping", n.Line)
	}
	switch n.Tag {
	case "!!null":
		*s = ""
	case "!!int", "!!float":
		*s = Scalar(exactNumber(n.Value))
	case "!!timestamp":
		var t time.Time
		if err := n.Decode(&t); err != nil {
			return err
		}
		*s = Scalar(t.Format(time.RFC3339))
	default:
		*s = Scalar(n.Value)
	}
	return nil
}

// exactNumber writes a YAML number in plain digits without rounding it (1.5e5 is 150000);
// anything it cannot read exactly (.nan, .inf) is returned as written, for the fact check to
// refuse.
func exactNumber(lit string) string {
	var r big.Rat
	if _, ok := r.SetString(strings.ReplaceAll(lit, "_", "")); !ok {
		return lit
	}
	if r.IsInt() {
		return r.Num().String()
	}
	// One decimal more than a fact may have, so that the fact check refuses what needs rounding.
	return r.FloatString(playbook.MaxFactDecimals + 1)
}

// MaxPlaybooks bounds the regimes one incident applies.
const MaxPlaybooks = 20

// PlaybookRefs lists the playbooks the incident applies: Playbooks, or the one Playbook.
func (f *File) PlaybookRefs() []string {
	if len(f.Playbooks) > 0 {
		return f.Playbooks
	}
	return []string{f.Playbook}
}

// DefaultPlaybook is used when an incident file names none.
const DefaultPlaybook = "us-federal-breach"

// expected describes an incident file for the message about an empty file.
const expected = "an incident with title, summary, discovered_at, playbook, facts and contacts (see examples/cbp-2019.yaml)"

// Read parses an incident file strictly. A playbook given as a path is resolved against the
// file's folder and must stay inside it.
func Read(path string) (*File, error) {
	data, err := playbook.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading incident file: %w", err)
	}
	name := filepath.Base(path)
	f, err := Parse(name, data)
	if err != nil {
		return nil, err
	}
	if playbook.IsPath(f.Playbook) {
		resolved, err := resolvePlaybook(filepath.Dir(path), f.Playbook)
		if err != nil {
			return nil, fmt.Errorf("%s: playbook: %w", name, err)
		}
		f.Playbook = resolved
	}
	for i, ref := range f.Playbooks {
		if playbook.IsPath(ref) {
			resolved, err := resolvePlaybook(filepath.Dir(path), ref)
			if err != nil {
				return nil, fmt.Errorf("%s: playbooks[%d]: %w", name, i, err)
			}
			f.Playbooks[i] = resolved
		}
	}
	return f, nil
}

// resolvePlaybook joins a playbook path to the incident file's folder dir. Parse has checked it is
// local; a symbolic link out of the folder is refused here.
func resolvePlaybook(dir, rel string) (string, error) {
	p := filepath.Join(dir, filepath.FromSlash(rel))
	real, err := filepath.EvalSymlinks(p)
	if err != nil {
		return p, nil // reading it reports the problem
	}
	realDir, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return p, nil
	}
	if r, err := filepath.Rel(realDir, real); err != nil || !filepath.IsLocal(r) {
		return "", errors.New("the path leads out of the incident file's folder (through a link): put the playbook in that folder or name a built-in playbook")
	}
	return p, nil
}

// Parse decodes an incident file and checks every field that needs no playbook; name labels
// errors. A playbook path is left as written (relative to the incident file's folder: see Read).
func Parse(name string, data []byte) (*File, error) {
	var f File
	if err := playbook.DecodeYAML(name, data, &f, expected); err != nil {
		return nil, fmt.Errorf("%w (fields: title, summary, discovered_at, playbook, playbooks, facts, contacts)", err)
	}
	var errs []error
	for _, err := range f.check() {
		errs = append(errs, fmt.Errorf("%s: %w", name, err))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return &f, nil
}

// Check checks every field that needs no playbook, as Parse does for a file, and defaults the
// playbook (DefaultPlaybook when none is named); it is for a File built another way (the
// console's form). Each problem is its own error, joined, starting with the field it names
// ("title: …", "facts.affected_count: …", "contacts.cisa[0].name: …"). Contacts' addresses
// with a non-ASCII domain are stored in their ASCII form.
func (f *File) Check() error {
	return errors.Join(f.check()...)
}

func (f *File) check() []error {
	var errs []error
	add := func(err error) { errs = append(errs, err) }
	switch {
	case f.Playbook != "" && len(f.Playbooks) > 0:
		add(errors.New("playbook and playbooks are both given: list every regime under playbooks, or give one playbook"))
	case len(f.Playbooks) > MaxPlaybooks:
		add(fmt.Errorf("playbooks: %d listed: an incident applies at most %d", len(f.Playbooks), MaxPlaybooks))
	case f.Playbook == "" && len(f.Playbooks) == 0:
		f.Playbook = DefaultPlaybook
	}
	for i, ref := range f.Playbooks {
		if playbook.IsPath(ref) && !filepath.IsLocal(filepath.FromSlash(ref)) {
			add(fmt.Errorf("playbooks[%d]: %q leads out of the incident file's folder: give a path inside it or the name of a built-in playbook", i, short(ref)))
		} else if err := playbook.CheckLine(fmt.Sprintf("playbooks[%d]", i), ref, playbook.MaxTitleLen); err != nil {
			add(err)
		}
	}
	if err := playbook.CheckLine("title", f.Title, playbook.MaxTitleLen); err != nil {
		add(err)
	}
	if err := playbook.CheckText("summary", f.Summary, playbook.MaxSummaryLen); err != nil {
		add(err)
	}
	if d := f.DiscoveredAt; d != "" && d != "now" {
		if t, err := time.Parse(time.RFC3339, d); err == nil {
			if err := clock.CheckTime("discovered_at", t); err != nil {
				add(err)
			}
		} // Input reports a malformed time, with the hint.
	}
	if f.Playbook == "" {
		// playbooks checked above
	} else if playbook.IsPath(f.Playbook) && !filepath.IsLocal(filepath.FromSlash(f.Playbook)) {
		add(fmt.Errorf("playbook: %q leads out of the incident file's folder: give a path inside it (e.g. playbooks/mine.yaml) or the name of a built-in playbook such as %s", short(f.Playbook), DefaultPlaybook))
	} else if err := playbook.CheckLine("playbook", f.Playbook, playbook.MaxTitleLen); err != nil {
		add(err)
	}
	for _, id := range slices.Sorted(maps.Keys(f.Facts)) {
		if err := playbook.CheckLine("facts."+id, string(f.Facts[id]), playbook.MaxFactTextLen); err != nil {
			add(err)
		}
	}
	for _, role := range slices.Sorted(maps.Keys(f.Contacts)) {
		if n := len(f.Contacts[role]); n > playbook.MaxContactsPerRole {
			add(fmt.Errorf("contacts.%s: %d addresses: at most %d per role; for a larger audience give a mailing list's address", role, n, playbook.MaxContactsPerRole))
			continue
		}
		for i, c := range f.Contacts[role] {
			field := fmt.Sprintf("contacts.%s[%d]", role, i)
			if err := playbook.CheckLine(field+".name", c.Name, playbook.MaxTitleLen); err != nil {
				add(err)
			}
			// A non-ASCII domain is stored in its ASCII form; Input reports bad addresses
			// together with the problems only the playbook reveals.
			if norm, err := playbook.NormalizeAddress(c.Email); err == nil {
				f.Contacts[role][i].Email = norm
			}
		}
	}
	return errs
}

// Input turns the file into a workflow input. now replaces discovered_at "now" (or an empty one
// when discoveredNow is set); a discovery time may lie at most clock.MaxDiscoveryAhead after now.
func (f *File) Input(id string, pb *playbook.Playbook, by string, now time.Time, discoveredNow bool) (workflows.StartIncidentInput, error) {
	in := workflows.StartIncidentInput{
		IncidentID: id,
		Title:      f.Title,
		Summary:    f.Summary,
		Playbook:   *pb,
		Contacts:   f.Contacts,
		StartedBy:  by,
	}
	// shift moves date facts with a discovery moved to now, so their gaps to it stay as written
	// (the contractor knew 18 days before the agency, whenever the example runs).
	var shift time.Duration
	switch {
	case discoveredNow || f.DiscoveredAt == "now":
		in.DiscoveredAt = now
		if t, err := time.Parse(time.RFC3339, f.DiscoveredAt); err == nil {
			shift = now.Sub(t)
		}
	case f.DiscoveredAt != "":
		t, err := time.Parse(time.RFC3339, f.DiscoveredAt)
		if err != nil {
			return in, fmt.Errorf("discovered_at %q: write RFC 3339 with a zone, e.g. 2019-05-31T09:00:00-04:00, or now", short(f.DiscoveredAt))
		}
		if err := clock.CheckDiscovery("discovered_at", t, now); err != nil {
			return in, err
		}
		in.DiscoveredAt = t
	}
	for _, n := range slices.Sorted(maps.Keys(f.Facts)) {
		v := string(f.Facts[n])
		if t, err := time.Parse(time.RFC3339, v); err == nil && shift != 0 && pb.Facts[n].Type == playbook.FactDate {
			v = t.Add(shift).In(t.Location()).Format(time.RFC3339)
		}
		in.Facts = append(in.Facts, workflows.FactInput{Name: n, Value: v, At: in.DiscoveredAt})
	}
	return in, workflows.ValidateStart(in)
}

// short cuts a value quoted in an error to 60 characters.
func short(s string) string {
	if r := []rune(s); len(r) > 60 {
		return string(r[:60]) + "…"
	}
	return s
}
