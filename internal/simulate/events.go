package simulate

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/breachflow/breachflow/clock"
	"github.com/breachflow/breachflow/playbook"
)

// checkEvent parses one event of a scenario; each error starts with the field it is about.
func (s *Scenario) checkEvent(i, line int, raw rawEvent) (Event, []error) {
	ev := Event{Index: i, Line: line, Action: raw.Action, Obligation: raw.Obligation, Name: raw.Name, Value: raw.Value,
		By: raw.By, Note: raw.Note, Reason: raw.Reason, RequestedBy: raw.RequestedBy, Authority: raw.Authority, Source: raw.Source}
	if ev.By == "" {
		ev.By = DefaultActor
	}
	var errs []error
	add := func(field, format string, a ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", field, fmt.Sprintf(format, a...)))
	}
	pb := s.Playbook

	uses, known := fieldsFor[raw.Action]
	switch {
	case raw.Action == "":
		add("action", "missing: one of %s", strings.Join(actions, ", "))
	case !known:
		add("action", "unknown action %q: use one of %s", raw.Action, strings.Join(actions, ", "))
	}

	switch raw.At {
	case "":
		add("at", "missing: when it happened (%s), or %s", timeHint, Unknown)
	case Unknown:
		ev.AtUnknown = true
	default:
		t, err := time.Parse(time.RFC3339, raw.At)
		switch {
		case err != nil:
			add("at", "%q: %s, or %s when the date is not public", short(raw.At), timeHint, Unknown)
		case clock.CheckTime("at", t) != nil:
			errs = append(errs, clock.CheckTime("at", t))
		case !s.DiscoveredAt.IsZero() && t.Before(s.DiscoveredAt):
			add("at", "%s lies before discovery (%s): the simulation starts at discovery; correct discovered_at or leave the event out",
				raw.At, s.DiscoveredAt.Format(time.RFC3339))
		case !s.End.IsZero() && t.After(s.End):
			add("at", "%s lies after end (%s): move end later", raw.At, s.End.Format(time.RFC3339))
		default:
			ev.At = t
		}
	}
	if raw.KnownBy != "" {
		t, err := time.Parse(time.RFC3339, raw.KnownBy)
		switch {
		case raw.At != Unknown:
			add("known_by", "only for at: %s (it bounds an event whose date is not public)", Unknown)
		case err != nil:
			add("known_by", "%q: %s", short(raw.KnownBy), timeHint)
		case clock.CheckTime("known_by", t) != nil:
			errs = append(errs, clock.CheckTime("known_by", t))
		default:
			ev.KnownBy = t
		}
	}

	if known {
		set := map[string]string{"obligation": raw.Obligation, "name": raw.Name, "value": raw.Value, "reason": raw.Reason,
			"requested_by": raw.RequestedBy, "authority": raw.Authority, "until": raw.Until}
		for _, f := range []string{"obligation", "name", "value", "reason", "requested_by", "authority", "until"} {
			if set[f] != "" && !contains(uses, f) {
				add(f, "not used by action %s (it takes %s)", raw.Action, strings.Join(uses, ", "))
			}
		}
	}
	switch raw.Action {
	case ActionComplete, ActionWaive, ActionSend, ActionApprove, ActionHold, ActionRelease:
		if raw.Obligation == "" {
			add("obligation", "missing: which obligation to %s", raw.Action)
		} else if pb.Obligation(raw.Obligation) == nil {
			add("obligation", "%s", unknownObligation(pb, raw.Obligation))
		}
	case ActionFact:
		if raw.Name == "" {
			add("name", "missing: which fact")
		} else if _, ok := pb.Facts[raw.Name]; !ok {
			add("name", "unknown fact %q: the playbook declares %s", raw.Name, sortedKeys(pb.Facts))
		}
	case ActionDetermination:
		if raw.Name == "" {
			add("name", "missing: which determination")
		} else if _, ok := pb.Determinations[raw.Name]; !ok {
			add("name", "unknown determination %q: the playbook declares %s", raw.Name, sortedKeys(pb.Determinations))
		}
	case ActionDecision:
		if raw.Name == "" {
			add("name", "missing: which decision")
		} else if d, ok := pb.Decisions[raw.Name]; !ok {
			add("name", "unknown decision %q: the playbook declares %s", raw.Name, sortedKeys(pb.Decisions))
		} else if !slices.Contains(d.AllowedOutcomes(), raw.Value) {
			add("value", "%q is not an outcome of %s: use one of %s", short(raw.Value), raw.Name, strings.Join(d.AllowedOutcomes(), ", "))
		}
		if strings.TrimSpace(raw.Reason) == "" {
			add("reason", "missing: the rationale the sources give for the decision (a decision without one is a finding, not an event: write it as a note)")
		}
	case ActionCorrectDiscovery:
		t, err := time.Parse(time.RFC3339, raw.Value)
		if err != nil {
			add("value", "%q: the corrected discovery time; %s", short(raw.Value), timeHint)
		} else if err := clock.CheckTime("value", t); err != nil {
			errs = append(errs, err)
		}
		ev.discoveredAt = t
	}
	if raw.Until != "" {
		t, err := time.Parse(time.RFC3339, raw.Until)
		if err != nil {
			add("until", "%q: %s", short(raw.Until), timeHint)
		} else if err := clock.CheckTime("until", t); err != nil {
			errs = append(errs, err)
		}
		ev.Until = t
	}
	return ev, append(errs, checkEventText(raw)...)
}

// unknownObligation is the workflow validator's message for an unknown obligation.
func unknownObligation(pb *playbook.Playbook, id string) string {
	ids := make([]string, 0, len(pb.Obligations))
	for _, o := range pb.Obligations {
		ids = append(ids, o.ID)
	}
	return fmt.Sprintf("unknown obligation %q: this incident has %s", id, strings.Join(ids, ", "))
}
