package incidentfile_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/breachflow/breachflow/internal/incidentfile"
	"github.com/breachflow/breachflow/playbook"
	"github.com/breachflow/breachflow/workflows"
)

const exampleTitle = "title: Traveler and license-plate images copied to a subcontractor network and stolen\n"

// TestHostileIncidentFiles: files the parser used to accept silently, misread or answer with an
// unhelpful error. Each is now refused, by Parse or by Input, naming the file or field and the fix.
func TestHostileIncidentFiles(t *testing.T) {
	pb := defaultPlaybook(t)
	const discovered = "discovered_at: 2019-05-31T09:00:00-04:00\n"
	tests := []struct {
		name     string
		src      func(string) string
		parseErr []string // refused by Parse with these substrings
		inputErr []string // else refused by Input with these
	}{
		{"empty file", func(string) string { return "" },
			[]string{"incident.yaml: file is empty: expected an incident with title, summary, discovered_at"}, nil},
		{"second document", func(s string) string { return s + "---\ntitle: other\n" },
			[]string{"incident.yaml: line", "a second YAML document starts here", "a file holds one document"}, nil},
		{"discovery in year 1", func(s string) string {
			return replace(t, s, discovered, "discovered_at: 0001-01-01T00:00:00Z\n")
		}, []string{"incident.yaml: discovered_at: 0001-01-01T00:00:00Z is before 1970-01-01: check the year"}, nil},
		{"discovery in year 9999", func(s string) string {
			return replace(t, s, discovered, "discovered_at: 9999-12-31T23:59:59Z\n")
		}, []string{"discovered_at: 9999-12-31T23:59:59Z is after 2200-01-01"}, nil},
		{"discovery in 2099", func(s string) string {
			return replace(t, s, discovered, "discovered_at: 2099-05-31T09:00:00Z\n")
		}, nil, []string{"discovered_at: 2099-05-31T09:00:00Z is in the future: give the time the incident was discovered"}},
		{"CRLF in the title", func(s string) string {
			return replace(t, s, exampleTitle, "title: \"Breach\\r\\nBcc: all@agency.example\"\n")
		}, []string{"incident.yaml: title: holds a line break (U+000D)", "write it on one line"}, nil},
		{"ANSI escape in the title", func(s string) string {
			return replace(t, s, exampleTitle, "title: \"\\e[2J\\e[31mBreach\"\n")
		}, []string{"incident.yaml: title: holds an escape character (a terminal control sequence)", "remove it"}, nil},
		{"title too long", func(s string) string {
			return replace(t, s, exampleTitle, "title: "+strings.Repeat("t", 201)+"\n")
		}, []string{"title: too long (201 characters): shorten it to at most 200"}, nil},
		{"summary over the cap", func(s string) string {
			return replace(t, s, "summary: >-\n", "summary: >-\n  "+strings.Repeat("s", 10001)+"\n")
		}, []string{"incident.yaml: summary: too long (", "characters): shorten it to at most 10000"}, nil},
		{"CR in a fact", func(s string) string {
			return replace(t, s, "  detected_how: Not public\n", "  detected_how: \"Reported\\r\\nX-Header: 1\"\n")
		}, []string{"facts.detected_how: holds a line break"}, nil},
		{"negative count", func(s string) string {
			return replace(t, s, "  pii_involved: true\n", "  affected_count: -5\n  pii_involved: true\n")
		}, nil, []string{"facts.affected_count", `"-5" is negative: a number fact is a count; write 0 or more`}},
		{"30-digit count", func(s string) string {
			return replace(t, s, "  pii_involved: true\n", "  affected_count: 123456789012345678901234567890\n  pii_involved: true\n")
		}, nil, []string{"facts.affected_count", `"123456789012345678901234567890" is too large`}},
		{"fact given as a list", func(s string) string {
			return replace(t, s, "  pii_involved: true\n", "  affected_count: [1, 2]\n  pii_involved: true\n")
		}, []string{"a fact is a single value"}, nil},
		{"playbook path escaping the folder", func(s string) string {
			return replace(t, s, "playbook: us-federal-breach", "playbook: ../../etc/passwd.yaml")
		}, []string{`incident.yaml: playbook: "../../etc/passwd.yaml" leads out of the incident file's folder`, "give a path inside it"}, nil},
		{"absolute playbook path", func(s string) string {
			return replace(t, s, "playbook: us-federal-breach", "playbook: /etc/breach.yaml")
		}, []string{"leads out of the incident file's folder"}, nil},
		{"look-alike domain", func(s string) string {
			return replace(t, s, "email: report@cisa.example", "email: report@cisа.example")
		}, nil, []string{"contacts.cisa[0].email", "mixes scripts (Latin and Cyrillic)"}},
		{"header injection in an address", func(s string) string {
			return replace(t, s, "email: report@cisa.example", "email: \"report@cisa.example\\r\\nBcc: x@evil.example\"")
		}, nil, []string{"contacts.cisa[0].email", "line break or control character"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := tt.src(exampleYAML(t))
			f, err := incidentfile.Parse("incident.yaml", []byte(src))
			if tt.parseErr != nil {
				require.Error(t, err)
				require.NotContains(t, err.Error(), "\x1b")
				require.NotContains(t, err.Error(), "EOF")
				for _, w := range tt.parseErr {
					require.Contains(t, err.Error(), w)
				}
				return
			}
			require.NoError(t, err)
			_, err = f.Input(workflows.NewIncidentID(), pb, "coordinator", now, false)
			require.Error(t, err)
			for _, w := range tt.inputErr {
				require.Contains(t, err.Error(), w)
			}
		})
	}
}

func TestExactNumbers(t *testing.T) {
	for lit, want := range map[string]string{
		"9223372036854775807": "9223372036854775807", // a float would round it
		"1.5e5":               "150000",
		"0x10":                "16",
		"1_000":               "1000",
		"0.25":                "0.2500000",
	} {
		src := replace(t, exampleYAML(t), "  pii_involved: true\n", "  affected_count: "+lit+"\n  pii_involved: true\n")
		f, err := incidentfile.Parse("incident.yaml", []byte(src))
		require.NoError(t, err, lit)
		require.Equal(t, want, string(f.Facts["affected_count"]), lit)
	}
}

func TestIDNAContactStoredASCII(t *testing.T) {
	src := replace(t, exampleYAML(t), "email: report@cisa.example", "email: report@bücher.example")
	f, err := incidentfile.Parse("incident.yaml", []byte(src))
	require.NoError(t, err)
	require.Equal(t, "report@xn--bcher-kva.example", f.Contacts["cisa"][0].Email)
}

func TestReadLimits(t *testing.T) {
	dir := t.TempDir()
	big := filepath.Join(dir, "big.yaml")
	require.NoError(t, os.WriteFile(big, []byte("title: x\nsummary: "+strings.Repeat("s", playbook.MaxFileSize)+"\n"), 0o600))
	_, err := incidentfile.Read(big)
	require.ErrorContains(t, err, "reading incident file: ")
	require.ErrorContains(t, err, "is larger than 1048576 bytes (1 MiB)")
}

// TestPlaybookPathIsRelativeToTheFile: a relative playbook path names a file next to the incident
// file, whatever the current folder; a link out of the folder is refused, and no error shows the
// content of a file outside it.
func TestPlaybookPathIsRelativeToTheFile(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "incidents")
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "playbooks"), 0o700))
	path := filepath.Join(dir, "incident.yaml")
	require.NoError(t, os.WriteFile(path, []byte("title: x\nplaybook: playbooks/mine.yaml\n"), 0o600))
	f, err := incidentfile.Read(path)
	require.NoError(t, err)
	require.Equal(t, filepath.Join(dir, "playbooks", "mine.yaml"), f.Playbook)

	secret := filepath.Join(root, "secret.yaml")
	require.NoError(t, os.WriteFile(secret, []byte("root: SECRET-LINE-1\n"), 0o600))
	require.NoError(t, os.Symlink(secret, filepath.Join(dir, "playbooks", "link.yaml")))
	require.NoError(t, os.WriteFile(path, []byte("title: x\nplaybook: playbooks/link.yaml\n"), 0o600))
	_, err = incidentfile.Read(path)
	require.ErrorContains(t, err, "incident.yaml: playbook: the path leads out of the incident file's folder (through a link)")
	require.NotContains(t, err.Error(), "SECRET")

	require.NoError(t, os.WriteFile(path, []byte("title: x\nplaybook: ../secret.yaml\n"), 0o600))
	_, err = incidentfile.Read(path)
	require.ErrorContains(t, err, "leads out of the incident file's folder")
	require.NotContains(t, err.Error(), "SECRET")
}
