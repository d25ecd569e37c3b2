package incidentfile_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/breachflow/breachflow/internal/incidentfile"
	"github.com/breachflow/breachflow/playbook"
)

// TestCheck: a File built without YAML (the console's form) gets Parse's checks, each problem
// its own error starting with its field (no file label), and Parse's defaults.
func TestCheck(t *testing.T) {
	f := &incidentfile.File{
		Title:    strings.Repeat("x", playbook.MaxTitleLen+1),
		Summary:  "fine\nover two lines",
		Facts:    map[string]incidentfile.Scalar{"data_types": "a\x00b"},
		Contacts: map[string][]playbook.Contact{"cisa": {{Name: "ok", Email: "desk@bücher.example"}, {Name: "next line\u0085", Email: "b@c.example"}}},
	}
	err := f.Check()
	require.Error(t, err)
	var fields []string
	for _, e := range err.(interface{ Unwrap() []error }).Unwrap() {
		field, _, _ := strings.Cut(e.Error(), ": ")
		fields = append(fields, field)
	}
	require.Equal(t, []string{"title", "facts.data_types", "contacts.cisa[1].name"}, fields)
	require.Equal(t, "desk@xn--bcher-kva.example", f.Contacts["cisa"][0].Email, "a non-ASCII domain in its ASCII form")
	require.Equal(t, []string{incidentfile.DefaultPlaybook}, f.PlaybookRefs(), "no playbook named: the default")

	ok := &incidentfile.File{Title: "t", Playbooks: []string{"us-federal-breach", "eu-gdpr"}}
	require.NoError(t, ok.Check())
	require.Equal(t, []string{"us-federal-breach", "eu-gdpr"}, ok.PlaybookRefs())
}

// TestCheckContactsPerRole: a role with more than playbook.MaxContactsPerRole addresses is
// refused, naming the role and the limit.
func TestCheckContactsPerRole(t *testing.T) {
	f := &incidentfile.File{Title: "T", Playbook: incidentfile.DefaultPlaybook, Contacts: map[string][]playbook.Contact{}}
	for i := range playbook.MaxContactsPerRole + 1 {
		f.Contacts["cisa"] = append(f.Contacts["cisa"], playbook.Contact{Email: fmt.Sprintf("d%d@cisa.example", i)})
	}
	err := f.Check()
	require.ErrorContains(t, err, fmt.Sprintf("contacts.cisa: %d addresses: at most %d per role", playbook.MaxContactsPerRole+1, playbook.MaxContactsPerRole))
	f.Contacts["cisa"] = f.Contacts["cisa"][:playbook.MaxContactsPerRole]
	require.NoError(t, f.Check())
}
