package simulate_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/breachflow/breachflow/internal/simulate"
	"github.com/breachflow/breachflow/workflows"
)

// TestCompany2026 simulates scenarios/company-2026.yaml: one breach under four regimes (us-ca,
// us-tx, eu-gdpr, sec-8k). It needs the model branch (incidents of several playbooks, decisions,
// the notice: anchor) and skips until then. Expectations worked out by hand:
//
//   - gdpr.sa-notification (Art. 33(1), 72 h from awareness): discovery Thu 12 Mar 2026 08:00 PDT
//     (15:00 UTC) → Sun 15 Mar 15:00 UTC (08:00 PDT, 16:00 CET); sent at 20:00 PDT on 14 Mar and
//     approved at 20:10 → delivered then → met.
//   - sec-8k.form-8k (4 business days from the materiality determination): Mon 16 Mar 17:00 EDT;
//     the anchor's day never counts; Tue 17 (1), Wed 18 (2), Thu 19 (3), Fri 20 (4) → Sat 21 Mar
//     00:00 EDT; sent 19 Mar 16:00 EDT, second approval 16:10 EDT → met.
//   - us-ca.resident-notice (30 calendar days of discovery): 12 Mar + 30 = 11 Apr 08:00 PDT;
//     delivered after its second approval, 8 Apr 10:10 PDT → met.
//   - us-ca.ag-sample (15 calendar days after notifying residents; 40,000 > 500): 8 Apr 10:10 PDT
//   - 15 = 23 Apr 10:10 PDT; done 20 Apr 09:00 → met.
//   - us-tx.resident-notice (60th day after the determination): 13 Mar 10:00 PDT = 12:00 CDT; 13
//     Mar + 60 = 12 May 12:00 CDT; done 8 Apr → met.
//   - us-tx.ag-notice (30th day; 300 ≥ 250): 12 Apr 12:00 CDT; done 14 Apr 09:00 CDT → missed by
//     1 day 21 hours.
//   - us-tx.cra-notice: 300 ≤ 10,000 → not applicable. gdpr.processor-notice: we are the
//     controller → not applicable. gdpr.public-communication: no Art. 34(3)(c) exemption → not
//     applicable.
//   - gdpr.data-subjects: from the decision high_risk_to_individuals (18 Mar); no fixed deadline;
//     done 25 Mar → met.
func TestCompany2026(t *testing.T) {
	s, err := simulate.Load("../../scenarios/company-2026.yaml", "")
	require.NoError(t, err)
	rep, err := simulate.Run(context.Background(), s, simulate.Options{})
	require.NoError(t, err)
	la, err := time.LoadLocation("America/Los_Angeles")
	require.NoError(t, err)
	pdt := func(mo time.Month, d, h, m int) time.Time { return time.Date(2026, mo, d, h, m, 0, 0, la) }
	chicago, err := time.LoadLocation("America/Chicago")
	require.NoError(t, err)
	for _, w := range []struct {
		id       string
		outcome  workflows.Outcome
		deadline time.Time
		late     time.Duration
	}{
		{"gdpr.sa-notification", workflows.OutcomeMet, pdt(3, 15, 8, 0), 0},
		{"sec-8k.form-8k", workflows.OutcomeMet, time.Date(2026, 3, 21, 0, 0, 0, 0, ny), 0},
		{"us-ca.resident-notice", workflows.OutcomeMet, pdt(4, 11, 8, 0), 0},
		{"us-ca.ag-sample", workflows.OutcomeMet, pdt(4, 23, 10, 10), 0},
		{"us-tx.resident-notice", workflows.OutcomeMet, time.Date(2026, 5, 12, 12, 0, 0, 0, chicago), 0},
		{"us-tx.ag-notice", workflows.OutcomeMissed, time.Date(2026, 4, 12, 12, 0, 0, 0, chicago), 45 * hour},
		{"us-tx.cra-notice", workflows.OutcomeNotApplicable, time.Time{}, 0},
		{"gdpr.processor-notice", workflows.OutcomeNotApplicable, time.Time{}, 0},
		{"gdpr.public-communication", workflows.OutcomeNotApplicable, time.Time{}, 0},
		{"gdpr.data-subjects", workflows.OutcomeMet, time.Time{}, 0},
	} {
		o := rep.Obligation(w.id)
		require.NotNil(t, o, w.id)
		require.Equal(t, w.outcome, o.Outcome, "%s: %s", w.id, o.Detail)
		require.True(t, o.Deadline.Equal(w.deadline), "%s deadline: got %s, want %s", w.id, o.Deadline, w.deadline)
		require.Equal(t, w.late, o.Late, w.id)
	}
}
