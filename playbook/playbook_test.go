package playbook_test

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/breachflow/breachflow/clock"
	"github.com/breachflow/breachflow/playbook"
)

func TestParseDuration(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"90m", 90 * time.Minute, true},
		{"1h", time.Hour, true},
		{"0s", 0, true},
		{"2d", 48 * time.Hour, true},
		{"1w", 7 * 24 * time.Hour, true},
		{"1.5d", 36 * time.Hour, true},
		{"-1h", -time.Hour, true}, // syntactically fine; Validate rejects negative values where they matter
		{"", 0, false},
		{"x", 0, false},
		{"3 days", 0, false},
		{"d", 0, false},
		{"w", 0, false},
		{"1xd", 0, false},
		{"3 d", 0, false},
		{"1hd", 0, false},
		{"nand", 0, false},
		{"infw", 0, false},
		{"1e300d", 0, false},
		{"1", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			d, err := playbook.ParseDuration(tt.in)
			if !tt.ok {
				require.Error(t, err)
				require.Contains(t, err.Error(), "write e.g. 1h, 2d or 1w")
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.want, d.Std())
		})
	}
}

func TestDurationTextRoundTrip(t *testing.T) {
	for _, in := range []string{"90m", "2d", "1w", "1.5d"} {
		t.Run(in, func(t *testing.T) {
			var d playbook.Duration
			require.NoError(t, d.UnmarshalText([]byte(in)))
			text, err := d.MarshalText()
			require.NoError(t, err)
			var back playbook.Duration
			require.NoError(t, back.UnmarshalText(text))
			require.Equal(t, d, back)
		})
	}
	var d playbook.Duration
	require.Error(t, d.UnmarshalText([]byte("soon")))
}

var (
	numberFact = playbook.FactDef{Type: playbook.FactNumber}
	boolFact   = playbook.FactDef{Type: playbook.FactBool}
	dateFact   = playbook.FactDef{Type: playbook.FactDate}
	textFact   = playbook.FactDef{Type: playbook.FactText}
)

func TestNormalizeFact(t *testing.T) {
	tests := []struct {
		name string
		def  playbook.FactDef
		in   string
		want string
		err  string // substring of the error; empty when the value is valid
	}{
		{"number with commas", numberFact, "184,000", "184000", ""},
		{"number plain", numberFact, "99999", "99999", ""},
		{"number spaces", numberFact, " 42 ", "42", ""},
		{"number trailing zeros", numberFact, "1.50", "1.5", ""},
		{"number zero", numberFact, "0", "0", ""},
		{"number word", numberFact, "many", "", "is not a number"},
		{"number empty", numberFact, "", "", "is not a number"},
		{"number NaN", numberFact, "NaN", "", "is not a number"},
		{"number Inf", numberFact, "Inf", "", "is not a number"},
		{"number too large", numberFact, "1e400", "", "is not a number"},
		{"bool yes", boolFact, "yes", "true", ""},
		{"bool no", boolFact, "no", "false", ""},
		{"bool true", boolFact, "true", "true", ""},
		{"bool false", boolFact, "false", "false", ""},
		{"bool upper", boolFact, "TRUE", "true", ""},
		{"bool y", boolFact, "Y", "true", ""},
		{"bool maybe", boolFact, "maybe", "", "write true or false"},
		{"bool empty", boolFact, "", "", "not a yes/no value"},
		{"date", dateFact, "2019-05-31", "2019-05-31T00:00:00Z", ""},
		{"date RFC 3339", dateFact, "2019-05-31T09:00:00-04:00", "2019-05-31T09:00:00-04:00", ""},
		{"date US order", dateFact, "05/31/2019", "", "is not a date"},
		{"date impossible", dateFact, "2019-02-30", "", "is not a date"},
		{"text", textFact, "  images  ", "images", ""},
		{"text empty", textFact, " ", "", "empty value"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := playbook.NormalizeFact(tt.def, tt.in)
			if tt.err != "" {
				require.ErrorContains(t, err, tt.err)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
		})
	}
}

func TestTruthy(t *testing.T) {
	tests := []struct {
		name  string
		def   playbook.FactDef
		value string
		want  bool
	}{
		{"bool true", boolFact, "true", true},
		{"bool false", boolFact, "false", false},
		{"bool empty", boolFact, "", false},
		{"number positive", numberFact, "184000", true},
		{"number zero", numberFact, "0", false},
		{"number garbage", numberFact, "x", false},
		{"text", textFact, "something", true},
		{"text empty", textFact, "", false},
		{"date", dateFact, "2019-05-31T00:00:00Z", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Equal(t, tt.want, playbook.Truthy(tt.def, tt.value))
		})
	}
}

func ptr[T any](v T) *T { return &v }

func TestConditionHolds(t *testing.T) {
	norm := func(def playbook.FactDef, raw string) string {
		v, err := playbook.NormalizeFact(def, raw)
		require.NoError(t, err)
		return v
	}
	tests := []struct {
		name  string
		c     playbook.Condition
		def   playbook.FactDef
		value string
		set   bool
		want  bool
	}{
		{"at_least above", playbook.Condition{AtLeast: ptr(100000.0)}, numberFact, norm(numberFact, "184,000"), true, true},
		{"at_least equal", playbook.Condition{AtLeast: ptr(100000.0)}, numberFact, "100000", true, true},
		{"at_least below", playbook.Condition{AtLeast: ptr(100000.0)}, numberFact, "99999", true, false},
		{"at_least unset", playbook.Condition{AtLeast: ptr(0.0)}, numberFact, "", false, false},
		{"below", playbook.Condition{Below: ptr(500.0)}, numberFact, "499", true, true},
		{"below not", playbook.Condition{Below: ptr(500.0)}, numberFact, "500", true, false},
		{"is_set false, unset", playbook.Condition{IsSet: ptr(false)}, numberFact, "", false, true},
		{"is_set false, set", playbook.Condition{IsSet: ptr(false)}, numberFact, "1", true, false},
		{"is_set true, set", playbook.Condition{IsSet: ptr(true)}, textFact, "x", true, true},
		{"is_set true, unset", playbook.Condition{IsSet: ptr(true)}, textFact, "", false, false},
		{"equals true, value yes", playbook.Condition{Equals: ptr("true")}, boolFact, norm(boolFact, "yes"), true, true},
		{"equals yes, value true", playbook.Condition{Equals: ptr("yes")}, boolFact, "true", true, true},
		{"equals true, value no", playbook.Condition{Equals: ptr("true")}, boolFact, norm(boolFact, "no"), true, false},
		{"equals unset", playbook.Condition{Equals: ptr("false")}, boolFact, "", false, false},
		{"equals number with commas", playbook.Condition{Equals: ptr("100,000")}, numberFact, "100000", true, true},
		{"equals bad value never holds", playbook.Condition{Equals: ptr("maybe")}, boolFact, "true", true, false},
		{"not_equals unset", playbook.Condition{NotEquals: ptr("true")}, boolFact, "", false, false},
		{"not_equals differs", playbook.Condition{NotEquals: ptr("true")}, boolFact, "false", true, true},
		{"not_equals same", playbook.Condition{NotEquals: ptr("yes")}, boolFact, "true", true, false},
		{"no operator", playbook.Condition{}, textFact, "x", true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Equal(t, tt.want, tt.c.Holds(tt.def, tt.value, tt.set))
		})
	}
}

func TestClockSpec(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	require.NoError(t, err)
	chicago, err := time.LoadLocation("America/Chicago")
	require.NoError(t, err)

	pb := &playbook.Playbook{Defaults: playbook.Defaults{TimeZone: "America/New_York", Calendar: "us-federal"}}
	noDefaults := &playbook.Playbook{}
	monday := time.Date(2026, 11, 23, 10, 0, 0, 0, ny) // Thanksgiving is Thursday 26 Nov 2026

	tests := []struct {
		name     string
		pb       *playbook.Playbook
		deadline playbook.Deadline
		zone     string
		calendar bool
		due      time.Time // zero when there is no deadline
	}{
		{"business days skip Thanksgiving", pb, playbook.Deadline{Clock: "business_days", Amount: 3},
			"America/New_York", true, time.Date(2026, 11, 28, 0, 0, 0, 0, ny)},
		{"business days close of business", pb, playbook.Deadline{Clock: "business_days", Amount: 3, CloseOfBusiness: "17:00"},
			"America/New_York", true, time.Date(2026, 11, 27, 17, 0, 0, 0, ny)},
		{"business days in own zone", pb, playbook.Deadline{Clock: "business_days", Amount: 1, TimeZone: "America/Chicago"},
			"America/Chicago", true, time.Date(2026, 11, 25, 0, 0, 0, 0, chicago)},
		{"hours", pb, playbook.Deadline{Clock: "hours", Amount: 1},
			"America/New_York", false, monday.Add(time.Hour)},
		{"calendar days", pb, playbook.Deadline{Clock: "calendar_days", Amount: 7},
			"America/New_York", false, time.Date(2026, 11, 30, 10, 0, 0, 0, ny)},
		{"calendar months", pb, playbook.Deadline{Clock: "calendar_months", Amount: 1},
			"America/New_York", false, time.Date(2026, 12, 23, 10, 0, 0, 0, ny)},
		{"none", pb, playbook.Deadline{Clock: "none", Note: "promptly"},
			"America/New_York", false, time.Time{}},
		{"zone defaults to UTC", noDefaults, playbook.Deadline{Clock: "calendar_days", Amount: 1},
			"UTC", false, time.Date(2026, 11, 24, 15, 0, 0, 0, time.UTC)},
		{"calendar defaults to US federal", noDefaults, playbook.Deadline{Clock: "business_days", Amount: 3},
			"UTC", true, time.Date(2026, 11, 28, 0, 0, 0, 0, time.UTC)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := &playbook.Obligation{ID: "x", Deadline: tt.deadline}
			spec, err := tt.pb.ClockSpec(o)
			require.NoError(t, err)
			require.Equal(t, clock.Kind(tt.deadline.Clock), spec.Kind)
			require.Equal(t, tt.deadline.Amount, spec.Amount)
			require.Equal(t, tt.zone, spec.Location.String())
			if tt.calendar {
				require.NotNil(t, spec.Calendar)
				require.Equal(t, "us-federal", spec.Calendar.Name())
			} else {
				require.Nil(t, spec.Calendar, "a calendar only applies to business days")
			}
			due, ok := spec.Due(monday)
			require.Equal(t, !tt.due.IsZero(), ok)
			if ok {
				require.True(t, tt.due.Equal(due), "due %s, want %s", due, tt.due)
				require.Equal(t, tt.zone, due.Location().String())
			}
		})
	}
}

func TestClockSpecErrors(t *testing.T) {
	pb := &playbook.Playbook{Defaults: playbook.Defaults{TimeZone: "America/New_York"}}
	tests := []struct {
		name     string
		deadline playbook.Deadline
		err      string
	}{
		{"unknown kind", playbook.Deadline{Clock: "weeks", Amount: 1}, `unknown deadline kind "weeks"`},
		{"zero amount", playbook.Deadline{Clock: "hours"}, "amount must be positive"},
		{"amount on none", playbook.Deadline{Clock: "none", Amount: 2}, "amount must be zero"},
		{"bad zone", playbook.Deadline{Clock: "hours", Amount: 1, TimeZone: "Mars/Olympus"}, `unknown time zone "Mars/Olympus"`},
		{"bad calendar", playbook.Deadline{Clock: "business_days", Amount: 1, Calendar: "mars"}, `unknown calendar "mars"`},
		{"bad close of business", playbook.Deadline{Clock: "business_days", Amount: 1, CloseOfBusiness: "5pm"}, `bad close_of_business "5pm"`},
		{"close of business on hours", playbook.Deadline{Clock: "hours", Amount: 1, CloseOfBusiness: "17:00"}, "close of business applies only"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := pb.ClockSpec(&playbook.Obligation{ID: "x", Deadline: tt.deadline})
			require.ErrorContains(t, err, tt.err)
		})
	}
}

func TestDefaultPlaybookBusinessDayDeadline(t *testing.T) {
	pb := defaultPlaybook(t)
	o := pb.Obligation("opr-referral")
	require.NotNil(t, o)
	require.Equal(t, "business_days", o.Deadline.Clock)
	require.Equal(t, 3, o.Deadline.Amount)
	spec, err := pb.ClockSpec(o)
	require.NoError(t, err)
	ny, err := time.LoadLocation("America/New_York")
	require.NoError(t, err)
	// Monday 23 Nov 2026, 10:00: Tue 24 (1), Wed 25 (2), Thu 26 is Thanksgiving, Fri 27 (3); the
	// deadline is the end of Friday.
	due, ok := spec.Due(time.Date(2026, 11, 23, 10, 0, 0, 0, ny))
	require.True(t, ok)
	require.Equal(t, "2026-11-28T00:00:00-05:00", due.Format(time.RFC3339))

	// The obligation without a fixed deadline has none.
	spec, err = pb.ClockSpec(pb.Obligation("individual-notice"))
	require.NoError(t, err)
	_, ok = spec.Due(time.Date(2026, 11, 23, 10, 0, 0, 0, ny))
	require.False(t, ok)
}

func TestPlaybookFallbacks(t *testing.T) {
	pb := defaultPlaybook(t)
	// risk-assessment has its own cadence of 2d; dark-web-monitoring inherits defaults.cadence 7d.
	require.Equal(t, 48*time.Hour, pb.CadenceFor(pb.Obligation("risk-assessment")))
	require.Equal(t, 7*24*time.Hour, pb.CadenceFor(pb.Obligation("dark-web-monitoring")))
	// No obligation overrides reminders or escalation, so every one inherits the defaults.
	o := pb.Obligation("cisa-report")
	require.Len(t, pb.RemindersFor(o), 4)
	e := pb.EscalationFor(o)
	require.NotNil(t, e)
	require.Equal(t, []string{"incident_coordinator", "ciso"}, e.To)
	require.Equal(t, 24*time.Hour, e.Every.Std())

	own := &playbook.Obligation{Reminders: []playbook.Reminder{}, Escalation: &playbook.Escalation{To: []string{"cio"}}}
	require.Empty(t, pb.RemindersFor(own), "an explicit empty ladder turns reminders off")
	require.Equal(t, []string{"cio"}, pb.EscalationFor(own).To)
	require.Nil(t, (&playbook.Playbook{}).EscalationFor(&playbook.Obligation{}))
}

// TestProblems: joined errors at any depth are listed one by one, in order; nil and blank ones
// are left out.
func TestProblems(t *testing.T) {
	a, b, c := errors.New("facts.x: bad"), errors.New("title: empty"), errors.New("contacts: none")
	err := errors.Join(a, errors.Join(b, nil, errors.New("  ")), c)
	got := playbook.Problems(err)
	if len(got) != 3 || got[0] != a || got[1] != b || got[2] != c {
		t.Fatalf("Problems = %v", got)
	}
	if playbook.Problems(nil) != nil {
		t.Fatal("Problems(nil) is not empty")
	}
}
