package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestAuditHTML audits a committed history as a page: the verdict, the chart and the tables.
func TestAuditHTML(t *testing.T) {
	var out bytes.Buffer
	require.NoError(t, cmdAudit([]string{"../workflows/testdata/incident-law.json", "--format", "html", "--allow-unsigned"}, &out))
	page := out.String()
	require.True(t, strings.HasPrefix(page, "<!DOCTYPE html>"))
	require.Equal(t, 1, strings.Count(page, "<svg "), "one chart for the one incident")
	require.Contains(t, page, `<g class="tl-row" data-obligation="contractor-report">`)
	require.Contains(t, page, "<h3>Obligations</h3>")
	require.NotContains(t, page, "<script")
}

// TestChartFlagsRefused: a bad --format is refused before anything runs, naming the choices.
func TestChartFlagsRefused(t *testing.T) {
	var out bytes.Buffer
	err := cmdSimulate([]string{"../scenarios/cbp-2019.yaml", "--format", "pdf"}, &out)
	require.EqualError(t, err, `--format "pdf": use text, json or html`)
	err = cmdAudit([]string{"../workflows/testdata/incident-law.json", "--format", "svg"}, &out)
	require.EqualError(t, err, `--format "svg": use table, md, json or html`)
	require.Empty(t, out.String())
}
