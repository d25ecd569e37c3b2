package playbook_test

import (
	"fmt"
	"io/fs"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/stretchr/testify/require"

	"github.com/breachflow/breachflow/playbook"
	"github.com/breachflow/breachflow/templates"
)

// TestParseLimits: inputs the parser used to accept though the engine cannot compute or carry
// them. Each is refused with the file, the obligation and the field, and says what to do.
func TestParseLimits(t *testing.T) {
	const after = "    depends_on: [first]\n"
	tests := []struct {
		name       string
		edits      []edit
		obligation string
		field      string
		problem    []string
	}{
		// Amounts, per clock.
		{"business days beyond 100 years", []edit{{"{clock: business_days, amount: 3}", "{clock: business_days, amount: 100000000}"}},
			"second", "deadline.amount", []string{"must be at most 25000 business_days (got 100000000)", "within 100 years"}},
		{"hours beyond 100 years", []edit{{"{clock: hours, amount: 1}", "{clock: hours, amount: 876001}"}},
			"first", "deadline.amount", []string{"must be at most 876000 hours"}},
		{"calendar days beyond 100 years", []edit{{"{clock: hours, amount: 1}", "{clock: calendar_days, amount: 36501}"}},
			"first", "deadline.amount", []string{"must be at most 36500 calendar_days"}},
		{"calendar months beyond 100 years", []edit{{"{clock: hours, amount: 1}", "{clock: calendar_months, amount: 1201}"}},
			"first", "deadline.amount", []string{"must be at most 1200 calendar_months"}},
		{"amount overflowing int", []edit{{"{clock: hours, amount: 1}", "{clock: hours, amount: 99999999999999999999}"}},
			"", "", []string{"line 31", "cannot unmarshal"}},

		// Intervals.
		{"escalation every nanosecond", []edit{{"    every: 1d\n", "    every: 1ns\n"}},
			"", "defaults.escalation.every", []string{"must be between 1m0s and 366d (got 1ns)"}},
		{"escalation every 10 years", []edit{{after, after + "    escalation: {to: [coordinator], every: 520w}\n"}},
			"second", "escalation.every", []string{"must be between 1m0s and 366d (got 3640d)"}},
		{"cadence of a second", []edit{{after, after + "    cadence: 1s\n"}},
			"second", "cadence", []string{"must be between 1m0s and 366d (got 1s)"}},
		{"defaults cadence of 1000 days", []edit{{"  calendar: us-federal\n", "  calendar: us-federal\n  cadence: 1000d\n"}},
			"", "defaults.cadence", []string{"(got 1000d)"}},
		{"reminder 10 years before", []edit{{"    - before: 1h\n", "    - before: 3650d\n"}},
			"", "defaults.reminders[0].before", []string{"must be between 0s and 366d (got 3650d)"}},
		{"at_fraction NaN", []edit{{"    - before: 1h\n", "    - at_fraction: .nan\n"}},
			"", "defaults.reminders[0].at_fraction", []string{"between 0 and 1 exclusive (got NaN)"}},
		{"at_least infinite", []edit{{`{fact: pii, equals: "true"}`, `{fact: count, at_least: .inf}`}},
			"first", "when[0].at_least", []string{"+Inf is not a number"}},

		// Text.
		{"CRLF in an obligation title", []edit{{"title: First thing", `title: "First thing\r\nBcc: x@evil.example"`}},
			"first", "title", []string{"holds a line break (U+000D)", "write it on one line"}},
		{"ANSI escape in a role title", []edit{{"{title: Regulator}", `{title: "Regulator\e[2J"}`}},
			"", "roles.regulator.title", []string{"an escape character (a terminal control sequence)", "remove it"}},
		{"C1 control in a fact title", []edit{{"title: What happened}", "title: \"What\\u0085happened\"}"}},
			"", "facts.summary.title", []string{"a control character (U+0085)"}},
		{"bidi override in a citation", []edit{{"citation: Rule 1", "citation: \"Rule \\u202e1\""}},
			"first", "citation", []string{"a bidirectional text control"}},
		{"over-long title", []edit{{"title: Second thing", "title: " + strings.Repeat("x", 201)}},
			"second", "title", []string{"too long (201 characters): shorten it to at most 200"}},
		{"CR in description", []edit{{after, after + "    description: \"one\\r\\ntwo\"\n"}},
			"second", "description", []string{"use plain line feeds"}},
		{"control in contact name", []edit{{"{name: Coordinator,", "{name: \"Coord\\x07inator\","}},
			"", "roles.coordinator.contacts[0].name", []string{"a control character (U+0007)"}},

		// Addresses.
		{"look-alike domain", []edit{{"coord@agency.example", "coord@аgency.example"}},
			"", "roles.coordinator.contacts[0].email", []string{"mixes scripts (Cyrillic and Latin)", "check the address letter by letter"}},
		{"CRLF in an address", []edit{{"coord@agency.example", `"coord@agency.example\r\nBcc: x@evil.example"`}},
			"", "roles.coordinator.contacts[0].email", []string{"line break or control character"}},
		{"local part over 64", []edit{{"coord@agency.example", strings.Repeat("c", 65) + "@agency.example"}},
			"", "roles.coordinator.contacts[0].email", []string{"the part before @ is 65 octets: it has at most 64"}},
		{"address over 254", []edit{{"coord@agency.example", "coord@" + strings.Repeat("a.", 125) + "example"}},
			"", "roles.coordinator.contacts[0].email", []string{"octets long: an address has at most 254"}},
		{"non-ASCII local part", []edit{{"coord@agency.example", "cöord@agency.example"}},
			"", "roles.coordinator.contacts[0].email", []string{"not ASCII", "use an ASCII address"}},
	}
	set := templateSet(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := apply(t, baseYAML(), tt.edits)
			pb, err := playbook.Parse("bad.yaml", []byte(src), set)
			require.Error(t, err)
			require.Nil(t, pb)
			msg := err.Error()
			require.True(t, strings.HasPrefix(msg, "bad.yaml: "), msg)
			require.NotContains(t, msg, "\x1b", "never print an escape sequence raw")
			require.NotContains(t, msg, "\r")
			for _, p := range tt.problem {
				require.Contains(t, msg, p)
			}
			if tt.field == "" {
				return
			}
			prefix := "bad.yaml: "
			if tt.obligation != "" {
				prefix += fmt.Sprintf("obligation %q: ", tt.obligation)
			}
			require.Contains(t, msg, prefix+"field "+tt.field+": ")
		})
	}
}

func TestParseIDNAContact(t *testing.T) {
	src := apply(t, baseYAML(), []edit{{"coord@agency.example", "coord@bücher.example"}})
	pb, err := playbook.Parse("ok.yaml", []byte(src), templateSet(t))
	require.NoError(t, err)
	require.Equal(t, "coord@xn--bcher-kva.example", pb.Roles["coordinator"].Contacts[0].Email, "stored in its ASCII form")
}

func TestParseFileShape(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want []string
	}{
		{"empty", "", []string{"bad.yaml: file is empty: expected a playbook with format, name, version"}},
		{"only comments", "# nothing yet\n", []string{"file is empty"}},
		{"null document", "~\n", []string{"file is empty"}},
		{"second document", baseYAML() + "---\nformat: 2\n", []string{fmt.Sprintf("line %d: a second YAML document starts here", strings.Count(baseYAML(), "\n")+1), "a file holds one document"}},
		{"too large", baseYAML() + "# " + strings.Repeat("x", playbook.MaxFileSize) + "\n", []string{"larger than 1048576 bytes (1 MiB)"}},
		{"escape in a quoted value", apply(t, baseYAML(), []edit{{"format: 1", "format: \"1\\e[31m\""}}),
			[]string{"cannot unmarshal", `\u001b`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := playbook.Parse("bad.yaml", []byte(tt.src), templateSet(t))
			require.Error(t, err)
			require.NotContains(t, err.Error(), "\x1b")
			require.NotContains(t, err.Error(), "EOF")
			for _, w := range tt.want {
				require.Contains(t, err.Error(), w)
			}
		})
	}
	// A trailing --- with nothing after it is harmless.
	_, err := playbook.Parse("ok.yaml", []byte(baseYAML()+"---\n"), templateSet(t))
	require.NoError(t, err)
}

// brokenTemplates is the embedded set with cisa-report's text part reading a missing map key,
// which fails only when rendered.
func brokenTemplates(t *testing.T) *templates.Set {
	t.Helper()
	fsys := fstest.MapFS{}
	err := fs.WalkDir(templates.Embedded(), "notices", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := fs.ReadFile(templates.Embedded(), p)
		fsys[p] = &fstest.MapFile{Data: data}
		return err
	})
	require.NoError(t, err)
	fsys["notices/cisa-report.txt.tmpl"] = &fstest.MapFile{Data: []byte("Count: {{.Facts.affected_cuont}}\n")}
	set, err := templates.Load(fsys)
	require.NoError(t, err)
	return set
}

func TestParseDryRendersTemplates(t *testing.T) {
	_, err := playbook.Parse("bad.yaml", []byte(baseYAML()), brokenTemplates(t))
	require.Error(t, err)
	msg := err.Error()
	require.Contains(t, msg, `bad.yaml: obligation "first": field notice.template: template "cisa-report" does not render with sample data`)
	require.Contains(t, msg, "affected_cuont")
	require.Contains(t, msg, "fix the template")
	fes := fieldErrors(err)
	require.Len(t, fes, 1)
	require.Equal(t, "first", fes[0].Obligation)
	require.Equal(t, "notice.template", fes[0].Field)

	// The shipped playbook renders with the shipped templates.
	pb := defaultPlaybook(t)
	require.NoError(t, pb.DryRun(templateSet(t)))
	require.Contains(t, pb.TemplateNames(), "congress-notice")
}

func TestCheckLine(t *testing.T) {
	require.NoError(t, playbook.CheckLine("title", "Tab\tis fine, ünïcödé too", 200))
	require.EqualError(t, playbook.CheckLine("title", "a\nb", 200), "title: holds a line break (U+000A) at byte 1: write it on one line")
	require.NoError(t, playbook.CheckText("summary", "a\nb", 200))
	require.EqualError(t, playbook.CheckText("summary", "a\r\nb", 200), "summary: holds a line break (U+000D) at byte 1: use plain line feeds (save the file with Unix line endings)")
	require.EqualError(t, playbook.CheckLine("title", "\xff", 200), "title: not valid UTF-8: save the file as UTF-8")
	require.EqualError(t, playbook.CheckLine("title", "é"+strings.Repeat("x", 200), 200), "title: too long (201 characters): shorten it to at most 200")
}
