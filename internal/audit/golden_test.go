package audit

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// updateGolden rewrites the golden audit outputs from the code as it is:
//
//	go test ./internal/audit/ -run TestGoldenAudits -update
//
// Review the diff before committing it: for the committed histories the audit's output is a
// promise to auditors, and a change in it should be one somebody meant.
var updateGolden = flag.Bool("update", false, "rewrite testdata/golden/ from the current audit output")

// goldenNow is the injected audit clock; the golden files carry it where the audit prints its
// own time.
var goldenNow = time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)

// goldenBuild is the auditor build the golden files name, so that they do not change with the Go
// toolchain or the test binary's build information.
var goldenBuild = Build{Module: "github.com/breachflow/breachflow", Version: "devel", GoVersion: "go1.26.8", TemporalSDK: "v1.50.0"}

// wallClock matches the lines that carry the audit's own time in the four formats.
var wallClock = []struct {
	re   *regexp.Regexp
	repl string
}{
	{regexp.MustCompile(`(?m)^(  "audited_at": )"[^"]*"`), `${1}"2026-11-30T12:00:00Z"`},
	{regexp.MustCompile(`(?m)^(.*replayed against build .*?) at \d{4}-\d\d-\d\dT[0-9:.]+(Z|[+-]\d\d:\d\d)`), `${1} at 2026-11-30T12:00:00Z`},
}

// normaliseGolden replaces the audit's own timestamps with goldenNow. Outputs made with an
// injected clock are left unchanged; outputs of `starter audit` made at any other time become
// comparable with them.
func normaliseGolden(data []byte) []byte {
	for _, w := range wallClock {
		data = w.re.ReplaceAll(data, []byte(w.repl))
	}
	return data
}

// TestGoldenAudits audits every committed history (workflows/testdata/*.json) in every format and
// compares the output with testdata/golden/<history>.<format>. The audit runs from the module root,
// as `starter audit workflows/testdata/<history>.json --format F` does.
func TestGoldenAudits(t *testing.T) {
	golden, err := filepath.Abs("testdata/golden")
	require.NoError(t, err)
	t.Chdir("../..")
	histories, err := filepath.Glob("workflows/testdata/*.json")
	require.NoError(t, err)
	require.NotEmpty(t, histories)
	for _, h := range histories {
		name := filepath.Base(h[:len(h)-len(".json")])
		t.Run(name, func(t *testing.T) {
			rep, err := Audit(context.Background(), Source{Path: h}, goldenOptions())
			require.NoError(t, err)
			rep.Auditor = goldenBuild
			for _, format := range []string{FormatTable, FormatMarkdown, FormatJSON, FormatHTML} {
				var out bytes.Buffer
				require.NoError(t, Write(&out, rep, format))
				got := normaliseGolden(out.Bytes())
				path := filepath.Join(golden, name+"."+format)
				if *updateGolden {
					require.NoError(t, os.WriteFile(path, got, 0o644))
					continue
				}
				want, err := os.ReadFile(path)
				require.NoError(t, err, "no golden file: run go test ./internal/audit/ -run TestGoldenAudits -update")
				require.Equal(t, string(want), string(got), "the audit of %s (%s) changed; if that is meant, run with -update and review the diff", h, format)
			}
		})
	}
}

func goldenOptions() Options {
	// The committed histories are lone files, without a signed manifest.
	return Options{Now: func() time.Time { return goldenNow }, AllowUnsigned: true}
}
