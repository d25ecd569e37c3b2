// Package incidentfile reads the YAML file a coordinator writes to start an incident.
package incidentfile

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"time"

	"gopkg.in/yaml.v3"

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
	// Playbook is an embedded playbook name or a file path (default us-federal-breach).
	Playbook string `yaml:"playbook"`
	// Facts are initial facts by ID; scalars of any YAML type.
	Facts map[string]any `yaml:"facts"`
	// Contacts are recipients by role.
	Contacts map[string][]playbook.Contact `yaml:"contacts"`
}

// DefaultPlaybook is used when an incident file names none.
const DefaultPlaybook = "us-federal-breach"

// Read parses an incident file strictly.
func Read(path string) (*File, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading incident file: %w", err)
	}
	return Parse(filepath.Base(path), data)
}

// Parse decodes an incident file; name labels errors.
func Parse(name string, data []byte) (*File, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var f File
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("%s: %w (fields: title, summary, discovered_at, playbook, facts, contacts)", name, err)
	}
	if f.Playbook == "" {
		f.Playbook = DefaultPlaybook
	}
	return &f, nil
}

// Input turns the file into a workflow input. now replaces discovered_at "now" (or an empty one
// when discoveredNow is set).
func (f *File) Input(id string, pb *playbook.Playbook, by string, now time.Time, discoveredNow bool) (workflows.StartIncidentInput, error) {
	in := workflows.StartIncidentInput{
		IncidentID: id,
		Title:      f.Title,
		Summary:    f.Summary,
		Playbook:   *pb,
		Contacts:   f.Contacts,
		StartedBy:  by,
	}
	switch {
	case discoveredNow || f.DiscoveredAt == "now":
		in.DiscoveredAt = now
	case f.DiscoveredAt != "":
		t, err := time.Parse(time.RFC3339, f.DiscoveredAt)
		if err != nil {
			return in, fmt.Errorf("discovered_at %q: write RFC 3339 with a zone, e.g. 2019-05-31T09:00:00-04:00, or now", f.DiscoveredAt)
		}
		in.DiscoveredAt = t
	}
	names := make([]string, 0, len(f.Facts))
	for n := range f.Facts {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		in.Facts = append(in.Facts, workflows.FactInput{Name: n, Value: scalar(f.Facts[n]), At: in.DiscoveredAt})
	}
	return in, workflows.ValidateStart(in)
}

func scalar(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case time.Time:
		return x.Format(time.RFC3339)
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	default:
		return fmt.Sprint(x)
	}
}
