package audit

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// SignatureFile is the name of the manifest's signature in an export folder. The signature sits
// beside the manifest, over the manifest file's exact bytes, so that no JSON canonicalisation is
// needed: what is verified is what is on disk, byte for byte, whatever build wrote it.
const SignatureFile = "manifest.sig"

// SignatureFormat is the version of the signature file's layout.
const SignatureFormat = 1

// signatureContext starts every signed message, so that an export-signing key's signature over
// a manifest can never be taken for its signature over anything else.
const signatureContext = "breachflow export manifest v1\n"

// ManifestSignature is the content of manifest.sig: an Ed25519 signature over signatureContext
// followed by the bytes of manifest.json, and the public key that made it.
type ManifestSignature struct {
	Format    int    `json:"format"`
	Algorithm string `json:"algorithm"`
	// KeyID names the public key (see KeyID); PublicKey is the key itself, base64.
	KeyID     string `json:"key_id"`
	PublicKey string `json:"public_key"`
	// Signature is the Ed25519 signature, base64.
	Signature string `json:"signature"`
}

// Signature check outcomes (SignatureCheck.Status).
const (
	SignatureValid         = "valid"
	SignatureUnsigned      = "unsigned"
	SignatureBad           = "bad signature"
	SignatureUnknownSigner = "unknown signer"
	SignatureNoManifest    = "no manifest"
)

// SignatureCheck is how an incident's files were authenticated. Live audits have none: the
// histories come from the server, not from files anyone could edit.
type SignatureCheck struct {
	// Status is valid, unsigned, bad signature, unknown signer or no manifest.
	Status string `json:"status"`
	// KeyID names the key that signed the manifest, when it is signed.
	KeyID string `json:"key_id,omitempty"`
	// Detail says what was found and how to fix it.
	Detail string `json:"detail,omitempty"`
	// Accepted is true when the check failed but Options.AllowUnsigned let the audit pass.
	Accepted bool `json:"accepted_by_allow_unsigned,omitempty"`
}

// KeyID is a short name of a public key: the first 8 bytes of its SHA-256, in hex.
func KeyID(pub ed25519.PublicKey) string {
	sum := sha256.Sum256(pub)
	return hex.EncodeToString(sum[:8])
}

// GenerateSigningKey makes an export-signing key pair: the private key as the base64 of its
// 32-byte seed (for BREACHFLOW_EXPORT_SIGNING_KEY) and the public key as base64 (for
// BREACHFLOW_EXPORT_VERIFY_KEYS).
func GenerateSigningKey() (private, public string, err error) {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return "", "", err
	}
	return base64.StdEncoding.EncodeToString(priv.Seed()), base64.StdEncoding.EncodeToString(pub), nil
}

// ParseSigningKey reads a private key written by GenerateSigningKey: base64 of a 32-byte seed
// (a 64-byte Ed25519 private key is accepted too).
func ParseSigningKey(s string) (ed25519.PrivateKey, error) {
	b, err := base64.StdEncoding.DecodeString(strings.TrimSpace(s))
	if err != nil {
		return nil, errors.New("not base64: expected the signing key printed by `worker keygen --export-signing`")
	}
	switch len(b) {
	case ed25519.SeedSize:
		return ed25519.NewKeyFromSeed(b), nil
	case ed25519.PrivateKeySize:
		key := ed25519.PrivateKey(b)
		if !bytes.Equal(ed25519.NewKeyFromSeed(key.Seed()), key) {
			return nil, errors.New("not a valid Ed25519 private key: its public half does not match its seed")
		}
		return key, nil
	}
	return nil, fmt.Errorf("%d bytes: an Ed25519 signing key is a %d-byte seed; make one with `worker keygen --export-signing`", len(b), ed25519.SeedSize)
}

// ParsePublicKey reads one public key: base64 of 32 bytes.
func ParsePublicKey(s string) (ed25519.PublicKey, error) {
	b, err := base64.StdEncoding.DecodeString(strings.TrimSpace(s))
	if err != nil || len(b) != ed25519.PublicKeySize {
		return nil, fmt.Errorf("%q is not an Ed25519 public key (base64 of %d bytes, as `worker keygen --export-signing` prints it)", s, ed25519.PublicKeySize)
	}
	return ed25519.PublicKey(b), nil
}

// ParseVerifyKeys reads a comma-separated list of public keys; blanks are skipped.
func ParseVerifyKeys(s string) ([]ed25519.PublicKey, error) {
	var keys []ed25519.PublicKey
	for part := range strings.SplitSeq(s, ",") {
		if strings.TrimSpace(part) == "" {
			continue
		}
		k, err := ParsePublicKey(part)
		if err != nil {
			return nil, err
		}
		keys = append(keys, k)
	}
	return keys, nil
}

// SignManifest signs the exact bytes of a manifest file and returns the content of its
// signature file.
func SignManifest(key ed25519.PrivateKey, manifest []byte) ([]byte, error) {
	if len(key) != ed25519.PrivateKeySize {
		return nil, errors.New("no valid Ed25519 signing key")
	}
	pub := key.Public().(ed25519.PublicKey)
	sig := ManifestSignature{
		Format:    SignatureFormat,
		Algorithm: "ed25519",
		KeyID:     KeyID(pub),
		PublicKey: base64.StdEncoding.EncodeToString(pub),
		Signature: base64.StdEncoding.EncodeToString(ed25519.Sign(key, signedMessage(manifest))),
	}
	data, err := json.MarshalIndent(sig, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(data, '\n'), nil
}

func signedMessage(manifest []byte) []byte {
	return append([]byte(signatureContext), manifest...)
}

// VerifyManifest checks the signature file of an export folder against the manifest's bytes and
// the trusted public keys. It never fails open: anything but a good signature by a trusted key
// comes back with another status, and a Detail that says what to do.
func VerifyManifest(dir string, manifest []byte, trusted []ed25519.PublicKey) SignatureCheck {
	path := filepath.Join(dir, SignatureFile)
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return SignatureCheck{Status: SignatureUnsigned, Detail: fmt.Sprintf("%s has no %s: nothing proves who exported it or that its manifest was not rewritten; export with BREACHFLOW_EXPORT_SIGNING_KEY set", dir, SignatureFile)}
	}
	if err != nil {
		return SignatureCheck{Status: SignatureBad, Detail: fmt.Sprintf("%s: %v", path, err)}
	}
	var sig ManifestSignature
	if err := json.Unmarshal(data, &sig); err != nil {
		return SignatureCheck{Status: SignatureBad, Detail: fmt.Sprintf("%s: not a signature file: %v", path, err)}
	}
	if sig.Format != SignatureFormat || sig.Algorithm != "ed25519" {
		return SignatureCheck{Status: SignatureBad, KeyID: sig.KeyID, Detail: fmt.Sprintf("%s: format %d, algorithm %q: this build verifies format %d, ed25519", path, sig.Format, sig.Algorithm, SignatureFormat)}
	}
	pub, perr := ParsePublicKey(sig.PublicKey)
	raw, serr := base64.StdEncoding.DecodeString(sig.Signature)
	if perr != nil || serr != nil || !ed25519.Verify(pub, signedMessage(manifest), raw) {
		return SignatureCheck{Status: SignatureBad, KeyID: sig.KeyID, Detail: fmt.Sprintf("%s: the signature does not match %s: the manifest (or the signature) was changed after export", path, ManifestFile)}
	}
	id := KeyID(pub)
	for _, k := range trusted {
		if k.Equal(pub) {
			return SignatureCheck{Status: SignatureValid, KeyID: id}
		}
	}
	detail := fmt.Sprintf("%s: signed by key %s, which is not a trusted export key", path, id)
	if len(trusted) == 0 {
		detail += ": no keys are trusted; pass the exporter's public key with --verify-key or BREACHFLOW_EXPORT_VERIFY_KEYS"
	} else {
		detail += ": add its public key to --verify-key or BREACHFLOW_EXPORT_VERIFY_KEYS only if you trust whoever holds it"
	}
	return SignatureCheck{Status: SignatureUnknownSigner, KeyID: id, Detail: detail}
}

// checkSignature records a signature check on an incident: a problem that fails the audit, or a
// note when Options.AllowUnsigned lets it through.
func (a *auditor) checkSignature(ir *IncidentReport, sc SignatureCheck) {
	switch {
	case sc.Status == SignatureValid:
		ir.Notes = append(ir.Notes, fmt.Sprintf("the manifest is signed by trusted export key %s", sc.KeyID))
	case a.opts.AllowUnsigned:
		sc.Accepted = true
		ir.Notes = append(ir.Notes, fmt.Sprintf("%s, accepted by --allow-unsigned: %s", sc.Status, sc.Detail))
	default:
		ir.Problems = append(ir.Problems, fmt.Sprintf("%s: %s (to audit it anyway, pass --allow-unsigned; the verdict will say so)", sc.Status, sc.Detail))
	}
	ir.Signature = &sc
}

// noManifest is the check of a history file that no manifest lists.
func noManifest(path string) SignatureCheck {
	return SignatureCheck{Status: SignatureNoManifest, Detail: fmt.Sprintf("%s is not listed in a signed export manifest: nothing proves it is the history Temporal recorded; audit the export folder it came from (starter export writes one)", path)}
}

// Verdict is PASSED or FAILED; a pass that --allow-unsigned let through says so.
func (r *IncidentReport) Verdict() string {
	switch {
	case !r.OK():
		return "FAILED"
	case r.Signature != nil && r.Signature.Accepted:
		return "PASSED (" + acceptedWhat(r.Signature.Status) + " accepted by --allow-unsigned)"
	}
	return "PASSED"
}

// markdownVerdict is Verdict as the Markdown report writes it.
func markdownVerdict(r *IncidentReport) string {
	switch {
	case !r.OK():
		return "**FAILED**"
	case r.Signature != nil && r.Signature.Accepted:
		return "passed (" + acceptedWhat(r.Signature.Status) + " accepted by --allow-unsigned)"
	}
	return "passed"
}

func acceptedWhat(status string) string {
	switch status {
	case SignatureNoManifest:
		return "history without a signed manifest"
	case SignatureBad:
		return "export with a bad signature"
	case SignatureUnknownSigner:
		return "export by an unknown signer"
	}
	return "unsigned export"
}
