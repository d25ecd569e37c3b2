package audit

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/breachflow/breachflow/workflows"
)

// signedHistory is the committed incident whose actions a console signed, and its public key.
const (
	signedHistory    = "../../workflows/testdata/incident-signed.json"
	signedConsoleKey = "../../workflows/testdata/incident-signed.console-key"
)

func signedKeys(t *testing.T) map[string]ed25519.PublicKey {
	data, err := os.ReadFile(signedConsoleKey)
	require.NoError(t, err)
	k, err := ParsePublicKey(string(data))
	require.NoError(t, err)
	return map[string]ed25519.PublicKey{workflows.SignerKeyID(k): k}
}

func auditSigned(t *testing.T, path string, keys map[string]ed25519.PublicKey) *IncidentReport {
	t.Helper()
	rep, err := Audit(context.Background(), Source{Path: path}, Options{AllowUnsigned: true, ConsoleKeys: keys})
	require.NotNil(t, rep, "%v", err)
	require.Len(t, rep.Incidents, 1)
	require.Equal(t, rep.Incidents[0].OK(), err == nil, "the audit fails exactly when the incident has problems: %v", err)
	return rep.Incidents[0]
}

// proofs counts the timeline's person actions by proof, and returns the entry of the update named.
func proofs(ir *IncidentReport) map[string]int {
	n := map[string]int{}
	for _, e := range ir.Timeline {
		if e.Proof != "" {
			n[e.Proof]++
		}
	}
	return n
}

// TestAuditVerifiesSignedActions: with the console's public key the audit verifies every signed
// action from the history itself and names the authenticated subject; the CLI's action is
// asserted; without a key the signatures are reported unchecked; with another key, invalid.
func TestAuditVerifiesSignedActions(t *testing.T) {
	ir := auditSigned(t, signedHistory, signedKeys(t))
	require.True(t, ir.OK(), "%v", ir.Problems)
	require.Equal(t, map[string]int{ProofVerified: 7, ProofAsserted: 1}, proofs(ir))
	var subjects []string
	for _, e := range ir.Timeline {
		switch e.Proof {
		case ProofVerified:
			subjects = append(subjects, e.Actor+" "+e.Subject)
		case ProofAsserted:
			require.Equal(t, "coordinator", e.Actor)
			require.Empty(t, e.Subject)
		}
	}
	require.Contains(t, subjects, "General Counsel local:ogc@agency.example", "recorded under the attested name")
	require.Contains(t, subjects, "cio@agency.example oidc:https://login.agency.example#4711")
	var md bytes.Buffer
	require.NoError(t, Write(&md, &Report{Incidents: []*IncidentReport{ir}}, FormatMarkdown))
	require.Contains(t, md.String(), "| General Counsel (verified: local:ogc@agency.example) | approved | congress-notice |")
	require.Contains(t, md.String(), "| coordinator (asserted) | completed | triage |")

	unchecked := auditSigned(t, signedHistory, nil)
	require.True(t, unchecked.OK())
	require.Equal(t, map[string]int{ProofUnchecked: 7, ProofAsserted: 1}, proofs(unchecked))
	require.Contains(t, strings.Join(unchecked.Notes, "\n"), "BREACHFLOW_CONSOLE_VERIFY_KEYS")

	pub, _, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	foreign := auditSigned(t, signedHistory, map[string]ed25519.PublicKey{workflows.SignerKeyID(pub): pub})
	require.False(t, foreign.OK())
	require.Equal(t, map[string]int{ProofInvalid: 7, ProofAsserted: 1}, proofs(foreign))
	require.Contains(t, foreign.Problems[0], "not among the console keys given to the audit")
}

// TestAuditFlagsTamperedSignedAction: a signed waiver whose reason was edited in the history
// after the fact (the workflow still replays: the reason drives no command) fails the audit,
// naming the action; the other signed actions still verify.
func TestAuditFlagsTamperedSignedAction(t *testing.T) {
	raw, err := os.ReadFile(signedHistory)
	require.NoError(t, err)
	var h map[string]any
	require.NoError(t, json.Unmarshal(raw, &h))
	edited := 0
	for _, ev := range h["events"].([]any) {
		attrs, ok := ev.(map[string]any)["workflowExecutionUpdateAcceptedEventAttributes"].(map[string]any)
		if !ok {
			continue
		}
		input := attrs["acceptedRequest"].(map[string]any)["input"].(map[string]any)
		if input["name"] != workflows.UpdateWaive {
			continue
		}
		p := input["args"].(map[string]any)["payloads"].([]any)[0].(map[string]any)
		data, err := base64.StdEncoding.DecodeString(p["data"].(string))
		require.NoError(t, err)
		changed := strings.Replace(string(data), "covered by the department's statement", "not owed: nobody was affected", 1)
		require.NotEqual(t, string(data), changed)
		p["data"] = base64.StdEncoding.EncodeToString([]byte(changed))
		edited++
	}
	require.Equal(t, 1, edited)
	out, err := json.Marshal(h)
	require.NoError(t, err)
	path := filepath.Join(t.TempDir(), "tampered.json")
	require.NoError(t, os.WriteFile(path, out, 0o644))

	ir := auditSigned(t, path, signedKeys(t))
	require.False(t, ir.OK())
	require.Equal(t, map[string]int{ProofVerified: 6, ProofInvalid: 1, ProofAsserted: 1}, proofs(ir))
	require.Len(t, ir.Problems, 1, "%v", ir.Problems)
	require.Contains(t, ir.Problems[0], "waive by coordinator@agency.example (local:coordinator)")
	require.Contains(t, ir.Problems[0], "altered after signing")
	for _, e := range ir.Timeline {
		if e.Proof == ProofInvalid {
			require.Equal(t, string(workflows.ActionWaived), e.Action)
		}
	}
}

// TestAuditFlagsSignedActionUnderAnotherUpdate: a signature names the Update it may arrive as;
// the same signed action accepted under another Update ID (sent again by someone who captured
// it, and taken by a worker older than that check) is a problem, and under its own ID it
// verifies. A signature that names no Update (made before they did) still verifies as made.
func TestAuditFlagsSignedActionUnderAnotherUpdate(t *testing.T) {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	keys := map[string]ed25519.PublicKey{workflows.SignerKeyID(pub): pub}
	const incident = "INC-1"
	in := &workflows.CompleteInput{Obligation: "triage"}
	require.NoError(t, workflows.SignAction(priv, incident, workflows.UpdateComplete, "update-7", in, "local:alice", "alice@agency.example", time.Now()))

	check := func(updateID string, in *workflows.CompleteInput) (*builder, Entry) {
		b := &builder{consoleKeys: keys, incidentID: incident}
		e := Entry{Run: 1, EventID: 12}
		b.checkSigned(&e, workflows.UpdateComplete, updateID, in)
		return b, e
	}
	b, e := check("update-7", in)
	require.Equal(t, ProofVerified, e.Proof)
	require.Empty(t, b.problems)

	b, e = check("update-8", in)
	require.Equal(t, ProofInvalid, e.Proof)
	require.Len(t, b.problems, 1)
	require.Contains(t, b.problems[0], "signed for Update update-7 but accepted as Update update-8")

	// The same signed action accepted again in a later run (the server answers a known Update
	// ID within one run only): the second is a problem.
	b = &builder{consoleKeys: keys, incidentID: incident}
	first, again := Entry{Run: 1, EventID: 12}, Entry{Run: 2, EventID: 5}
	b.checkSigned(&first, workflows.UpdateComplete, "update-7", in)
	b.checkSigned(&again, workflows.UpdateComplete, "update-7", in)
	require.Equal(t, ProofVerified, first.Proof)
	require.Equal(t, ProofInvalid, again.Proof)
	require.Len(t, b.problems, 1)
	require.Contains(t, b.problems[0], "run 2 event 5: complete")
	require.Contains(t, b.problems[0], "Update update-7 was already accepted at run 1 event 12")

	// An older console's signature: no Update ID in the attestation or in the signed bytes.
	old := &workflows.CompleteInput{Obligation: "triage"}
	a := &workflows.Attestation{Subject: "local:alice", Name: "alice@agency.example", KeyID: workflows.SignerKeyID(pub), SignedAt: time.Now().UTC()}
	msg, err := workflows.ActionBytes(incident, workflows.UpdateComplete, old, a)
	require.NoError(t, err)
	a.Signature = ed25519.Sign(priv, msg)
	old.Attestation = a
	b, e = check("any-id", old)
	require.Equal(t, ProofVerified, e.Proof, "%v", b.problems)
}
