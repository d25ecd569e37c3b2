package incidentfile_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/breachflow/breachflow/clock"
	"github.com/breachflow/breachflow/internal/incidentfile"
	"github.com/breachflow/breachflow/playbook"
	"github.com/breachflow/breachflow/templates"
	"github.com/breachflow/breachflow/workflows"
)

// FuzzParseIncidentFile: Parse never panics nor prints a raw escape sequence; what Parse and
// Input accept is within the limits (text caps, no control characters, times in the window,
// valid addresses, facts of their type) and every deadline from its discovery encodes as JSON.
// Seeds: testdata/fuzz/FuzzParseIncidentFile (the example and hostile cases).
func FuzzParseIncidentFile(f *testing.F) {
	set, err := templates.Load(templates.Embedded())
	if err != nil {
		f.Fatal(err)
	}
	pb, err := playbook.Resolve(incidentfile.DefaultPlaybook, templates.Embedded(), set)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := incidentfile.Parse("fuzz.yaml", data)
		if err != nil {
			if strings.ContainsRune(err.Error(), 0x1b) {
				t.Fatalf("error prints an escape character raw: %q", err)
			}
			return
		}
		for field, s := range map[string]string{"title": file.Title} {
			if err := playbook.CheckLine(field, s, playbook.MaxTitleLen); err != nil {
				t.Fatalf("accepted %v", err)
			}
		}
		if err := playbook.CheckText("summary", file.Summary, playbook.MaxSummaryLen); err != nil {
			t.Fatalf("accepted %v", err)
		}
		in, err := file.Input(workflows.NewIncidentID(), pb, "fuzz", now, false)
		if err != nil {
			if strings.ContainsRune(err.Error(), 0x1b) {
				t.Fatalf("error prints an escape character raw: %q", err)
			}
			return
		}
		if err := clock.CheckDiscovery("discovered_at", in.DiscoveredAt, now); err != nil {
			t.Fatalf("accepted %v", err)
		}
		for _, fi := range in.Facts {
			if _, err := playbook.NormalizeFact(pb.Facts[fi.Name], fi.Value); err != nil {
				t.Fatalf("accepted fact %s: %v", fi.Name, err)
			}
		}
		for _, cs := range in.Contacts {
			for _, c := range cs {
				if err := playbook.CheckAddress(c.Email); err != nil {
					t.Fatalf("accepted %v", err)
				}
			}
		}
		for i := range pb.Obligations {
			spec, err := pb.ClockSpec(&pb.Obligations[i])
			if err != nil {
				t.Fatal(err)
			}
			if due, ok := spec.Due(in.DiscoveredAt); ok {
				if _, err := json.Marshal(due); err != nil {
					t.Fatalf("deadline does not encode: %v", err)
				}
			}
		}
		if _, err := json.Marshal(in); err != nil {
			t.Fatalf("start input does not encode: %v", err)
		}
	})
}
