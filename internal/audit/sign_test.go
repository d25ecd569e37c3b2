package audit

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/breachflow/breachflow/activities"
	"github.com/breachflow/breachflow/workflows"
)

// forge rewrites a history as someone who can edit files but holds no signing key would: a fact
// changed together with who recorded it. The history still replays (Temporal does not compare
// Update inputs on replay), so only the manifest's signature can tell.
func forge(t *testing.T, file string) []byte {
	t.Helper()
	h := loadHistory(t, file)
	dc := converter.GetDefaultDataConverter()
	forged := false
	for _, ev := range h.GetEvents() {
		if ev.GetEventType() != enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED {
			continue
		}
		input := ev.GetWorkflowExecutionUpdateAcceptedEventAttributes().GetAcceptedRequest().GetInput()
		if input.GetName() != workflows.UpdateRecordFact {
			continue
		}
		var in workflows.RecordFactInput
		require.NoError(t, dc.FromPayloads(input.GetArgs(), &in))
		if in.Name != "affected_count" {
			continue
		}
		in.Value, in.By = "150000", "coordinator"
		args, err := dc.ToPayloads(in)
		require.NoError(t, err)
		input.Args = args
		forged = true
	}
	require.True(t, forged, "the history records affected_count")
	data, err := protojson.MarshalOptions{Indent: "  "}.Marshal(h)
	require.NoError(t, err)
	return data
}

// rewriteManifest sets the SHA-256 of the export's only run to that of data, as a forger would.
func rewriteManifest(t *testing.T, dir string, data []byte) {
	t.Helper()
	m, err := ReadManifest(dir)
	require.NoError(t, err)
	m.Runs[0].SHA256 = sha256Hex(data)
	mj, err := json.MarshalIndent(m, "", "  ")
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, ManifestFile), mj, 0o600))
}

func problems(rep *Report) string { return strings.Join(rep.Incidents[0].Problems, "\n") }

// TestSignedExportPasses: an export signed by a trusted key passes, and says by which key.
func TestSignedExportPasses(t *testing.T) {
	dir, _, _ := makeExport(t, t.TempDir())
	rep, err := auditFile(t, dir, trusted)
	require.NoError(t, err)
	ir := rep.Incidents[0]
	require.Equal(t, SignatureValid, ir.Signature.Status)
	require.Equal(t, KeyID(testSigningKey.Public().(ed25519.PublicKey)), ir.Signature.KeyID)
	require.Equal(t, "PASSED", ir.Verdict())
}

// TestForgedExportFails: a fact and its actor rewritten, the file's SHA-256 recomputed into the
// manifest. The hashes and the replay pass — which is all the audit checked before exports were
// signed — but the manifest no longer matches its signature.
func TestForgedExportFails(t *testing.T) {
	dir, file, _ := makeExport(t, t.TempDir())
	data := forge(t, file)
	require.NoError(t, os.WriteFile(file, data, 0o600))
	rewriteManifest(t, dir, data)

	rep, err := auditFile(t, dir, trusted)
	require.Error(t, err)
	ir := rep.Incidents[0]
	require.Equal(t, HashOK, ir.Runs[0].Hash, "the forger recomputed the hash")
	require.Equal(t, ReplayOK, ir.Runs[0].Replay, "the forged history replays")
	require.Equal(t, SignatureBad, ir.Signature.Status)
	require.Contains(t, problems(rep), "changed after export")
	require.Equal(t, "FAILED", ir.Verdict())
	var out bytes.Buffer
	require.NoError(t, WriteTable(&out, rep))
	require.Contains(t, out.String(), "AUDIT FAILED")

	// Re-signed with the forger's own key: a good signature, by nobody the auditor trusts.
	_, forger, err := ed25519.GenerateKey(nil)
	require.NoError(t, err)
	mj, err := os.ReadFile(filepath.Join(dir, ManifestFile))
	require.NoError(t, err)
	sig, err := SignManifest(forger, mj)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, SignatureFile), sig, 0o600))
	rep, err = auditFile(t, dir, trusted)
	require.Error(t, err)
	require.Equal(t, SignatureUnknownSigner, rep.Incidents[0].Signature.Status)
	require.Contains(t, problems(rep), KeyID(forger.Public().(ed25519.PublicKey)))

	// The signature removed: unsigned.
	require.NoError(t, os.Remove(filepath.Join(dir, SignatureFile)))
	rep, err = auditFile(t, dir, trusted)
	require.Error(t, err)
	require.Equal(t, SignatureUnsigned, rep.Incidents[0].Signature.Status)
	require.Contains(t, problems(rep), "--allow-unsigned")

	// The history file alone, next to its (unsigned) manifest: the same.
	_, err = auditFile(t, file, trusted)
	require.ErrorContains(t, err, SignatureUnsigned)
}

// TestLoneHistoryNeedsFlag: a history file without a manifest proves nothing about its origin:
// it fails unless the auditor accepts that explicitly, and the verdict says so.
func TestLoneHistoryNeedsFlag(t *testing.T) {
	path := filepath.Join(t.TempDir(), "history.json")
	data, err := os.ReadFile(committed)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(path, data, 0o600))

	rep, err := auditFile(t, path, trusted)
	require.ErrorContains(t, err, "not listed in a signed export manifest")
	ir := rep.Incidents[0]
	require.Equal(t, SignatureNoManifest, ir.Signature.Status)
	require.Equal(t, ReplayOK, ir.Runs[0].Replay)
	require.Equal(t, "FAILED", ir.Verdict())

	rep, err = auditFile(t, path, lone)
	require.NoError(t, err)
	ir = rep.Incidents[0]
	require.True(t, ir.Signature.Accepted)
	require.Equal(t, "PASSED (history without a signed manifest accepted by --allow-unsigned)", ir.Verdict())
	var out bytes.Buffer
	require.NoError(t, WriteTable(&out, rep))
	require.Contains(t, out.String(), "AUDIT PASSED (history without a signed manifest accepted by --allow-unsigned)")
	out.Reset()
	require.NoError(t, WriteMarkdown(&out, rep))
	require.Contains(t, out.String(), "— passed (history without a signed manifest accepted by --allow-unsigned)")
}

// TestUntrustedSignerFails: a well-formed signature by a key the auditor does not trust fails;
// with no trusted keys at all, the message says how to configure them.
func TestUntrustedSignerFails(t *testing.T) {
	dir, _, _ := makeExport(t, t.TempDir())
	other, _, err := ed25519.GenerateKey(nil)
	require.NoError(t, err)
	rep, err := auditFile(t, dir, Options{VerifyKeys: []ed25519.PublicKey{other}})
	require.Error(t, err)
	require.Equal(t, SignatureUnknownSigner, rep.Incidents[0].Signature.Status)

	rep, err = auditFile(t, dir, Options{})
	require.ErrorContains(t, err, "BREACHFLOW_EXPORT_VERIFY_KEYS")
	require.Equal(t, SignatureUnknownSigner, rep.Incidents[0].Signature.Status)

	rep, err = auditFile(t, dir, Options{AllowUnsigned: true})
	require.NoError(t, err)
	require.Equal(t, "PASSED (export by an unknown signer accepted by --allow-unsigned)", rep.Incidents[0].Verdict())
}

// TestTamperedNoticeBodyFails: a sent notice's text changed in the history, its content hash left
// as it was. The replay passes (activity inputs are not compared on replay) and no manifest is
// involved: the audit recomputes the hash from the content and fails, even with --allow-unsigned.
func TestTamperedNoticeBodyFails(t *testing.T) {
	h := loadHistory(t, committed)
	dc := converter.GetDefaultDataConverter()
	var key string
	for _, ev := range h.GetEvents() {
		a := ev.GetActivityTaskScheduledEventAttributes()
		if a.GetActivityType().GetName() != activitySend || key != "" {
			continue
		}
		var in activities.SendNoticeInput
		require.NoError(t, dc.FromPayloads(a.GetInput(), &in))
		in.Notice.Text = strings.Replace(in.Notice.Text, "", "Nothing to report. ", 1)
		key = in.NoticeKey
		p, err := dc.ToPayloads(in)
		require.NoError(t, err)
		a.Input = p
	}
	require.NotEmpty(t, key)
	path := writeHistoryFile(t, h)

	rep, err := auditFile(t, path, lone)
	require.Error(t, err)
	ir := rep.Incidents[0]
	require.Equal(t, ReplayOK, ir.Runs[0].Replay)
	require.Contains(t, problems(rep), "notice "+key+": the recorded content hash")
	require.Equal(t, "FAILED", ir.Verdict())
}

// TestExportSigned: Export with a signing key writes manifest.sig over the manifest it wrote.
func TestExportSigned(t *testing.T) {
	full := loadHistory(t, committed)
	in, err := decodeStart(new(Options).dataConverter(), full)
	require.NoError(t, err)
	runID := full.Events[0].GetWorkflowExecutionStartedEventAttributes().GetOriginalExecutionRunId()
	fc := &fakeClient{runs: map[string]*historypb.History{runID: full}, current: runID, firstRun: runID}
	out := t.TempDir()
	_, err = ExportWithOptions(context.Background(), fc, in.IncidentID, out, ExportOptions{SigningKey: testSigningKey})
	require.NoError(t, err)
	dir := filepath.Join(out, in.IncidentID)
	rep, err := auditFile(t, dir, trusted)
	require.NoError(t, err)
	require.Equal(t, SignatureValid, rep.Incidents[0].Signature.Status)
	require.NotContains(t, strings.Join(rep.Incidents[0].Notes, "\n"), SignatureFile+" is in the export folder")
	fi, err := os.Stat(filepath.Join(dir, SignatureFile))
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
}

// TestSigningKeys: keys from GenerateSigningKey read back; bad ones are refused with a fix.
func TestSigningKeys(t *testing.T) {
	priv, pub, err := GenerateSigningKey()
	require.NoError(t, err)
	key, err := ParseSigningKey(priv)
	require.NoError(t, err)
	keys, err := ParseVerifyKeys(" , " + pub + ",")
	require.NoError(t, err)
	require.Len(t, keys, 1)
	require.True(t, keys[0].Equal(key.Public()))
	sig, err := SignManifest(key, []byte("{}"))
	require.NoError(t, err)
	var ms ManifestSignature
	require.NoError(t, json.Unmarshal(sig, &ms))
	require.Equal(t, KeyID(keys[0]), ms.KeyID)

	_, err = ParseSigningKey("not base64!")
	require.ErrorContains(t, err, "worker keygen --export-signing")
	_, err = ParseSigningKey(pub[:20])
	require.Error(t, err)
	_, err = ParseVerifyKeys(pub + ",AAAA")
	require.ErrorContains(t, err, "not an Ed25519 public key")
}

func writeHistoryFile(t *testing.T, h *historypb.History) string {
	t.Helper()
	data, err := protojson.MarshalOptions{Indent: "  "}.Marshal(h)
	require.NoError(t, err)
	path := filepath.Join(t.TempDir(), "history.json")
	require.NoError(t, os.WriteFile(path, data, 0o600))
	_, err = client.HistoryFromJSON(bytes.NewReader(data), client.HistoryJSONOptions{})
	require.NoError(t, err)
	return path
}
