package incidentfile_test

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/breachflow/breachflow/internal/incidentfile"
	"github.com/breachflow/breachflow/playbook"
	"github.com/breachflow/breachflow/templates"
	"github.com/breachflow/breachflow/workflows"
)

const examplePath = "../../examples/cbp-2019.yaml"

func defaultPlaybook(t *testing.T) *playbook.Playbook {
	t.Helper()
	set, err := templates.Load(templates.Embedded())
	require.NoError(t, err)
	data, err := fs.ReadFile(templates.Embedded(), "playbooks/us-federal-breach.yaml")
	require.NoError(t, err)
	pb, err := playbook.Parse("us-federal-breach.yaml", data, set)
	require.NoError(t, err)
	return pb
}

func exampleYAML(t *testing.T) string {
	t.Helper()
	data, err := os.ReadFile(examplePath)
	require.NoError(t, err)
	return string(data)
}

// replace replaces old, which must occur exactly once, with new.
func replace(t *testing.T, s, old, new string) string {
	t.Helper()
	require.Equal(t, 1, strings.Count(s, old), "edit target %q must occur exactly once", old)
	return strings.Replace(s, old, new, 1)
}

var now = time.Date(2026, 11, 23, 15, 0, 0, 0, time.UTC)

func TestExample(t *testing.T) {
	f, err := incidentfile.Read(examplePath)
	require.NoError(t, err)
	require.Equal(t, "us-federal-breach", f.Playbook)
	require.Contains(t, f.Title, "subcontractor")
	require.Equal(t, "2019-05-31T09:00:00-04:00", f.DiscoveredAt)

	pb := defaultPlaybook(t)
	id := workflows.NewIncidentID()
	in, err := f.Input(id, pb, "coordinator@agency.example", now, false)
	require.NoError(t, err)
	require.Equal(t, id, in.IncidentID)
	require.Equal(t, f.Title, in.Title)
	require.Equal(t, "coordinator@agency.example", in.StartedBy)
	require.Equal(t, "us-federal-breach", in.Playbook.Name)
	require.Equal(t, pb.Version, in.Playbook.Version)

	discovered := time.Date(2019, 5, 31, 9, 0, 0, 0, time.FixedZone("EDT", -4*3600))
	require.True(t, discovered.Equal(in.DiscoveredAt), "discovered_at %s", in.DiscoveredAt)
	_, offset := in.DiscoveredAt.Zone()
	require.Equal(t, -4*3600, offset, "the file's offset is kept")

	facts := map[string]string{}
	for _, fi := range in.Facts {
		facts[fi.Name] = fi.Value
		require.True(t, discovered.Equal(fi.At), "fact %s recorded at discovery", fi.Name)
	}
	require.NotContains(t, facts, "affected_count", "no count of people is public; the example records none")
	require.Equal(t, "2019-05-13T00:00:00-04:00", facts["contractor_discovered_at"])
	require.Equal(t, "true", facts["pii_involved"])
	require.Equal(t, "false", facts["agency_systems_compromised"])
	require.Equal(t, "true", facts["vendor_involved"])
	require.Contains(t, facts["point_of_contact"], "press@agency.example")
	require.Len(t, in.Facts, 10)
	for i := 1; i < len(in.Facts); i++ {
		require.Less(t, in.Facts[i-1].Name, in.Facts[i].Name, "facts are in a stable (sorted) order")
	}
	for _, fi := range in.Facts {
		def, ok := pb.Facts[fi.Name]
		require.True(t, ok, fi.Name)
		norm, err := playbook.NormalizeFact(def, fi.Value)
		require.NoError(t, err, fi.Name)
		require.Equal(t, norm, fi.Value, "fact %s is already in normal form", fi.Name)
	}
	require.Equal(t, []playbook.Contact{{Name: "CISA Central", Email: "report@cisa.example"}}, in.Contacts["cisa"])
	require.Len(t, in.Contacts["congress_committees"], 2)
}

func TestDiscoveredAt(t *testing.T) {
	pb := defaultPlaybook(t)
	base := exampleYAML(t)
	fileTime := time.Date(2019, 5, 31, 13, 0, 0, 0, time.UTC)
	tests := []struct {
		name          string
		value         string // replaces the example's discovered_at value; "-" removes the line
		discoveredNow bool
		want          time.Time
		err           []string
	}{
		{"kept", "2019-05-31T09:00:00-04:00", false, fileTime, nil},
		{"UTC", "2019-05-31T13:00:00Z", false, fileTime, nil},
		{"now flag overrides the file", "2019-05-31T09:00:00-04:00", true, now, nil},
		{"now keyword", "now", false, now, nil},
		{"missing with now flag", "-", true, now, nil},
		{"missing", "-", false, time.Time{}, []string{"discovered_at: missing", "RFC 3339"}},
		{"date only", "2019-05-31", false, time.Time{}, []string{`discovered_at "2019-05-31"`, "write RFC 3339 with a zone", "or now"}},
		{"no zone", "2019-05-31T09:00:00", false, time.Time{}, []string{"discovered_at", "RFC 3339 with a zone"}},
		{"words", "yesterday", false, time.Time{}, []string{`discovered_at "yesterday"`, "RFC 3339"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			line := "discovered_at: 2019-05-31T09:00:00-04:00\n"
			src := replace(t, base, line, "")
			if tt.value != "-" {
				src = replace(t, base, line, "discovered_at: "+tt.value+"\n")
			}
			f, err := incidentfile.Parse("incident.yaml", []byte(src))
			require.NoError(t, err)
			in, err := f.Input(workflows.NewIncidentID(), pb, "coordinator", now, tt.discoveredNow)
			if tt.err != nil {
				require.Error(t, err)
				for _, e := range tt.err {
					require.Contains(t, err.Error(), e)
				}
				return
			}
			require.NoError(t, err)
			require.True(t, tt.want.Equal(in.DiscoveredAt), "got %s, want %s", in.DiscoveredAt, tt.want)
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name  string
		edit  [2]string
		wants []string
	}{
		{"unknown top-level field", [2]string{"playbook: us-federal-breach\n", "playbook: us-federal-breach\nseverity: high\n"},
			[]string{"incident.yaml", "severity", "line 13", "fields: title, summary, discovered_at, playbook, playbooks, facts, contacts"}},
		{"misspelled field", [2]string{"\ndiscovered_at:", "\ndiscoverd_at:"},
			[]string{"incident.yaml", "discoverd_at"}},
		{"unknown contact field", [2]string{"{name: CISA Central, email: report@cisa.example}", "{name: CISA Central, mail: report@cisa.example}"},
			[]string{"incident.yaml", "mail"}},
		{"contacts not a list", [2]string{"cisa: [{name: CISA Central, email: report@cisa.example}]", "cisa: report@cisa.example"},
			[]string{"incident.yaml", "cannot unmarshal"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := replace(t, exampleYAML(t), tt.edit[0], tt.edit[1])
			_, err := incidentfile.Parse("incident.yaml", []byte(src))
			require.Error(t, err)
			if i := strings.Index(src, "severity:"); i >= 0 {
				require.Equal(t, 13, strings.Count(src[:i], "\n")+1, "the expected line number is that of the unknown field")
			}
			for _, w := range tt.wants {
				require.Contains(t, err.Error(), w)
			}
		})
	}
}

func TestInputErrors(t *testing.T) {
	pb := defaultPlaybook(t)
	tests := []struct {
		name  string
		edit  [2]string
		wants []string
	}{
		{"unknown fact", [2]string{"facts:\n", "facts:\n  shoe_size: 42\n"},
			[]string{`unknown fact "shoe_size"`, "the playbook declares", "affected_count"}},
		{"fact of the wrong type", [2]string{"  pii_involved: true\n", "  affected_count: lots\n  pii_involved: true\n"},
			[]string{"facts.affected_count", `"lots" is not a number`}},
		{"bool fact of the wrong type", [2]string{"pii_involved: true", "pii_involved: perhaps"},
			[]string{"facts.pii_involved", "write true or false"}},
		{"empty fact", [2]string{"pii_involved: true", "pii_involved:"},
			[]string{"facts.pii_involved"}},
		{"unknown role in contacts", [2]string{"contacts:\n", "contacts:\n  janitor: [{email: janitor@agency.example}]\n"},
			[]string{"contacts.janitor", "unknown role", "the playbook declares", "incident_coordinator"}},
		{"malformed address", [2]string{"email: report@cisa.example", "email: not-an-email"},
			[]string{"contacts.cisa[0].email", `malformed e-mail address "not-an-email"`}},
		{"address with display name", [2]string{"email: report@cisa.example", `email: "CISA <report@cisa.example>"`},
			[]string{"contacts.cisa[0].email", "malformed e-mail address"}},
		{"address without dot", [2]string{"email: hsgac@senate.example", "email: hsgac@senate"},
			[]string{"contacts.congress_committees[1].email", "malformed e-mail address"}},
		{"role without contact", [2]string{"  cisa: [{name: CISA Central, email: report@cisa.example}]\n", ""},
			[]string{"no address for role(s) cisa:", "add them under contacts"}},
		{"role with empty contact list", [2]string{"  opr: [{name: Office of Professional Responsibility, email: opr@agency.example}]\n", "  opr: []\n"},
			[]string{"no address for role(s) opr:"}},
		{"missing title", [2]string{"title: Traveler and license-plate images copied to a subcontractor network and stolen\n", ""},
			[]string{"title: missing"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := incidentfile.Parse("incident.yaml", []byte(replace(t, exampleYAML(t), tt.edit[0], tt.edit[1])))
			require.NoError(t, err)
			_, err = f.Input(workflows.NewIncidentID(), pb, "coordinator", now, false)
			require.Error(t, err)
			for _, w := range tt.wants {
				require.Contains(t, err.Error(), w)
			}
		})
	}
}

func TestInputReportsEveryProblem(t *testing.T) {
	src := exampleYAML(t)
	src = replace(t, src, "email: report@cisa.example", "email: not-an-email")
	src = replace(t, src, "  soc: [{name: Security Operations Center, email: soc@agency.example}]\n", "")
	src = replace(t, src, "  public_affairs: [{name: Office of Public Affairs, email: press@agency.example}]\n", "")
	f, err := incidentfile.Parse("incident.yaml", []byte(src))
	require.NoError(t, err)
	_, err = f.Input(workflows.NewIncidentID(), defaultPlaybook(t), "", now, false)
	require.Error(t, err)
	msg := err.Error()
	require.Contains(t, msg, "contacts.cisa[0].email")
	require.Contains(t, msg, "no address for role(s) public_affairs, soc:")
	require.Contains(t, msg, "started_by: missing")
}

func TestInputBadIncidentID(t *testing.T) {
	f, err := incidentfile.Read(examplePath)
	require.NoError(t, err)
	_, err = f.Input("not-an-id", defaultPlaybook(t), "coordinator", now, false)
	require.ErrorContains(t, err, "incident_id")
}

func TestDefaultPlaybookName(t *testing.T) {
	f, err := incidentfile.Parse("incident.yaml", []byte("title: x\n"))
	require.NoError(t, err)
	require.Equal(t, incidentfile.DefaultPlaybook, f.Playbook)

	f, err = incidentfile.Parse("incident.yaml", []byte("title: x\nplaybook: ./mine.yaml\n"))
	require.NoError(t, err)
	require.Equal(t, "./mine.yaml", f.Playbook)
}

func TestRead(t *testing.T) {
	_, err := incidentfile.Read(filepath.Join(t.TempDir(), "absent.yaml"))
	require.ErrorContains(t, err, "reading incident file")

	path := filepath.Join(t.TempDir(), "bad.yaml")
	require.NoError(t, os.WriteFile(path, []byte("title: x\ncolour: blue\n"), 0o600))
	_, err = incidentfile.Read(path)
	require.ErrorContains(t, err, "bad.yaml")
	require.ErrorContains(t, err, "colour")
}

func TestFactScalars(t *testing.T) {
	pb := defaultPlaybook(t)
	tests := []struct {
		yaml string
		fact string
		want string
	}{
		{"affected_count: 184000", "affected_count", "184000"},
		{`affected_count: "184,000"`, "affected_count", "184,000"}, // raw; the workflow normalizes it
		{"affected_count: 1.5e5", "affected_count", "150000"},
		{"pii_involved: yes", "pii_involved", "yes"},
		{"pii_involved: false", "pii_involved", "false"},
		{"occurred_at: 2019-04-15", "occurred_at", "2019-04-15T00:00:00Z"}, // YAML reads a bare date as a timestamp
		{"occurred_at: 2019-04-15T08:00:00-04:00", "occurred_at", "2019-04-15T08:00:00-04:00"},
		{"summary: hello", "summary", "hello"},
	}
	for _, tt := range tests {
		t.Run(tt.yaml, func(t *testing.T) {
			src := replace(t, exampleYAML(t), "facts:\n", "facts:\n  "+tt.yaml+"\n")
			// The example sets summary, affected_count and pii_involved; drop its value for the one
			// under test so the YAML has no duplicate key.
			lines := strings.Split(src, "\n")
			var out []string
			seen := false
			for _, l := range lines {
				if strings.HasPrefix(l, "  "+tt.fact+":") {
					if seen {
						continue
					}
					seen = true
				}
				out = append(out, l)
			}
			f, err := incidentfile.Parse("incident.yaml", []byte(strings.Join(out, "\n")))
			require.NoError(t, err)
			in, err := f.Input(workflows.NewIncidentID(), pb, "coordinator", now, false)
			require.NoError(t, err)
			var got *string
			for i := range in.Facts {
				if in.Facts[i].Name == tt.fact {
					got = &in.Facts[i].Value
				}
			}
			require.NotNil(t, got)
			require.Equal(t, tt.want, *got)
		})
	}
}

// TestDiscoveredNowKeepsDateGaps: an incident file started as discovered now (the demo) moves its
// date facts with the discovery, so the contractor still knew 18 days before the agency.
func TestDiscoveredNowKeepsDateGaps(t *testing.T) {
	raw, err := os.ReadFile("../../examples/cbp-2019.yaml")
	require.NoError(t, err)
	f, err := incidentfile.Parse("cbp-2019.yaml", raw)
	require.NoError(t, err)
	set, err := templates.Load(templates.Embedded())
	require.NoError(t, err)
	data, err := fs.ReadFile(templates.Embedded(), "playbooks/us-federal-breach.yaml")
	require.NoError(t, err)
	pb, err := playbook.Parse("us-federal-breach.yaml", data, set)
	require.NoError(t, err)
	now := time.Date(2026, 11, 30, 14, 0, 0, 0, time.UTC)
	in, err := f.Input(workflows.NewIncidentID(), pb, "coordinator", now, true)
	require.NoError(t, err)
	require.True(t, in.DiscoveredAt.Equal(now))
	for _, fact := range in.Facts {
		if fact.Name == "contractor_discovered_at" {
			got, err := time.Parse(time.RFC3339, fact.Value)
			require.NoError(t, err)
			// 31 May 2019 09:00 EDT less 13 May 2019 00:00 EDT: 18 days 9 hours.
			require.Equal(t, 18*24*time.Hour+9*time.Hour, now.Sub(got))
			return
		}
	}
	t.Fatal("no contractor_discovered_at fact")
}
