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
	if err := SignAction(priv, "INC-1", UpdateApprove, in, "local:alice", "alice@agency.example", time.Now()); err != nil {
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
