// Package simulate replays a past incident — its recorded facts and actions, at their real
// timestamps — through today's playbook in the Temporal SDK's time-skipping test environment,
// with the real activities (templates rendered, notices written to an outbox folder), and reports
// how each obligation would have stood (workflows.Outcome): met, missed and by how much, not
// applicable, not started, or undecided because the sources do not date what was done.
//
// A scenario is a YAML file (see scenarios/cbp-2019.yaml for the format, documented at its top).
// Events with a known time are performed through the workflow's Updates, so the workflow's own
// validators judge them: a refused action is reported as refused, with the validator's message.
// Events whose date is not public ("at: unknown") are never given an invented date: the report says
// what they leave undecided, bounded by known_by when the sources give a latest date.
package simulate

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/breachflow/breachflow/clock"
	"github.com/breachflow/breachflow/internal/incidentfile"
	"github.com/breachflow/breachflow/playbook"
	"github.com/breachflow/breachflow/templates"
)

// Actions a scenario event can take.
const (
	ActionComplete      = "complete"
	ActionWaive         = "waive"
	ActionFact          = "fact"
	ActionDetermination = "determination"
	ActionSend          = "send"
	// ActionApprove approves the notice awaiting approval (the content it has at that moment).
	ActionApprove          = "approve"
	ActionHold             = "hold"
	ActionRelease          = "release"
	ActionCorrectDiscovery = "correct_discovery"
	// ActionDecision records a decision (name: the decision's ID, value: its outcome) with its
	// rationale (reason) — what the sources say was decided and why; a decision the sources say
	// was made but give no rationale for cannot be recorded as one.
	ActionDecision = "decision"
)

// actions lists the actions in the order the error messages name them.
var actions = []string{ActionComplete, ActionWaive, ActionFact, ActionDetermination, ActionDecision, ActionSend, ActionApprove, ActionHold, ActionRelease, ActionCorrectDiscovery}

// Unknown is the value of at for an event whose date is not public.
const Unknown = "unknown"

// DefaultActor is the actor of events that name none.
const DefaultActor = "scenario"

// Scenario is a loaded, checked scenario file.
type Scenario struct {
	// Path is the scenario file.
	Path string
	// Title names the simulation (default: the incident's title).
	Title string
	// IncidentPath is the incident file, resolved against the scenario's folder.
	IncidentPath string
	// Incident is the parsed incident file: title, summary, contacts, initial facts.
	Incident *incidentfile.File
	// PlaybookRef is the playbook's name or path as given (scenario override or incident file).
	PlaybookRef string
	// Playbook is today's playbook the incident is replayed under.
	Playbook *playbook.Playbook
	// DiscoveredAt is the moment of discovery: the start of the simulation.
	DiscoveredAt time.Time
	// End is when the simulation stops and the incident is force-closed to collect the report.
	End time.Time
	// Events are the scenario's events in file order.
	Events []Event
	// Notes are context for the report; they are never acted on.
	Notes []Note

	templates *templates.Set
}

// Event is one recorded fact or action.
type Event struct {
	// Index is the event's position in the file (events[Index]); Line is its line.
	Index int `json:"index"`
	Line  int `json:"line"`
	// At is when it happened; zero when the date is not public (AtUnknown).
	At        time.Time `json:"at,omitzero"`
	AtUnknown bool      `json:"at_unknown,omitempty"`
	// KnownBy is, for an event whose date is not public, the latest it can have happened.
	KnownBy     time.Time `json:"known_by,omitzero"`
	Action      string    `json:"action"`
	Obligation  string    `json:"obligation,omitempty"`
	Name        string    `json:"name,omitempty"`
	Value       string    `json:"value,omitempty"`
	By          string    `json:"by"`
	Note        string    `json:"note,omitempty"`
	Reason      string    `json:"reason,omitempty"`
	RequestedBy string    `json:"requested_by,omitempty"`
	Authority   string    `json:"authority,omitempty"`
	Until       time.Time `json:"until,omitzero"`
	Source      string    `json:"source,omitempty"`
	// discoveredAt is the parsed value of a correct_discovery event.
	discoveredAt time.Time
}

// Note is context shown in the report, such as a finding that no event can express.
type Note struct {
	Text        string   `json:"text"`
	Source      string   `json:"source,omitempty"`
	Obligations []string `json:"obligations,omitempty"`
}

// file is the YAML form of a scenario.
type file struct {
	Title        string     `yaml:"title"`
	Incident     string     `yaml:"incident"`
	Playbook     string     `yaml:"playbook"`
	DiscoveredAt string     `yaml:"discovered_at"`
	End          string     `yaml:"end"`
	Notes        []fileNote `yaml:"notes"`
	Events       []rawEvent `yaml:"events"`
}

type fileNote struct {
	Text        string   `yaml:"text"`
	Source      string   `yaml:"source"`
	Obligations []string `yaml:"obligations"`
}

type rawEvent struct {
	At          string `yaml:"at"`
	KnownBy     string `yaml:"known_by"`
	Action      string `yaml:"action"`
	Obligation  string `yaml:"obligation"`
	Name        string `yaml:"name"`
	Value       string `yaml:"value"`
	By          string `yaml:"by"`
	Note        string `yaml:"note"`
	Reason      string `yaml:"reason"`
	RequestedBy string `yaml:"requested_by"`
	Authority   string `yaml:"authority"`
	Until       string `yaml:"until"`
	Source      string `yaml:"source"`
}

var (
	topFields   = []string{"title", "incident", "playbook", "discovered_at", "end", "notes", "events"}
	eventFields = []string{"at", "known_by", "action", "obligation", "name", "value", "by", "note", "reason", "requested_by", "authority", "until", "source"}
	noteFields  = []string{"text", "source", "obligations"}
)

// fieldsFor lists the fields an action uses besides at, known_by, by, note and source, which every
// event may carry (note and source are shown in the report; note also goes on the record where the
// update takes one).
var fieldsFor = map[string][]string{
	ActionComplete:         {"obligation"},
	ActionWaive:            {"obligation", "reason"},
	ActionSend:             {"obligation"},
	ActionApprove:          {"obligation"},
	ActionHold:             {"obligation", "requested_by", "authority", "until"},
	ActionRelease:          {"obligation"},
	ActionFact:             {"name", "value"},
	ActionDetermination:    {"name", "value"},
	ActionCorrectDiscovery: {"value", "reason"},
	ActionDecision:         {"name", "value", "reason"},
}

const timeHint = "write RFC 3339 with a zone, e.g. 2019-06-10T18:00:00-04:00"

// Load reads and checks a scenario file: strict YAML (an unknown field is an error), the incident
// file and the playbook it names, and every event against the playbook. Errors name the file, the
// event (events[i], with its line) and the field. Notice templates are the embedded ones, or
// those in templatesDir/notices when it is not empty (the starter passes
// config.TemplatesDir(), as for `starter start`).
func Load(path, templatesDir string) (*Scenario, error) {
	data, err := playbook.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading scenario: %w", err)
	}
	return parse(path, data, templatesDir)
}

// Parse is Load for a scenario already read, with the embedded templates: path says where it
// lives (the incident file and a playbook path are relative to its folder) and names it in
// errors; data is its content.
func Parse(path string, data []byte) (*Scenario, error) { return parse(path, data, "") }

func parse(path string, data []byte, templatesDir string) (*Scenario, error) {
	name := filepath.Base(path)
	var root yaml.Node
	if err := playbook.DecodeYAML(name, data, &root, scenarioExpected); err != nil {
		return nil, err
	}
	lines, err := checkFields(&root)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var f file
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("%s: %s", name, playbook.SanitizeError(err.Error()))
	}

	dir := filepath.Dir(path)
	s := &Scenario{Path: path, Title: f.Title}
	var errs []error
	add := func(format string, a ...any) { errs = append(errs, fmt.Errorf(format, a...)) }

	if strings.TrimSpace(f.Incident) == "" {
		return nil, fmt.Errorf("%s: incident: missing: name the incident file (relative to the scenario), e.g. ../examples/cbp-2019.yaml", name)
	}
	s.IncidentPath = resolve(dir, f.Incident)
	if s.Incident, err = incidentfile.Read(s.IncidentPath); err != nil {
		return nil, fmt.Errorf("%s: incident: %w", name, err)
	}
	if s.Title == "" {
		s.Title = s.Incident.Title
	}
	if s.templates, err = loadTemplates(templatesDir); err != nil {
		return nil, err
	}
	s.PlaybookRef = f.Playbook
	pbPath := s.PlaybookRef
	switch {
	case pbPath != "" && playbook.IsPath(pbPath):
		pbPath = resolve(dir, pbPath)
	case pbPath == "":
		// incidentfile.Read has resolved a path against the incident file's folder.
		s.PlaybookRef = s.Incident.Playbook
		pbPath = s.PlaybookRef
	}
	if pbPath == "" && len(s.Incident.Playbooks) > 0 {
		// The incident applies several regimes: simulate them together.
		s.PlaybookRef = strings.Join(s.Incident.Playbooks, "+")
		if s.Playbook, err = combined(s.Incident.Playbooks, s.templates); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
	} else if s.Playbook, err = playbook.Resolve(pbPath, templates.Embedded(), s.templates); err != nil {
		return nil, fmt.Errorf("%s: playbook: %w", name, err)
	}

	discovered := f.DiscoveredAt
	field := "discovered_at"
	if discovered == "" {
		discovered, field = s.Incident.DiscoveredAt, "discovered_at (from the incident file)"
	}
	switch {
	case discovered == "" || discovered == "now":
		add("%s: %s: give the real discovery time (%s)", name, field, timeHint)
	default:
		if s.DiscoveredAt, err = time.Parse(time.RFC3339, discovered); err != nil {
			add("%s: %s %q: %s", name, field, short(discovered), timeHint)
		} else if err := clock.CheckTime(field, s.DiscoveredAt); err != nil {
			add("%s: %w", name, err)
			s.DiscoveredAt = time.Time{}
		}
	}
	if f.End == "" {
		add("%s: end: missing: until when to simulate (%s)", name, timeHint)
	} else if s.End, err = time.Parse(time.RFC3339, f.End); err != nil {
		add("%s: end %q: %s", name, short(f.End), timeHint)
	} else if err := clock.CheckTime("end", s.End); err != nil {
		add("%s: %w", name, err)
		s.End = time.Time{}
	} else if !s.DiscoveredAt.IsZero() && !s.End.After(s.DiscoveredAt) {
		add("%s: end %s: must lie after discovered_at %s", name, f.End, s.DiscoveredAt.Format(time.RFC3339))
	} else if !s.DiscoveredAt.IsZero() && s.End.Sub(s.DiscoveredAt) > MaxSpan {
		add("%s: end %s: lies more than %d years after discovered_at: a simulation covers at most %d years; move end earlier", name, f.End, maxSpanYears, maxSpanYears)
	}
	if err := playbook.CheckLine("title", f.Title, playbook.MaxTitleLen); err != nil {
		add("%s: %w", name, err)
	}

	for i, n := range f.Notes {
		if strings.TrimSpace(n.Text) == "" {
			add("%s: notes[%d].text: missing", name, i)
		}
		for _, err := range checkNoteText(n) {
			add("%s: notes[%d].%w", name, i, err)
		}
		for _, id := range n.Obligations {
			if s.Playbook.Obligation(id) == nil {
				add("%s: notes[%d].obligations: %s", name, i, unknownObligation(s.Playbook, id))
			}
		}
		s.Notes = append(s.Notes, Note(n))
	}
	for i, raw := range f.Events {
		ev, evErrs := s.checkEvent(i, lines[i], raw)
		for _, e := range evErrs {
			add("%s:%d: events[%d].%v", name, lines[i], i, e)
		}
		s.Events = append(s.Events, ev)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return s, nil
}

// checkFields rejects unknown keys with the event's index and line, which a strict decode alone
// reports only by line. It returns the line of every event.
func checkFields(root *yaml.Node) ([]int, error) {
	if len(root.Content) == 0 {
		return nil, errors.New("file is empty: expected " + scenarioExpected)
	}
	doc := root.Content[0]
	if doc.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("line %d: a scenario is a mapping with fields %s", doc.Line, strings.Join(topFields, ", "))
	}
	var errs []error
	var lines []int
	for i := 0; i+1 < len(doc.Content); i += 2 {
		key, val := doc.Content[i], doc.Content[i+1]
		if !contains(topFields, key.Value) {
			errs = append(errs, fmt.Errorf("line %d: unknown field %q: a scenario has %s", key.Line, key.Value, strings.Join(topFields, ", ")))
			continue
		}
		if val.Kind != yaml.SequenceNode || (key.Value != "events" && key.Value != "notes") {
			continue
		}
		allowed := eventFields
		if key.Value == "notes" {
			allowed = noteFields
		}
		for j, item := range val.Content {
			if key.Value == "events" {
				lines = append(lines, item.Line)
			}
			if item.Kind != yaml.MappingNode {
				continue // the strict decode reports it
			}
			for k := 0; k+1 < len(item.Content); k += 2 {
				if f := item.Content[k]; !contains(allowed, f.Value) {
					errs = append(errs, fmt.Errorf("line %d: %s[%d]: unknown field %q: use %s", f.Line, key.Value, j, f.Value, strings.Join(allowed, ", ")))
				}
			}
		}
	}
	return lines, errors.Join(errs...)
}

// loadTemplates loads the notice templates: the embedded ones, or those in dir/notices.
func loadTemplates(dir string) (*templates.Set, error) {
	var fsys fs.FS = templates.Embedded()
	if dir != "" {
		fsys = os.DirFS(dir)
	}
	set, err := templates.Load(fsys)
	if err != nil {
		return nil, fmt.Errorf("loading templates: %w", err)
	}
	return set, nil
}

func resolve(dir, p string) string {
	if filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(dir, p)
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// sortedKeys lists a map's keys for a message, sorted; "none" for an empty map.
func sortedKeys[V any](m map[string]V) string {
	if len(m) == 0 {
		return "none"
	}
	return strings.Join(slices.Sorted(maps.Keys(m)), ", ")
}
