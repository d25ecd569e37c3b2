package incidentfile

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// TestPlaybooks: an incident file lists the regimes it applies under playbooks (or names one
// playbook); both at once, too many, or a path out of the folder are refused.
func TestPlaybooks(t *testing.T) {
	f, err := Parse("i.yaml", []byte("title: T\nplaybooks: [us-federal-breach, gdpr.yaml]\n"))
	require.NoError(t, err)
	require.Equal(t, []string{"us-federal-breach", "gdpr.yaml"}, f.PlaybookRefs())
	require.Empty(t, f.Playbook)

	f, err = Parse("i.yaml", []byte("title: T\n"))
	require.NoError(t, err)
	require.Equal(t, []string{DefaultPlaybook}, f.PlaybookRefs())

	_, err = Parse("i.yaml", []byte("title: T\nplaybook: a\nplaybooks: [b]\n"))
	require.ErrorContains(t, err, "playbook and playbooks are both given")
	_, err = Parse("i.yaml", []byte("title: T\nplaybooks: [../x.yaml]\n"))
	require.ErrorContains(t, err, "playbooks[0]")
	many := "title: T\nplaybooks: [" + "a, b, c, d, e, f, g, h, i, j, k, l, m, n, o, p, q, r, s, t, u" + "]\n"
	_, err = Parse("i.yaml", []byte(many))
	require.ErrorContains(t, err, "at most 20")
}
