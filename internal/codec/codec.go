// Package codec encrypts Temporal payloads at rest with AES-256-GCM, so that incident data in
// workflow inputs, results, signals, activity arguments and so on never reaches Temporal's store
// in clear text, and serves the Temporal codec-server protocol so that the Temporal UI and CLI can
// still show decrypted payloads to authorised users.
//
// Each encrypted payload wraps the whole original payload (metadata and data, proto-marshalled):
//
//	metadata: encoding = "binary/encrypted", encryption-key-id = <key ID>
//	data:     nonce (12 random bytes) || AES-256-GCM ciphertext and tag, with the key ID as
//	          additional authenticated data
//
// Keys come from a Keyring (see ParseKeys, LoadKeyFile, and config.Keys for the environment). Payloads that are not encrypted
// decode unchanged, so histories written before encryption was turned on stay readable.
//
// Only payloads are encrypted. Failure messages and stack traces, and search attributes, are not
// payloads and stay in clear text unless the failure converter is configured to encode them.
//
// The package never logs, and its errors never contain key material or payload contents.
package codec

import (
	"errors"
	"fmt"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/converter"
	"google.golang.org/protobuf/proto"
)

// Payload metadata written by the codec.
const (
	// MetadataEncodingEncrypted is the value of the "encoding" metadata of encrypted payloads.
	MetadataEncodingEncrypted = "binary/encrypted"
	// MetadataEncryptionKeyID is the metadata key naming the key that encrypted a payload.
	MetadataEncryptionKeyID = "encryption-key-id"
)

// Codec implements converter.PayloadCodec with AES-256-GCM, using the keys of a Keyring.
type Codec struct {
	keys *Keyring
}

var _ converter.PayloadCodec = (*Codec)(nil)

// NewCodec returns a converter.PayloadCodec that encrypts with k's active key and decrypts with
// any key in k. It panics if k is nil: with encryption off, do not install a codec at all.
func NewCodec(k *Keyring) converter.PayloadCodec {
	if k == nil {
		panic("codec: NewCodec with a nil Keyring")
	}
	return &Codec{keys: k}
}

// DataConverter wraps the SDK default data converter with the codec. For convenience, with a nil
// keyring (config.Keys's "encryption off") it returns the SDK default data converter unchanged.
func DataConverter(k *Keyring) converter.DataConverter {
	if k == nil {
		return converter.GetDefaultDataConverter()
	}
	return converter.NewCodecDataConverter(converter.GetDefaultDataConverter(), NewCodec(k))
}

// Encode encrypts each payload with the active key.
func (c *Codec) Encode(payloads []*commonpb.Payload) ([]*commonpb.Payload, error) {
	id := c.keys.active
	aead := c.keys.aeads[id]
	out := make([]*commonpb.Payload, len(payloads))
	for i, p := range payloads {
		plain, err := proto.Marshal(p)
		if err != nil {
			return payloads, fmt.Errorf("codec: marshalling payload: %w", err)
		}
		out[i] = &commonpb.Payload{
			Metadata: map[string][]byte{
				converter.MetadataEncoding: []byte(MetadataEncodingEncrypted),
				MetadataEncryptionKeyID:    []byte(id),
			},
			Data: aead.Seal(nil, nil, plain, []byte(id)),
		}
	}
	return out, nil
}

// Decode decrypts each encrypted payload with the key named in its metadata. Payloads that are
// not encrypted are returned unchanged. It fails if the key is not in the keyring, or if a payload
// does not authenticate (it was tampered with, truncated or relabelled with another key ID).
func (c *Codec) Decode(payloads []*commonpb.Payload) ([]*commonpb.Payload, error) {
	out := make([]*commonpb.Payload, len(payloads))
	for i, p := range payloads {
		if string(p.GetMetadata()[converter.MetadataEncoding]) != MetadataEncodingEncrypted {
			out[i] = p
			continue
		}
		d, err := c.decrypt(p)
		if err != nil {
			return payloads, err
		}
		out[i] = d
	}
	return out, nil
}

func (c *Codec) decrypt(p *commonpb.Payload) (*commonpb.Payload, error) {
	rawID, ok := p.Metadata[MetadataEncryptionKeyID]
	if !ok {
		return nil, fmt.Errorf("codec: encrypted payload has no %q metadata", MetadataEncryptionKeyID)
	}
	id := string(rawID)
	aead, ok := c.keys.aeads[id]
	if !ok {
		return nil, &MissingKeyError{KeyID: id}
	}
	if len(p.Data) < aead.Overhead() {
		return nil, fmt.Errorf("codec: payload encrypted with key %q is truncated (%d bytes)", id, len(p.Data))
	}
	plain, err := aead.Open(nil, nil, p.Data, rawID)
	if err != nil {
		return nil, fmt.Errorf("codec: payload encrypted with key %q failed authentication (tampered with, corrupted or relabelled): %w", id, ErrAuthentication)
	}
	var orig commonpb.Payload
	if err := proto.Unmarshal(plain, &orig); err != nil {
		return nil, fmt.Errorf("codec: payload encrypted with key %q: decrypted data is not a payload: %w", id, err)
	}
	return &orig, nil
}

// ErrAuthentication is wrapped by the error Decode returns for a payload that fails AES-GCM
// authentication.
var ErrAuthentication = errors.New("message authentication failed")

// MissingKeyError is returned by Decode for a payload encrypted with a key that is not in the
// keyring.
type MissingKeyError struct {
	// KeyID is the ID of the missing key.
	KeyID string
}

// Error names the missing key and the environment variables that configure the keyring.
func (e *MissingKeyError) Error() string {
	return fmt.Sprintf("payload encrypted with key %q, which is not in the keyring: add it to %s or %s", e.KeyID, EnvKeys, EnvKeyFile)
}
