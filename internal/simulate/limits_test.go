package simulate_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/breachflow/breachflow/internal/simulate"
	"github.com/breachflow/breachflow/playbook"
)

// TestLoadHostileScenarios: scenarios the loader used to accept (times outside any sane window,
// control characters, a second document) or answer with an unhelpful error.
func TestLoadHostileScenarios(t *testing.T) {
	h := header(t)
	inc := "incident: " + examplesIncident(t) + "\n"
	for _, c := range []struct {
		name string
		body string
		want []string
	}{
		{"empty file", "", []string{"scenario.yaml: file is empty: expected a scenario with incident, end and events"}},
		{"second document", h + "---\nend: 2030-01-01T00:00:00Z\n", []string{"scenario.yaml: line", "a second YAML document starts here"}},
		{"event in year 1, which is the zero time",
			h + "events:\n  - {at: 0001-01-01T00:00:00Z, action: complete, obligation: triage}\n",
			[]string{"scenario.yaml:6: events[0].at: 0001-01-01T00:00:00Z is before 1970-01-01: check the year"}},
		{"discovery in year 1",
			inc + "discovered_at: 0001-01-01T00:00:00Z\nend: 2019-06-30T00:00:00-04:00\n",
			[]string{"scenario.yaml: discovered_at: 0001-01-01T00:00:00Z is before 1970-01-01"}},
		{"end in year 9999",
			inc + "discovered_at: 2019-05-31T09:00:00-04:00\nend: 9999-12-31T00:00:00Z\n",
			[]string{"scenario.yaml: end: 9999-12-31T00:00:00Z is after 2200-01-01"}},
		{"a century of simulation",
			inc + "discovered_at: 1990-05-31T09:00:00-04:00\nend: 2099-12-31T00:00:00Z\n",
			[]string{"scenario.yaml: end 2099-12-31T00:00:00Z: lies more than 5 years after discovered_at", "move end earlier"}},
		{"hold until year 9999",
			h + "events:\n  - {at: 2019-06-01T09:00:00-04:00, action: hold, obligation: triage, requested_by: FBI, authority: AG, until: 9999-01-01T00:00:00Z}\n",
			[]string{"events[0].until: 9999-01-01T00:00:00Z is after 2200-01-01"}},
		{"known_by in year 1",
			h + "events:\n  - {at: unknown, known_by: 0001-01-01T00:00:00Z, action: complete, obligation: triage}\n",
			[]string{"events[0].known_by: 0001-01-01T00:00:00Z is before 1970-01-01"}},
		{"corrected discovery in year 3000",
			h + "events:\n  - {at: 2019-06-01T09:00:00-04:00, action: correct_discovery, value: 3000-01-01T00:00:00Z, reason: typo}\n",
			[]string{"events[0].value: 3000-01-01T00:00:00Z is after 2200-01-01"}},
		{"ANSI escape in by",
			h + "events:\n  - {at: 2019-06-01T09:00:00-04:00, action: complete, obligation: triage, by: \"\\e[31mCBP\"}\n",
			[]string{"events[0].by: holds an escape character (a terminal control sequence)", "remove it"}},
		{"CRLF in a reason",
			h + "events:\n  - {at: 2019-06-01T09:00:00-04:00, action: waive, obligation: triage, reason: \"a\\r\\nb\"}\n",
			[]string{"events[0].reason: holds a line break (U+000D)", "use plain line feeds"}},
		{"title on two lines", strings.Replace(h, "title: test", "title: \"a\\nb\"", 1),
			[]string{"scenario.yaml: title: holds a line break", "write it on one line"}},
		{"over-long note", h + "notes: [{text: " + strings.Repeat("n", 2001) + "}]\n",
			[]string{"scenario.yaml: notes[0].text: too long (2001 characters): shorten it to at most 2000"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := simulate.Load(writeScenario(t, c.body), "")
			require.Error(t, err)
			require.NotContains(t, err.Error(), "\x1b")
			for _, w := range c.want {
				require.Contains(t, err.Error(), w)
			}
		})
	}
}

func TestLoadTooLarge(t *testing.T) {
	_, err := simulate.Load(writeScenario(t, header(t)+"# "+strings.Repeat("x", playbook.MaxFileSize)+"\n"), "")
	require.ErrorContains(t, err, "reading scenario: ")
	require.ErrorContains(t, err, "is larger than 1048576 bytes (1 MiB)")
}

// TestPlaybookOfIncidentBesideIt: a relative playbook path in the incident file names a file in
// the incident file's folder, not in the scenario's or the current one.
func TestPlaybookOfIncidentBesideIt(t *testing.T) {
	dir := t.TempDir()
	incDir := filepath.Join(dir, "incidents")
	require.NoError(t, os.MkdirAll(incDir, 0o700))
	raw, err := os.ReadFile("../../examples/cbp-2019.yaml")
	require.NoError(t, err)
	raw = []byte(strings.Replace(string(raw), "playbook: us-federal-breach", "playbook: mine.yaml", 1))
	require.NoError(t, os.WriteFile(filepath.Join(incDir, "cbp.yaml"), raw, 0o600))
	pb, err := os.ReadFile("../../templates/playbooks/us-federal-breach.yaml")
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(incDir, "mine.yaml"), pb, 0o600))
	path := filepath.Join(dir, "s.yaml")
	require.NoError(t, os.WriteFile(path, []byte("incident: incidents/cbp.yaml\nend: 2019-06-30T00:00:00-04:00\n"), 0o600))
	s, err := simulate.Load(path, "")
	require.NoError(t, err)
	require.Equal(t, "us-federal-breach", s.Playbook.Name)
	require.Equal(t, filepath.Join(incDir, "mine.yaml"), s.PlaybookRef)
}
