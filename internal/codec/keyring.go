package codec

import (
	"bufio"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"
	"time"
	"unicode"
)

// Environment variables that configure the keyring; internal/config reads them (config.Keys),
// this package only names them in its messages.
const (
	// EnvKeys holds the keyring inline: "id1:BASE64,id2:BASE64". The first key is the active one.
	EnvKeys = "BREACHFLOW_CODEC_KEYS"
	// EnvKeyFile names a file with one "id BASE64" pair a line (blank lines and # comments
	// ignored). The first key is the active one.
	EnvKeyFile = "BREACHFLOW_CODEC_KEY_FILE"
)

// KeySize is the length in bytes of every key: the codec uses AES-256.
const KeySize = 32

// Keyring holds AES-256 keys by ID; new payloads are encrypted with the active key, any known
// key decrypts. To rotate, generate a new key, put it first (active) and keep the old keys for as
// long as histories encrypted with them must stay readable.
//
// A Keyring is immutable and safe for concurrent use. It never prints its key material: String
// and GoString show only key IDs.
type Keyring struct {
	active string
	aeads  map[string]cipher.AEAD
}

// NewKeyring builds a keyring from raw keys. Each key must be exactly 32 bytes, each ID non-empty
// without whitespace or control characters, and active must be one of the IDs. The key bytes are
// not retained beyond the derived AES-GCM ciphers.
func NewKeyring(active string, keys map[string][]byte) (*Keyring, error) {
	if len(keys) == 0 {
		return nil, errors.New("codec: keyring has no keys")
	}
	k := &Keyring{active: active, aeads: make(map[string]cipher.AEAD, len(keys))}
	for id, key := range keys {
		if err := validateID(id); err != nil {
			return nil, err
		}
		if len(key) != KeySize {
			return nil, fmt.Errorf("codec: key %q is %d bytes; AES-256 keys must be exactly %d bytes", id, len(key), KeySize)
		}
		block, err := aes.NewCipher(key)
		if err != nil {
			return nil, fmt.Errorf("codec: key %q: %w", id, err)
		}
		// Seal prepends a random 12-byte nonce to the ciphertext, Open expects it there: the
		// payload format is nonce || ciphertext || tag.
		aead, err := cipher.NewGCMWithRandomNonce(block)
		if err != nil {
			return nil, fmt.Errorf("codec: key %q: %w", id, err)
		}
		k.aeads[id] = aead
	}
	if _, ok := k.aeads[active]; !ok {
		return nil, fmt.Errorf("codec: active key %q is not in the keyring", active)
	}
	return k, nil
}

// ActiveID returns the ID of the key that encrypts new payloads.
func (k *Keyring) ActiveID() string { return k.active }

// KeyIDs returns the IDs of all keys in the keyring, sorted.
func (k *Keyring) KeyIDs() []string {
	ids := make([]string, 0, len(k.aeads))
	for id := range k.aeads {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

// String describes the keyring by key IDs only, never key material.
func (k *Keyring) String() string {
	if k == nil {
		return "codec.Keyring(nil)"
	}
	return fmt.Sprintf("codec.Keyring{active: %q, keys: %q}", k.active, k.KeyIDs())
}

// GoString is String, so that %#v does not print key material either.
func (k *Keyring) GoString() string { return k.String() }

func validateID(id string) error {
	if id == "" {
		return errors.New("codec: empty key ID")
	}
	for _, r := range id {
		if unicode.IsSpace(r) || unicode.IsControl(r) {
			return fmt.Errorf("codec: key ID %q contains whitespace or control characters", id)
		}
	}
	return nil
}

// decodeKey decodes base64 key material. Standard and URL alphabets are accepted, padded or not.
// Errors never include the input.
func decodeKey(id, s string) ([]byte, error) {
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil {
			return b, nil
		}
	}
	return nil, fmt.Errorf("codec: key %q is not valid base64", id)
}

// builder accumulates keys in order, rejecting duplicates; the first key is the active one.
type builder struct {
	active string
	keys   map[string][]byte
}

func (b *builder) add(id, b64 string) error {
	if err := validateID(id); err != nil {
		return err
	}
	if _, dup := b.keys[id]; dup {
		return fmt.Errorf("codec: duplicate key ID %q", id)
	}
	key, err := decodeKey(id, b64)
	if err != nil {
		return err
	}
	if len(key) != KeySize {
		return fmt.Errorf("codec: key %q is %d bytes; AES-256 keys must be exactly %d bytes", id, len(key), KeySize)
	}
	if b.keys == nil {
		b.keys = map[string][]byte{}
		b.active = id
	}
	b.keys[id] = key
	return nil
}

func (b *builder) keyring() (*Keyring, error) {
	if len(b.keys) == 0 {
		return nil, errors.New("codec: no keys")
	}
	return NewKeyring(b.active, b.keys)
}

// ParseKeys reads "id1:BASE64,id2:BASE64" (first = active), as in BREACHFLOW_CODEC_KEYS.
// Whitespace around entries and empty entries (a trailing comma) are ignored; an empty spec is an
// error. Error messages name key IDs and entry positions but never echo key material.
func ParseKeys(spec string) (*Keyring, error) {
	var b builder
	for i, entry := range strings.Split(spec, ",") {
		entry = strings.TrimSpace(entry)
		if entry == "" {
			continue
		}
		id, b64, ok := strings.Cut(entry, ":")
		if !ok {
			return nil, fmt.Errorf("codec: key entry %d is not of the form id:BASE64", i+1)
		}
		if err := b.add(strings.TrimSpace(id), strings.TrimSpace(b64)); err != nil {
			return nil, err
		}
	}
	k, err := b.keyring()
	if err != nil {
		return nil, fmt.Errorf("%w: want \"id1:BASE64,id2:BASE64\"", err)
	}
	return k, nil
}

// LoadKeyFile reads a file of lines "id BASE64" (blank lines and # comments ignored; first key =
// active), as in BREACHFLOW_CODEC_KEY_FILE. Error messages name the file, line and key ID but
// never echo key material.
func LoadKeyFile(path string) (*Keyring, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("codec: %w", err)
	}
	defer f.Close()
	var b builder
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		fields := strings.Fields(line)
		if len(fields) != 2 {
			return nil, fmt.Errorf("codec: %s:%d: want \"id BASE64\"", path, n)
		}
		if err := b.add(fields[0], fields[1]); err != nil {
			return nil, fmt.Errorf("%s:%d: %w", path, n, err)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("codec: reading %s: %w", path, err)
	}
	k, err := b.keyring()
	if err != nil {
		return nil, fmt.Errorf("%w in %s: want lines \"id BASE64\"", err, path)
	}
	return k, nil
}

// GenerateKey returns a new random 32-byte key, standard base64-encoded, and an ID for it of the
// form "k-YYYYMMDD-xxxxxx" (UTC date plus a random hex suffix), for a keygen command. Print the
// result once, for the operator; never log it.
func GenerateKey() (id string, b64 string, err error) {
	key := make([]byte, KeySize)
	if _, err := rand.Read(key); err != nil {
		return "", "", fmt.Errorf("codec: generating key: %w", err)
	}
	suffix := make([]byte, 3)
	if _, err := rand.Read(suffix); err != nil {
		return "", "", fmt.Errorf("codec: generating key ID: %w", err)
	}
	id = "k-" + time.Now().UTC().Format("20060102") + "-" + hex.EncodeToString(suffix)
	return id, base64.StdEncoding.EncodeToString(key), nil
}
