package simulate_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/breachflow/breachflow/clock"
	"github.com/breachflow/breachflow/internal/simulate"
)

// FuzzParseScenario: Parse never panics nor prints a raw escape sequence; what it accepts has
// every time in the accepted window, at most simulate.MaxSpan to simulate, events that encode as
// JSON, and deadlines computable from discovery and end. The scenario is placed in scenarios/,
// so "incident: ../examples/cbp-2019.yaml" names the example. Seeds:
// testdata/fuzz/FuzzParseScenario (the shipped scenario and hostile cases).
func FuzzParseScenario(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := simulate.Parse("../../scenarios/fuzz.yaml", data)
		if err != nil {
			if strings.ContainsRune(err.Error(), 0x1b) {
				t.Fatalf("error prints an escape character raw: %q", err)
			}
			return
		}
		inWindow := func(what string, tm time.Time) {
			if !tm.IsZero() && clock.CheckTime(what, tm) != nil {
				t.Fatalf("accepted %v", clock.CheckTime(what, tm))
			}
		}
		inWindow("discovered_at", s.DiscoveredAt)
		inWindow("end", s.End)
		if s.End.Sub(s.DiscoveredAt) > simulate.MaxSpan {
			t.Fatalf("accepted a simulation of %s", s.End.Sub(s.DiscoveredAt))
		}
		for _, ev := range s.Events {
			inWindow("at", ev.At)
			inWindow("known_by", ev.KnownBy)
			inWindow("until", ev.Until)
		}
		if _, err := json.Marshal(s.Events); err != nil {
			t.Fatalf("events do not encode: %v", err)
		}
		for i := range s.Playbook.Obligations {
			spec, err := s.Playbook.ClockSpec(&s.Playbook.Obligations[i])
			if err != nil {
				t.Fatal(err)
			}
			for _, a := range []time.Time{s.DiscoveredAt, s.End} {
				if due, ok := spec.Due(a); ok {
					if _, err := json.Marshal(due); err != nil {
						t.Fatalf("deadline does not encode: %v", err)
					}
				}
			}
		}
	})
}
