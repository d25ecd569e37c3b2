package workflows

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestJudge(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	require.NoError(t, err)
	anchor := time.Date(2019, 5, 31, 13, 0, 0, 0, time.UTC)
	dl := anchor.Add(24 * time.Hour)
	hold := &Hold{RequestedBy: "FBI Cyber Division", From: anchor, Until: time.Date(2019, 6, 7, 21, 0, 0, 0, time.UTC)}
	cases := []struct {
		name    string
		o       ObligationStatus
		asOf    time.Time
		closed  bool
		outcome Outcome
		margin  time.Duration
		openFor time.Duration
		phrase  string
	}{
		{"done early", ObligationStatus{State: StateDone, Deadline: dl, CompletedAt: dl.Add(-2 * time.Hour)}, dl.Add(time.Hour), false,
			OutcomeMet, 2 * time.Hour, 0, "met, 2 hours early"},
		{"done at the deadline", ObligationStatus{State: StateDone, Deadline: dl, CompletedAt: dl}, dl, true,
			OutcomeMet, 0, 0, "met, at the deadline"},
		{"done late, lateness frozen", ObligationStatus{State: StateDone, Deadline: dl, CompletedAt: dl.Add(3 * time.Hour), Late: 3 * time.Hour}, dl.Add(48 * time.Hour), false,
			OutcomeMissed, -3 * time.Hour, 0, "missed by 3 hours"},
		{"done late, computed", ObligationStatus{State: StateDone, Deadline: dl, CompletedAt: dl.Add(26*time.Hour + 40*time.Second)}, dl.Add(48 * time.Hour), true,
			OutcomeMissed, -(26*time.Hour + 40*time.Second), 0, "missed by 1 day 2 hours"},
		{"done, no fixed deadline", ObligationStatus{State: StateDone, AnchorAt: anchor, CompletedAt: dl}, dl, false,
			OutcomeMet, 0, 0, "done (no fixed deadline)"},
		{"waived", ObligationStatus{State: StateWaived, Deadline: dl}, dl.Add(time.Hour), true,
			OutcomeWaived, 0, 0, "waived"},
		{"not applicable", ObligationStatus{State: StateNotApplicable}, dl, false,
			OutcomeNotApplicable, 0, 0, "does not apply"},
		{"pending", ObligationStatus{State: StatePending}, dl, false,
			OutcomeNotStarted, 0, 0, "clock not started"},
		{"pending at close", ObligationStatus{State: StatePending}, dl, true,
			OutcomeNotStarted, 0, 0, "clock not started"},
		{"on hold, open", ObligationStatus{State: StateOnHold, Deadline: dl, Hold: hold}, dl, false,
			OutcomeOnHold, 0, 0, "on hold until Fri 2019-06-07 17:00 EDT at the request of FBI Cyber Division"},
		{"on hold, hold unknown", ObligationStatus{State: StateOnHold, Deadline: dl}, dl, false,
			OutcomeOnHold, 0, 0, "on hold"},
		{"on hold at close", ObligationStatus{State: StateOnHold, Deadline: dl, Hold: hold}, dl, true,
			OutcomeUnfinished, 0, 0, "unfinished at close (was on hold)"},
		{"due, time left", ObligationStatus{State: StateDue, AnchorAt: anchor, Deadline: dl}, dl.Add(-90 * time.Minute), false,
			OutcomeOpen, 90 * time.Minute, 0, "1 hour 30 minutes left"},
		{"due, seconds left", ObligationStatus{State: StateDue, AnchorAt: anchor, Deadline: dl}, dl.Add(-40 * time.Second), false,
			OutcomeOpen, 40 * time.Second, 0, "40 seconds left"},
		{"overdue, open", ObligationStatus{State: StateOverdue, AnchorAt: anchor, Deadline: dl}, dl.Add(26 * time.Hour), false,
			OutcomeMissed, -26 * time.Hour, 0, "overdue by 1 day 2 hours"},
		{"due past its deadline (state not yet re-evaluated)", ObligationStatus{State: StateDue, Deadline: dl}, dl.Add(time.Minute), false,
			OutcomeMissed, -time.Minute, 0, "overdue by 1 minute"},
		{"overdue at close", ObligationStatus{State: StateOverdue, Deadline: dl}, dl.Add(time.Hour), true,
			OutcomeMissed, -time.Hour, 0, "missed: not done at close, 1 hour after the deadline"},
		{"unfinished at close", ObligationStatus{State: StateDue, Deadline: dl}, dl.Add(-time.Hour), true,
			OutcomeUnfinished, time.Hour, 0, "unfinished at close, 1 hour before the deadline"},
		{"no fixed deadline, open for N", ObligationStatus{State: StateDue, AnchorAt: anchor}, anchor.Add(50 * time.Hour), false,
			OutcomeNotDone, 0, 50 * time.Hour, "not done, open for 2 days 2 hours (no fixed deadline)"},
		{"no fixed deadline at close", ObligationStatus{State: StateDue, AnchorAt: anchor}, anchor.Add(3 * time.Hour), true,
			OutcomeNotDone, 0, 3 * time.Hour, "not done at close, open for 3 hours (no fixed deadline)"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			j := Judge(c.o, c.asOf, c.closed)
			require.Equal(t, c.outcome, j.Outcome)
			require.Equal(t, c.margin, j.Margin)
			require.Equal(t, c.openFor, j.OpenFor)
			require.Equal(t, c.phrase, j.Phrase(ny))
			require.Equal(t, max(-c.margin, 0), j.Late())
		})
	}
}

func TestOutcomesListedOnce(t *testing.T) {
	seen := map[Outcome]bool{}
	for _, o := range Outcomes {
		require.False(t, seen[o], "%s listed twice", o)
		seen[o] = true
	}
	require.Len(t, seen, 11)
}

func TestFormatInstant(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	require.NoError(t, err)
	for _, c := range []struct {
		t    time.Time
		loc  *time.Location
		want string
	}{
		{time.Time{}, ny, "-"},
		{time.Date(2019, 5, 31, 13, 0, 0, 0, time.UTC), ny, "Fri 2019-05-31 09:00 EDT"},
		{time.Date(2019, 12, 2, 14, 30, 0, 0, time.UTC), ny, "Mon 2019-12-02 09:30 EST"},
		// The night summer time ends: 01:30 happens twice, told apart by the abbreviation.
		{time.Date(2019, 11, 3, 5, 30, 0, 0, time.UTC), ny, "Sun 2019-11-03 01:30 EDT"},
		{time.Date(2019, 11, 3, 6, 30, 0, 0, time.UTC), ny, "Sun 2019-11-03 01:30 EST"},
		// The night it begins: 02:30 never happens; 07:30 UTC is 03:30 EDT.
		{time.Date(2019, 3, 10, 7, 30, 0, 0, time.UTC), ny, "Sun 2019-03-10 03:30 EDT"},
		{time.Date(2019, 5, 31, 13, 0, 0, 0, ny), nil, "Fri 2019-05-31 17:00 UTC"},
		{time.Date(2019, 5, 31, 13, 0, 0, 0, time.UTC), Location(""), "Fri 2019-05-31 13:00 UTC"},
		{time.Date(2019, 5, 31, 13, 0, 0, 0, time.UTC), Location("Not/AZone"), "Fri 2019-05-31 13:00 UTC"},
		{time.Date(2019, 5, 31, 13, 0, 0, 0, time.UTC), Location("America/New_York"), "Fri 2019-05-31 09:00 EDT"},
	} {
		require.Equal(t, c.want, FormatInstant(c.t, c.loc))
	}
}

func TestFormatDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{
		0:                                     "0 seconds",
		time.Second:                           "1 second",
		-40 * time.Second:                     "40 seconds",
		59*time.Second + 600*time.Millisecond: "1 minute",
		90 * time.Minute:                      "1 hour 30 minutes",
		51*time.Hour + 20*time.Minute:         "2 days 3 hours",
		-(7*24*time.Hour - time.Hour):         "6 days 23 hours",
	} {
		require.Equal(t, want, FormatDuration(d), "%v", d)
	}
}
