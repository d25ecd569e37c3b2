package playbook_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/breachflow/breachflow/playbook"
)

// TestApprovalsForms: approvals is a count or {count, signed, roles}; the playbook's
// signed_approvals makes every approval signed; bad forms and unknown roles are refused naming
// the field.
func TestApprovalsForms(t *testing.T) {
	parse := func(approvals, top string) (*playbook.Playbook, error) {
		src := apply(t, baseYAML(), []edit{{"      send: manual\n", "      send: manual\n      approvals: " + approvals + "\n"}})
		if top != "" {
			src = apply(t, src, []edit{{"title: Test playbook\n", "title: Test playbook\n" + top + "\n"}})
		}
		return playbook.Parse("p.yaml", []byte(src), templateSet(t))
	}
	pb, err := parse("2", "")
	require.NoError(t, err)
	n := pb.Obligations[0].Notice
	require.Equal(t, 2, n.Approvals)
	require.False(t, n.SignedApprovals)
	require.Empty(t, n.ApproverRoles)

	pb, err = parse("{count: 2, signed: true, roles: [coordinator, regulator]}", "")
	require.NoError(t, err)
	n = pb.Obligations[0].Notice
	require.Equal(t, 2, n.Approvals)
	require.True(t, n.SignedApprovals)
	require.Equal(t, []string{"coordinator", "regulator"}, n.ApproverRoles)

	pb, err = parse("1", "signed_approvals: true\nauditors: [regulator]")
	require.NoError(t, err)
	require.True(t, pb.Obligations[0].Notice.SignedApprovals, "the playbook's signed_approvals reaches every notice")
	require.Equal(t, []string{"regulator"}, pb.Auditors)

	_, err = parse("{count: 2, signd: true}", "")
	require.ErrorContains(t, err, `unknown field "signd" in approvals: use count, signed and roles`)
	_, err = parse("{count: 2, roles: [nobody]}", "")
	require.ErrorContains(t, err, `field notice.approvals.roles[0]: unknown role "nobody"`)
	_, err = parse("{roles: [coordinator]}", "")
	require.ErrorContains(t, err, "approver roles without approvals")
	_, err = parse("[2]", "")
	require.ErrorContains(t, err, "approvals is a count")
	_, err = parse("1", "auditors: [nobody]")
	require.ErrorContains(t, err, `field auditors[0]: unknown role "nobody"`)
}

// TestDefaultPlaybookCongressApprovers: the notice to Congress is approved by counsel and the CIO.
func TestDefaultPlaybookCongressApprovers(t *testing.T) {
	pb := defaultPlaybook(t)
	n := pb.Obligation("congress-notice").Notice
	require.Equal(t, 2, n.Approvals)
	require.Equal(t, []string{"general_counsel", "cio"}, n.ApproverRoles)
}
