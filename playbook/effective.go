package playbook

import (
	"fmt"
	"time"

	"github.com/breachflow/breachflow/clock"
)

// What an obligation takes from the playbook: its clock, its second limit, its reminders,
// cadence and escalation, whether it is enabled.

// ClockSpec returns the deadline as a clock.Spec, resolving the playbook's defaults.
func (p *Playbook) ClockSpec(o *Obligation) (clock.Spec, error) {
	kind, err := clock.ParseKind(o.Deadline.Clock)
	if err != nil {
		return clock.Spec{}, err
	}
	zone := firstNonEmpty(o.Deadline.TimeZone, p.Defaults.TimeZone, "UTC")
	loc, err := time.LoadLocation(zone)
	if err != nil {
		return clock.Spec{}, fmt.Errorf("unknown time zone %q: use an IANA name such as America/New_York", zone)
	}
	cal, err := clock.CalendarByName(firstNonEmpty(o.Deadline.Calendar, p.Defaults.Calendar))
	if err != nil {
		return clock.Spec{}, err
	}
	spec := clock.Spec{Kind: kind, Amount: o.Deadline.Amount, Location: loc}
	if kind == clock.BusinessDays {
		closures := append(append([]string{}, p.Defaults.Closures...), o.Deadline.Closures...)
		if spec.Calendar, err = clock.WithClosures(cal, closures); err != nil {
			return clock.Spec{}, err
		}
	}
	if cob := o.Deadline.CloseOfBusiness; cob != "" {
		t, err := time.Parse("15:04", cob)
		if err != nil {
			return clock.Spec{}, fmt.Errorf("bad close_of_business %q: write a 24-hour time such as 17:00", cob)
		}
		spec.CloseOfBusiness = time.Duration(t.Hour())*time.Hour + time.Duration(t.Minute())*time.Minute
	}
	return spec, spec.Validate()
}

// AlsoDueSpec returns the clock of the obligation's second limit, in the obligation's zone and
// calendar; ok is false when it has none.
func (p *Playbook) AlsoDueSpec(o *Obligation) (spec clock.Spec, ok bool, err error) {
	if o.AlsoDue == nil {
		return clock.Spec{}, false, nil
	}
	second := *o
	second.Deadline.Clock, second.Deadline.Amount, second.Deadline.CloseOfBusiness = o.AlsoDue.Clock, o.AlsoDue.Amount, ""
	spec, err = p.ClockSpec(&second)
	return spec, err == nil, err
}

// DeadlineKind is legal or internal_target for an obligation with a fixed deadline, "" for one
// without.
func (o *Obligation) DeadlineKind() string {
	switch {
	case o.Deadline.Clock == string(clock.None) || o.Deadline.Clock == "":
		return ""
	case o.Deadline.Kind == "":
		return DeadlineLegal
	}
	return o.Deadline.Kind
}

// IsEnabled reports whether the obligation is in force: neither it nor its playbook ships
// disabled.
func (p *Playbook) IsEnabled(o *Obligation) bool {
	return (p.Enabled == nil || *p.Enabled) && (o.Enabled == nil || *o.Enabled)
}

// Obligation returns the obligation with the given ID, or nil.
func (p *Playbook) Obligation(id string) *Obligation {
	for i := range p.Obligations {
		if p.Obligations[i].ID == id {
			return &p.Obligations[i]
		}
	}
	return nil
}

// RemindersFor returns the obligation's reminder ladder (its own, or the playbook's).
func (p *Playbook) RemindersFor(o *Obligation) []Reminder {
	if o.Reminders != nil {
		return o.Reminders
	}
	return p.Defaults.Reminders
}

// CadenceFor returns how often an obligation without a fixed deadline is brought up again.
func (p *Playbook) CadenceFor(o *Obligation) time.Duration {
	if o.Cadence > 0 {
		return o.Cadence.Std()
	}
	return p.Defaults.Cadence.Std()
}

// EscalationFor returns the obligation's escalation (its own, or the playbook's), or nil.
func (p *Playbook) EscalationFor(o *Obligation) *Escalation {
	if o.Escalation != nil {
		return o.Escalation
	}
	return p.Defaults.Escalation
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

// RegimeID is the playbook's regime: Regime, or Name when it sets none.
func (p *Playbook) RegimeID() string {
	if p.Regime != "" {
		return p.Regime
	}
	return p.Name
}

// ParseTimeOfDay parses "HH:MM" or "HH:MM:SS" into the offset from midnight.
func ParseTimeOfDay(s string) (time.Duration, error) {
	for _, layout := range []string{"15:04", "15:04:05"} {
		if t, err := time.Parse(layout, s); err == nil {
			return time.Duration(t.Hour())*time.Hour + time.Duration(t.Minute())*time.Minute + time.Duration(t.Second())*time.Second, nil
		}
	}
	return 0, fmt.Errorf("%q is not a time of day: give it as HH:MM (24-hour), e.g. \"09:00\"", s)
}

// NextDigest is the first moment at or after t when a digest sent daily at the time of day at
// (ParseTimeOfDay) in loc goes out. A day on which the time does not exist (a daylight-saving
// gap) sends at the time Go normalizes it to, an hour later.
func NextDigest(t time.Time, at time.Duration, loc *time.Location) time.Time {
	local := t.In(loc)
	for d := 0; ; d++ {
		y, m, day := local.Date()
		c := time.Date(y, m, day+d, 0, 0, 0, 0, loc).Add(at)
		if !c.Before(t) {
			return c
		}
	}
}

// DigestZone is the IANA zone of the digest's time of day: its own, else the playbook's.
func (p *Playbook) DigestZone() string {
	if p.Defaults.Digest == nil {
		return ""
	}
	return firstNonEmpty(p.Defaults.Digest.TimeZone, p.Defaults.TimeZone, "UTC")
}
