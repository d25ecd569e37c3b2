package workflows

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"time"
)

// Attestation proves who performed an action: an authenticated person's identity, signed
// together with the exact action by a trusted signer (the console) with an Ed25519 key whose
// public half the worker is configured with. An action without one is asserted: its actor is
// whatever the caller typed.
type Attestation struct {
	// Subject is the stable authenticated identity: "local:<user>" for the console's users
	// file, "oidc:<issuer>#<sub>" for an OpenID Connect login.
	Subject string `json:"subject"`
	// Name is how the person is shown and recorded as the actor (e-mail or display name).
	Name string `json:"name,omitempty"`
	// KeyID names the signer's key (SignerKeyID of its public half).
	KeyID string `json:"key_id"`
	// SignedAt is when the signer signed the action.
	SignedAt time.Time `json:"signed_at"`
	// UpdateID is the ID of the one Update that may carry this action: the signer picks it and
	// sends the Update under it. The server takes an Update ID once, so a signed action captured
	// and sent again is either the same Update (answered as before, applied once) or refused
	// (another ID). Actions signed before it existed have none.
	UpdateID string `json:"update_id,omitempty"`
	// Signature is Ed25519 over ActionBytes.
	Signature []byte `json:"signature"`
}

// Signed is embedded in every Update input: an attested action carries its signature here.
type Signed struct {
	Attestation *Attestation `json:"attestation,omitempty"`
}

func (s *Signed) signed() *Signed { return s }

// Signable is an Update input that can carry an Attestation (every input embeds Signed).
type Signable interface{ signed() *Signed }

// SignerKeyID is the short, stable name of a signer's public key.
func SignerKeyID(pub ed25519.PublicKey) string {
	sum := sha256.Sum256(pub)
	return hex.EncodeToString(sum[:8])
}

// actionDomain separates these signatures from any other use of the same key.
const actionDomain = "breachflow-action-v1"

// ActionBytes is the canonical text a signer signs: the incident, the Update's name, the input
// without its attestation (its JSON encoding, so every field — obligation, content hash, value,
// reason — is bound), the subject, the name, the time of signing and the Update ID (when the
// attestation names one: signatures made before it existed verify as they were made).
func ActionBytes(incidentID, update string, input Signable, a *Attestation) ([]byte, error) {
	if a == nil {
		return nil, errors.New("no attestation")
	}
	s := input.signed()
	saved := s.Attestation
	s.Attestation = nil
	body, err := json.Marshal(input)
	s.Attestation = saved
	if err != nil {
		return nil, fmt.Errorf("encoding the action: %w", err)
	}
	fields := []string{actionDomain, incidentID, update, a.Subject, a.Name, a.KeyID, a.SignedAt.UTC().Format(time.RFC3339Nano)}
	if a.UpdateID != "" {
		fields = append(fields, a.UpdateID)
	}
	head, err := json.Marshal(fields)
	if err != nil {
		return nil, err
	}
	return append(append(head, '\n'), body...), nil
}

// SignAction signs an action on behalf of an authenticated person and attaches the attestation
// to the input. The action may only be sent as the Update with ID updateID (UpdateIDOf gives it
// back; engine.SendUpdate uses it).
func SignAction(priv ed25519.PrivateKey, incidentID, update, updateID string, input Signable, subject, name string, at time.Time) error {
	if subject == "" {
		return errors.New("signing an action: no subject")
	}
	if updateID == "" {
		return errors.New("signing an action: no Update ID")
	}
	a := &Attestation{Subject: subject, Name: name, KeyID: SignerKeyID(priv.Public().(ed25519.PublicKey)), SignedAt: at.UTC(), UpdateID: updateID}
	msg, err := ActionBytes(incidentID, update, input, a)
	if err != nil {
		return err
	}
	a.Signature = ed25519.Sign(priv, msg)
	input.signed().Attestation = a
	return nil
}

// VerifyAction checks an input's attestation against the signer keys the worker trusts (by key
// ID). It returns nil only for a valid signature by a trusted key over exactly this action.
func VerifyAction(trusted map[string]ed25519.PublicKey, incidentID, update string, input Signable) error {
	a := input.signed().Attestation
	if a == nil {
		return errors.New("the action is not signed")
	}
	pub, ok := trusted[a.KeyID]
	if !ok {
		return fmt.Errorf("the action is signed with key %s, which this worker does not trust", a.KeyID)
	}
	msg, err := ActionBytes(incidentID, update, input, a)
	if err != nil {
		return err
	}
	if !ed25519.Verify(pub, msg, a.Signature) {
		return errors.New("the action's signature does not match its content: it was altered after signing, or signed for another incident")
	}
	return nil
}

// UpdateIDOf is the Update ID a signed input (a pointer or a value) was signed for, or ""
// (unsigned, or signed before signatures named one). For clients, not for workflow code.
func UpdateIDOf(input any) string {
	if input == nil {
		return ""
	}
	if _, ok := input.(Signable); !ok {
		// A value: its methods are on the pointer.
		p := reflect.New(reflect.TypeOf(input))
		p.Elem().Set(reflect.ValueOf(input))
		input = p.Interface()
	}
	if a := attestationOf(input); a != nil {
		return a.UpdateID
	}
	return ""
}
