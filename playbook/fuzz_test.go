package playbook_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/breachflow/breachflow/clock"
	"github.com/breachflow/breachflow/playbook"
	"github.com/breachflow/breachflow/templates"
)

// FuzzParsePlaybook: Parse never panics, never prints a raw escape sequence, and whatever it
// accepts the engine can run: every deadline from any anchor in the accepted window is computed
// quickly and encodes as JSON, every interval is within the limits and every text field is within
// its cap and free of control characters. Seeds: testdata/fuzz/FuzzParsePlaybook (the shipped
// playbook and hostile cases).
func FuzzParsePlaybook(f *testing.F) {
	set, err := templates.Load(templates.Embedded())
	if err != nil {
		f.Fatal(err)
	}
	f.Add([]byte(baseYAML()))
	f.Fuzz(func(t *testing.T, data []byte) {
		pb, err := playbook.Parse("fuzz.yaml", data, set)
		if err != nil {
			if strings.ContainsRune(err.Error(), 0x1b) {
				t.Fatalf("error prints an escape character raw: %q", err)
			}
			return
		}
		checkPlaybookInvariants(t, pb)
	})
}

// checkPlaybookInvariants fails t unless pb satisfies what every accepted playbook must.
func checkPlaybookInvariants(t *testing.T, pb *playbook.Playbook) {
	t.Helper()
	line := func(field, s string, max int) {
		if err := playbook.CheckLine(field, s, max); err != nil {
			t.Fatalf("accepted %v", err)
		}
	}
	line("title", pb.Title, playbook.MaxTitleLen)
	for id, r := range pb.Roles {
		line("roles."+id+".title", r.Title, playbook.MaxTitleLen)
		for _, c := range r.Contacts {
			if err := playbook.CheckAddress(c.Email); err != nil {
				t.Fatalf("accepted %v", err)
			}
		}
	}
	anchors := []time.Time{clock.EarliestTime, clock.LatestTime, time.Date(2019, 5, 31, 13, 0, 0, 0, time.UTC)}
	interval := func(what string, d time.Duration) {
		if d != 0 && clock.CheckInterval(d) != nil {
			t.Fatalf("accepted %s %s", what, d)
		}
	}
	interval("defaults.cadence", pb.Defaults.Cadence.Std())
	for i := range pb.Obligations {
		o := &pb.Obligations[i]
		line(o.ID+".title", o.Title, playbook.MaxTitleLen)
		line(o.ID+".citation", o.Citation, playbook.MaxNoteLen)
		spec, err := pb.ClockSpec(o)
		if err != nil {
			t.Fatalf("accepted obligation %s with a clock it cannot compute: %v", o.ID, err)
		}
		for _, a := range anchors {
			start := time.Now()
			due, ok := spec.Due(a)
			if d := time.Since(start); d > time.Second {
				t.Fatalf("obligation %s: deadline took %s", o.ID, d)
			}
			if spec.Kind == clock.None {
				continue
			}
			if !ok {
				t.Fatalf("obligation %s: no deadline from %s", o.ID, a)
			}
			if _, err := json.Marshal(due); err != nil {
				t.Fatalf("obligation %s: deadline %v does not encode: %v", o.ID, due.Year(), err)
			}
		}
		interval(o.ID+".cadence", pb.CadenceFor(o))
		if e := pb.EscalationFor(o); e != nil && clock.CheckInterval(e.Every.Std()) != nil {
			t.Fatalf("accepted escalation every %s", e.Every.Std())
		}
		for _, r := range pb.RemindersFor(o) {
			if r.Before != nil && clock.CheckLead(r.Before.Std()) != nil {
				t.Fatalf("accepted reminder before %s", r.Before.Std())
			}
			if r.AtFraction != nil && !(*r.AtFraction > 0 && *r.AtFraction < 1) {
				t.Fatalf("accepted at_fraction %g", *r.AtFraction)
			}
		}
	}
}
