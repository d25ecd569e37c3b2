package simulate

import (
	"time"

	"github.com/breachflow/breachflow/playbook"
)

// maxSpanYears and MaxSpan bound how long a simulation runs: a scenario's end lies at most
// MaxSpan after its discovery. Simulated time is cheap but not free (every reminder and
// escalation is a timer); five years of the CBP-2019 case take about a minute.
const (
	maxSpanYears = 5
	// MaxSpan is the longest simulated time, from discovery to end: 5 years.
	MaxSpan = maxSpanYears * 366 * 24 * time.Hour
)

// scenarioExpected describes a scenario for the message about an empty file.
const scenarioExpected = "a scenario with incident, end and events (see scenarios/cbp-2019.yaml for the format)"

// checkEventText checks an event's free-text fields against the limits of package playbook;
// each error starts with the field.
func checkEventText(raw rawEvent) []error {
	var errs []error
	for _, f := range []struct {
		name, value string
		max         int
		multiLine   bool
	}{
		{"by", raw.By, playbook.MaxTitleLen, false},
		{"obligation", raw.Obligation, playbook.MaxTitleLen, false},
		{"name", raw.Name, playbook.MaxTitleLen, false},
		{"value", raw.Value, playbook.MaxFactTextLen, false},
		{"requested_by", raw.RequestedBy, playbook.MaxTitleLen, false},
		{"authority", raw.Authority, playbook.MaxNoteLen, false},
		{"source", raw.Source, playbook.MaxNoteLen, false},
		{"note", raw.Note, playbook.MaxNoteLen, true},
		{"reason", raw.Reason, playbook.MaxNoteLen, true},
	} {
		check := playbook.CheckLine
		if f.multiLine {
			check = playbook.CheckText
		}
		if err := check(f.name, f.value, f.max); err != nil {
			errs = append(errs, err)
		}
	}
	return errs
}

// checkNoteText checks a note's text and source.
func checkNoteText(n fileNote) []error {
	var errs []error
	if err := playbook.CheckText("text", n.Text, playbook.MaxNoteLen); err != nil {
		errs = append(errs, err)
	}
	if err := playbook.CheckLine("source", n.Source, playbook.MaxNoteLen); err != nil {
		errs = append(errs, err)
	}
	return errs
}

// short cuts a value quoted in an error to 60 characters.
func short(s string) string {
	if r := []rune(s); len(r) > 60 {
		return string(r[:60]) + "…"
	}
	return s
}
