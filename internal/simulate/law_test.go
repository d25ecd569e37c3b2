package simulate

import (
	"bytes"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/breachflow/breachflow/playbook"
	"github.com/breachflow/breachflow/workflows"
)

// TestReportLabelsInternalTargets: the compliance report never presents an internal target as a
// legal deadline.
func TestReportLabelsInternalTargets(t *testing.T) {
	at := time.Date(2019, 6, 1, 9, 0, 0, 0, time.UTC)
	r := &Report{Title: "t", loc: time.UTC, Counts: map[workflows.Outcome]int{}, Obligations: []ObligationReport{
		{ID: "law-enforcement", AnchorAt: at, Deadline: at.Add(24 * time.Hour), DeadlineKind: playbook.DeadlineInternalTarget, Outcome: workflows.OutcomeMet, Label: "met"},
		{ID: "cisa-report", AnchorAt: at, Deadline: at.Add(time.Hour), DeadlineKind: playbook.DeadlineLegal, Outcome: workflows.OutcomeMet, Label: "met"},
	}}
	var buf bytes.Buffer
	require.NoError(t, r.WriteText(&buf))
	require.Contains(t, buf.String(), "Sun 2019-06-02 09:00 UTC (internal target)")
	require.NotContains(t, buf.String(), "10:00 UTC (internal target)")
}
