package workflows

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"testing"
	"time"
)

func TestSignedActionVerifies(t *testing.T) {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	trusted := map[string]ed25519.PublicKey{SignerKeyID(pub): pub}
	in := &ApproveInput{Obligation: "congress-notice", ContentHash: "abc", By: "alice@agency.example"}
	if err := SignAction(priv, "INC-1", UpdateApprove, "update-1", in, "local:alice", "alice@agency.example", time.Now()); err != nil {
		t.Fatal(err)
	}
	// Through JSON, as Temporal carries it.
	data, _ := json.Marshal(in)
	var got ApproveInput
	if err := json.Unmarshal(data, &got); err != nil {
		t.Fatal(err)
	}
	if err := VerifyAction(trusted, "INC-1", UpdateApprove, &got); err != nil {
		t.Fatalf("valid signature refused: %v", err)
	}
	if VerifyAction(trusted, "INC-2", UpdateApprove, &got) == nil {
		t.Error("signature accepted for another incident")
	}
	if VerifyAction(trusted, "INC-1", UpdateComplete, &got) == nil {
		t.Error("signature accepted for another action")
	}
	got.ContentHash = "def"
	if VerifyAction(trusted, "INC-1", UpdateApprove, &got) == nil {
		t.Error("signature accepted after the content hash changed")
	}
	got.Attestation.UpdateID = "update-2"
	if VerifyAction(trusted, "INC-1", UpdateApprove, &got) == nil {
		t.Error("signature accepted for another Update ID")
	}
	got.Attestation.UpdateID = "update-1"
	got.ContentHash = "abc"
	got.Attestation.Subject = "local:mallory"
	if VerifyAction(trusted, "INC-1", UpdateApprove, &got) == nil {
		t.Error("signature accepted after the subject changed")
	}
	if VerifyAction(map[string]ed25519.PublicKey{}, "INC-1", UpdateApprove, in) == nil {
		t.Error("signature accepted from an untrusted key")
	}
	if VerifyAction(trusted, "INC-1", UpdateApprove, &ApproveInput{Obligation: "x"}) == nil {
		t.Error("unsigned action accepted")
	}
}

// TestUpdateIDOf: the Update ID a signed input names, whether the input is passed as a pointer
// or as a value; "" for an unsigned input or one that is not an Update input.
func TestUpdateIDOf(t *testing.T) {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	in := CompleteInput{Obligation: "triage"}
	if got := UpdateIDOf(&in); got != "" {
		t.Errorf("unsigned: %q", got)
	}
	if err := SignAction(priv, "INC-1", UpdateComplete, "u-1", &in, "local:alice", "", time.Now()); err != nil {
		t.Fatal(err)
	}
	for name, v := range map[string]any{"pointer": &in, "value": in} {
		if got := UpdateIDOf(v); got != "u-1" {
			t.Errorf("%s: %q, want u-1", name, got)
		}
	}
	for _, v := range []any{nil, "text", 3} {
		if got := UpdateIDOf(v); got != "" {
			t.Errorf("%v: %q", v, got)
		}
	}
}
