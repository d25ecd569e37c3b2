package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestCheckFile(t *testing.T) {
	now := time.Date(2026, 11, 23, 15, 0, 0, 0, time.UTC)
	for _, path := range []string{"../templates/playbooks/us-federal-breach.yaml", "../examples/cbp-2019.yaml", "../scenarios/cbp-2019.yaml"} {
		var out bytes.Buffer
		require.Zero(t, checkFile(path, &out, now), out.String())
		require.Regexp(t, `^ok: \d+ obligations, \d+ templates \(`, out.String())
	}

	pb, err := os.ReadFile("../templates/playbooks/us-federal-breach.yaml")
	require.NoError(t, err)
	bad := strings.Replace(string(pb), "deadline: {clock: hours, amount: 1, kind: legal}", "deadline: {clock: business_days, amount: 100000000, kind: legal}", 1)
	bad = strings.Replace(bad, "template: cisa-report", "template: no-such-template", 1)
	path := filepath.Join(t.TempDir(), "bad.yaml")
	require.NoError(t, os.WriteFile(path, []byte(bad), 0o600))
	var out bytes.Buffer
	require.Equal(t, 2, checkFile(path, &out, now), out.String())
	require.Contains(t, out.String(), `problem: bad.yaml: obligation "cisa-report": field deadline.amount: must be at most 25000 business_days`)
	require.Contains(t, out.String(), `problem: bad.yaml: obligation "cisa-report": field notice.template: unknown template "no-such-template"`)
	require.Contains(t, out.String(), "2 problem(s)")

	empty := filepath.Join(t.TempDir(), "empty.yaml")
	require.NoError(t, os.WriteFile(empty, nil, 0o600))
	out.Reset()
	require.Equal(t, 1, checkFile(empty, &out, now))
	require.Contains(t, out.String(), "empty.yaml: file is empty: expected an incident")
}
