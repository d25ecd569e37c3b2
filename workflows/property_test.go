package workflows_test

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/testsuite"

	"github.com/breachflow/breachflow/playbook"
	"github.com/breachflow/breachflow/templates"
	"github.com/breachflow/breachflow/workflows"
)

// TestPropertyRandomPlaybooksNeverWedge drives random valid playbooks (every clock kind, anchors
// on discovery, facts, determinations and other obligations, conditions, reminders, escalations,
// approvals) and random sequences of coordinator actions — valid and invalid, at random times,
// some at the same instant — through the workflow in the time-skipping environment. Whatever
// happens, no workflow task may fail, every status query must answer, and a forced close must
// end the incident. The seeds are fixed, so a failure reproduces; raise -count or the number of
// cases to search wider.
func TestPropertyRandomPlaybooksNeverWedge(t *testing.T) {
	set, err := templates.Load(templates.Embedded())
	require.NoError(t, err)
	cases := 40
	if testing.Short() {
		cases = 10
	}
	parsed, accepted, tried := 0, 0, 0
	for seed := range cases {
		r := rand.New(rand.NewPCG(uint64(seed), 0x5eed))
		src := randomPlaybook(r)
		pb, err := playbook.Parse(fmt.Sprintf("random-%d.yaml", seed), []byte(src), set)
		if err != nil {
			t.Fatalf("seed %d: the generator wrote an invalid playbook: %v\n%s", seed, err, src)
		}
		parsed++
		t.Run(fmt.Sprintf("seed-%d", seed), func(t *testing.T) {
			a, n := runRandomIncident(t, r, pb)
			accepted, tried = accepted+a, tried+n
		})
	}
	require.Equal(t, cases, parsed)
	// The actions must reach the state, not only bounce off validators.
	require.Greater(t, accepted*5, tried, "only %d of %d random actions were accepted", accepted, tried)
}

var propertyTemplates = []string{"cisa-report", "omb-report", "congress-notice", "law-enforcement", "public-statement", "individual-notice", "after-action"}

func randomPlaybook(r *rand.Rand) string {
	var b strings.Builder
	b.WriteString(`format: 1
name: random
version: "1"
title: Random playbook
defaults:
  time_zone: America/New_York
  calendar: us-federal
`)
	switch r.IntN(3) {
	case 0:
		b.WriteString("  reminders: []\n")
	case 1:
		b.WriteString("  reminders: [{at_fraction: 0.5}, {before: 1h}, {before: 0s}]\n")
	}
	fmt.Fprintf(&b, "  cadence: %dh\n", 1+r.IntN(72))
	if r.IntN(4) > 0 {
		fmt.Fprintf(&b, "  escalation: {to: [boss], every: %dm}\n", 1+r.IntN(3000))
	}
	b.WriteString(`roles:
  owner: {title: Owner}
  boss: {title: Boss}
  outside: {title: Outside recipient}
facts:
  summary: {type: text, title: What happened}
  occurred_at: {type: date, title: When}
  detected_how: {type: text, title: How}
  data_types: {type: text, title: Data}
  affected_count: {type: number, title: People affected}
  pii_involved: {type: bool, title: PII}
  location: {type: text, title: Where}
  vendor_involved: {type: bool, title: Vendor}
  vendor_name: {type: text, title: Vendor name}
  attack_vector: {type: text, title: Vector}
  systems_affected: {type: text, title: Systems}
  agency_systems_compromised: {type: bool, title: Agency systems}
  dark_web_exposure: {type: bool, title: Dark web}
  point_of_contact: {type: text, title: Contact}
determinations:
  major_incident: {title: Major incident}
  individual_notice_required: {title: Individual notice required}
obligations:
`)
	n := 1 + r.IntN(6)
	for i := range n {
		fmt.Fprintf(&b, "  - id: o%d\n    title: Obligation %d\n    citation: test\n    owner: owner\n", i, i)
		switch k := r.IntN(5); {
		case k == 0 || i == 0:
			b.WriteString("    anchor: discovery\n")
		case k == 1:
			b.WriteString("    anchor: determination:major_incident\n")
		case k == 2:
			b.WriteString("    anchor: fact:pii_involved\n")
		default:
			fmt.Fprintf(&b, "    anchor: obligation:o%d\n", r.IntN(i))
		}
		switch r.IntN(6) {
		case 0:
			fmt.Fprintf(&b, "    deadline: {clock: hours, amount: %d}\n", 1+r.IntN(200))
		case 1:
			fmt.Fprintf(&b, "    deadline: {clock: calendar_days, amount: %d}\n", 1+r.IntN(60))
		case 2:
			fmt.Fprintf(&b, "    deadline: {clock: business_days, amount: %d}\n", 1+r.IntN(30))
		case 3:
			fmt.Fprintf(&b, "    deadline: {clock: calendar_months, amount: %d}\n", 1+r.IntN(12))
		default:
			b.WriteString("    deadline: {clock: none, note: promptly}\n")
		}
		if r.IntN(3) == 0 {
			fmt.Fprintf(&b, "    when: [{fact: affected_count, at_least: %d}]\n", r.IntN(200000))
		}
		if i > 0 && r.IntN(4) == 0 {
			fmt.Fprintf(&b, "    depends_on: [o%d]\n", r.IntN(i))
		}
		if r.IntN(2) == 0 {
			send, approvals := "manual", r.IntN(3)
			if approvals == 0 && r.IntN(2) == 0 {
				send = "on_due" // a notice that needs approvals is always requested by a person
			}
			fmt.Fprintf(&b, "    notice: {template: %s, to: [outside], cc: [boss], send: %s, approvals: %d, completes_obligation: %t}\n",
				propertyTemplates[r.IntN(len(propertyTemplates))], send, approvals, r.IntN(2) == 0)
		}
	}
	return b.String()
}

// runRandomIncident plays random actions against one incident and checks the invariants.
// It returns how many actions were accepted, of how many tried.
func runRandomIncident(t *testing.T, r *rand.Rand, pb *playbook.Playbook) (accepted, tried int) {
	t0 := time.Date(2024, 1, 1, 0, 0, 0, 0, ny).Add(time.Duration(r.IntN(3*365*24)) * time.Hour)
	// Discovered up to two years before the incident is opened.
	discovered := t0.Add(-time.Duration(r.IntN(2*365*24)) * time.Hour)
	in := workflows.StartIncidentInput{
		IncidentID: workflows.NewIncidentID(), Title: "Random incident", DiscoveredAt: discovered, Playbook: *pb,
		StartedBy: "coordinator", ContinueAfterEvents: 200 + r.IntN(800),
		Contacts: map[string][]playbook.Contact{
			"owner": {{Email: "owner@agency.example"}}, "boss": {{Email: "boss@agency.example"}}, "outside": {{Email: "out@partner.example"}},
		},
	}
	require.NoError(t, workflows.ValidateStart(in))

	people := []string{"alice", "bob", "carol", " Alice ", "dave"}
	obl := func() string { return fmt.Sprintf("o%d", r.IntN(len(pb.Obligations)+1)) } // sometimes unknown
	var hashes []string
	actions := 5 + r.IntN(40)
	horizon := time.Duration(1+r.IntN(90)) * 24 * time.Hour
	type step struct {
		at   time.Duration
		name string
		arg  func() any
	}
	var steps []step
	for range actions {
		at := time.Duration(r.Int64N(int64(horizon)))
		if r.IntN(4) == 0 && len(steps) > 0 {
			at = steps[len(steps)-1].at // the same instant as the previous action
		}
		by := people[r.IntN(len(people))]
		o := obl()
		var s step
		switch r.IntN(10) {
		case 0:
			s = step{at, workflows.UpdateComplete, func() any { return workflows.CompleteInput{Obligation: o, By: by} }}
		case 1:
			s = step{at, workflows.UpdateWaive, func() any { return workflows.WaiveInput{Obligation: o, By: by, Reason: "not owed"} }}
		case 2:
			v := fmt.Sprint(r.IntN(300000))
			s = step{at, workflows.UpdateRecordFact, func() any { return workflows.RecordFactInput{Name: "affected_count", Value: v, By: by} }}
		case 3:
			v := []string{"yes", "no"}[r.IntN(2)]
			name := []string{"pii_involved", "major_incident"}[r.IntN(2)]
			s = step{at, workflows.UpdateRecordFact, func() any {
				return workflows.RecordFactInput{Name: name, Value: v, Determination: name == "major_incident", By: by}
			}}
		case 4, 5:
			s = step{at, workflows.UpdateSendNotice, func() any { return workflows.SendNoticeInput{Obligation: o, By: by} }}
		case 6:
			s = step{at, workflows.UpdateApprove, func() any {
				h := "000000000000"
				if len(hashes) > 0 {
					h = hashes[r.IntN(len(hashes))]
				}
				return workflows.ApproveInput{Obligation: o, By: by, ContentHash: h}
			}}
		case 7:
			until := time.Duration(1+r.IntN(240)) * time.Hour
			s = step{at, workflows.UpdateHold, func() any {
				return workflows.HoldInput{Obligation: o, By: by, RequestedBy: "FBI", Authority: "AG request", Until: t0.Add(at + until)}
			}}
		case 8:
			s = step{at, workflows.UpdateRelease, func() any { return workflows.ReleaseInput{Obligation: o, By: by} }}
		default:
			back := time.Duration(r.IntN(72)) * time.Hour
			s = step{at, workflows.UpdateCorrectDiscovery, func() any {
				return workflows.CorrectDiscoveryInput{DiscoveredAt: discovered.Add(-back), By: by, Reason: "earlier ticket"}
			}}
		}
		steps = append(steps, s)
	}

	h := newHarness(t, t0, nil)
	answered, queries := 0, 0
	for i, s := range steps {
		h.env.RegisterDelayedCallback(func() {
			// Remember the content hashes on offer, for approvals that match.
			if v, err := h.env.QueryWorkflow(workflows.QueryStatus); err == nil {
				var st workflows.Status
				if v.Get(&st) == nil {
					answered++
					for _, n := range st.Notices {
						if n.ContentHash != "" {
							hashes = append(hashes, n.ContentHash)
						}
					}
				}
			}
			queries++
			h.env.UpdateWorkflow(s.name, fmt.Sprintf("random-%d", i), &testsuite.TestUpdateCallback{
				OnAccept: func() {}, OnReject: func(error) {}, OnComplete: func(_ any, err error) {
					if err == nil {
						accepted++
					}
				},
			}, s.arg())
		}, s.at)
	}
	h.do(horizon+time.Hour, workflows.UpdateClose, workflows.CloseInput{By: "coordinator", Force: true, Reason: "property test over"}, "")
	h.env.ExecuteWorkflow(workflows.WorkflowType, in)
	require.True(t, h.env.IsWorkflowCompleted(), "the incident did not complete")
	if err := h.env.GetWorkflowError(); err != nil {
		// A long run may hand over to a new one; anything else is a wedge.
		require.ErrorContains(t, err, "continue as new", "the workflow failed")
		return accepted, len(steps)
	}
	require.Equal(t, queries, answered, "every status query answered")
	var res workflows.IncidentResult
	require.NoError(t, h.env.GetWorkflowResult(&res))
	require.Equal(t, workflows.IncidentClosed, res.Final.Status)
	return accepted, len(steps)
}
