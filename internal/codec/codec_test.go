package codec_test

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/breachflow/breachflow/internal/codec"
)

const canary = "CANARY-7f3a-jane.doe@example.org"

type incident struct {
	ID      string
	Subject string
	Count   int
}

func key(b byte) []byte { return bytes.Repeat([]byte{b}, codec.KeySize) }

func b64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

func keyring(t *testing.T, active string, keys map[string][]byte) *codec.Keyring {
	t.Helper()
	k, err := codec.NewKeyring(active, keys)
	require.NoError(t, err)
	return k
}

func metaEncoding(p *commonpb.Payload) string {
	return string(p.GetMetadata()[converter.MetadataEncoding])
}

func TestDataConverterRoundTrip(t *testing.T) {
	k := keyring(t, "k1", map[string][]byte{"k1": key(1)})
	dc := codec.DataConverter(k)
	in := incident{ID: "INC-1", Subject: canary, Count: 3}

	p, err := dc.ToPayload(in)
	require.NoError(t, err)
	require.NotContains(t, string(p.Data), canary)
	require.NotContains(t, string(p.Data), "INC-1")
	require.Equal(t, codec.MetadataEncodingEncrypted, metaEncoding(p))
	require.Equal(t, "k1", string(p.Metadata[codec.MetadataEncryptionKeyID]))
	for name, v := range p.Metadata {
		require.NotContains(t, string(v), canary, "metadata %s", name)
	}
	// nonce || ciphertext || tag: 12 + len(marshalled original) + 16.
	plain, err := converter.GetDefaultDataConverter().ToPayload(in)
	require.NoError(t, err)
	require.Len(t, p.Data, 12+proto.Size(plain)+16)

	var out incident
	require.NoError(t, dc.FromPayload(p, &out))
	require.Equal(t, in, out)

	// Many payloads at once, with distinct nonces.
	ps, err := dc.ToPayloads(in, in, "second")
	require.NoError(t, err)
	require.Len(t, ps.Payloads, 3)
	require.NotEqual(t, ps.Payloads[0].Data, ps.Payloads[1].Data, "same plaintext must not give the same ciphertext")
	require.NotEqual(t, ps.Payloads[0].Data[:12], ps.Payloads[1].Data[:12], "nonces must differ")
	var a, b incident
	var s string
	require.NoError(t, dc.FromPayloads(ps, &a, &b, &s))
	require.Equal(t, in, a)
	require.Equal(t, in, b)
	require.Equal(t, "second", s)
}

// TestWireFormat decrypts by hand, with plain AES-GCM, to pin the documented format: data is
// nonce(12) || ciphertext || tag, the key ID is the additional data and the plaintext is the
// marshalled original payload, metadata included.
func TestWireFormat(t *testing.T) {
	k := keyring(t, "k1", map[string][]byte{"k1": key(1)})
	orig := &commonpb.Payload{
		Metadata: map[string][]byte{converter.MetadataEncoding: []byte("json/plain"), "x-extra": []byte("kept")},
		Data:     []byte(`"` + canary + `"`),
	}
	enc, err := codec.NewCodec(k).Encode([]*commonpb.Payload{orig})
	require.NoError(t, err)
	require.Len(t, enc, 1)
	require.Len(t, enc[0].Metadata, 2)

	block, err := aes.NewCipher(key(1))
	require.NoError(t, err)
	gcm, err := cipher.NewGCM(block)
	require.NoError(t, err)
	data := enc[0].Data
	plain, err := gcm.Open(nil, data[:12], data[12:], []byte("k1"))
	require.NoError(t, err)
	_, err = gcm.Open(nil, data[:12], data[12:], nil)
	require.Error(t, err, "the key ID must be authenticated as additional data")
	var got commonpb.Payload
	require.NoError(t, proto.Unmarshal(plain, &got))
	require.True(t, proto.Equal(orig, &got))

	dec, err := codec.NewCodec(k).Decode(enc)
	require.NoError(t, err)
	require.True(t, proto.Equal(orig, dec[0]))
}

// TestGoldenPayload decodes a payload encrypted by the first version of this package: histories
// already in Temporal must stay readable, so the format may not change silently.
func TestGoldenPayload(t *testing.T) {
	raw := make([]byte, codec.KeySize)
	for i := range raw {
		raw[i] = byte(i)
	}
	k := keyring(t, "golden-1", map[string][]byte{"golden-1": raw})
	data, err := base64.StdEncoding.DecodeString("sEGEfQ/tIh4YMAJRMiu57csdVb+7rgpKbw3Qv7dAcDpIvruv264AFDX8XHwGI+kHyrrWb0Yojm8nsARFBg4VRoPpEteXgJ8GckEaVATJv0dr")
	require.NoError(t, err)
	p := &commonpb.Payload{
		Metadata: map[string][]byte{"encoding": []byte("binary/encrypted"), "encryption-key-id": []byte("golden-1")},
		Data:     data,
	}
	var s string
	require.NoError(t, codec.DataConverter(k).FromPayload(p, &s))
	require.Equal(t, "incident INC-0001: golden", s)
}

func TestRotation(t *testing.T) {
	old := keyring(t, "k1", map[string][]byte{"k1": key(1)})
	rotated := keyring(t, "k2", map[string][]byte{"k2": key(2), "k1": key(1)})
	require.Equal(t, "k2", rotated.ActiveID())
	require.Equal(t, []string{"k1", "k2"}, rotated.KeyIDs())

	p1, err := codec.DataConverter(old).ToPayload(canary)
	require.NoError(t, err)
	require.Equal(t, "k1", string(p1.Metadata[codec.MetadataEncryptionKeyID]))

	var s string
	require.NoError(t, codec.DataConverter(rotated).FromPayload(p1, &s))
	require.Equal(t, canary, s)

	p2, err := codec.DataConverter(rotated).ToPayload(canary)
	require.NoError(t, err)
	require.Equal(t, "k2", string(p2.Metadata[codec.MetadataEncryptionKeyID]))
	s = ""
	require.NoError(t, codec.DataConverter(rotated).FromPayload(p2, &s))
	require.Equal(t, canary, s)

	// The old keyring cannot read what the new one wrote.
	err = codec.DataConverter(old).FromPayload(p2, &s)
	require.ErrorContains(t, err, `"k2"`)
}

func TestMissingKey(t *testing.T) {
	k1 := keyring(t, "k1", map[string][]byte{"k1": key(1)})
	k2 := keyring(t, "k2", map[string][]byte{"k2": key(2)})
	enc, err := codec.NewCodec(k1).Encode([]*commonpb.Payload{{Data: []byte(canary)}})
	require.NoError(t, err)

	_, err = codec.NewCodec(k2).Decode(enc)
	require.Error(t, err)
	require.EqualError(t, err, `payload encrypted with key "k1", which is not in the keyring: add it to BREACHFLOW_CODEC_KEYS or BREACHFLOW_CODEC_KEY_FILE`)
	var mk *codec.MissingKeyError
	require.ErrorAs(t, err, &mk)
	require.Equal(t, "k1", mk.KeyID)

	// Through the data converter as well.
	p, err := codec.DataConverter(k1).ToPayload(canary)
	require.NoError(t, err)
	var s string
	err = codec.DataConverter(k2).FromPayload(p, &s)
	require.ErrorContains(t, err, `"k1"`)
	require.ErrorContains(t, err, codec.EnvKeys)
	require.Empty(t, s)
}

func TestSameIDWrongKey(t *testing.T) {
	right := keyring(t, "k1", map[string][]byte{"k1": key(1)})
	wrong := keyring(t, "k1", map[string][]byte{"k1": key(9)})
	enc, err := codec.NewCodec(right).Encode([]*commonpb.Payload{{Data: []byte(canary)}})
	require.NoError(t, err)
	_, err = codec.NewCodec(wrong).Decode(enc)
	require.ErrorIs(t, err, codec.ErrAuthentication)
	require.ErrorContains(t, err, `"k1"`)
}

func TestTamperedAndRelabelled(t *testing.T) {
	k := keyring(t, "k1", map[string][]byte{"k1": key(1), "k2": key(1)}) // same key material under two IDs
	c := codec.NewCodec(k)
	fresh := func() *commonpb.Payload {
		enc, err := c.Encode([]*commonpb.Payload{{Data: []byte(canary)}})
		require.NoError(t, err)
		return enc[0]
	}
	_, err := c.Decode([]*commonpb.Payload{fresh()})
	require.NoError(t, err, "control: an untouched payload decodes")

	for _, pos := range []int{0, 11, 12, 20, -1} { // nonce, ciphertext, tag
		p := fresh()
		i := pos
		if i < 0 {
			i = len(p.Data) - 1
		}
		p.Data[i] ^= 0x01
		_, err := c.Decode([]*commonpb.Payload{p})
		require.ErrorIs(t, err, codec.ErrAuthentication, "flipped byte %d", i)
		require.NotContains(t, err.Error(), canary)
	}

	// Relabelled: k2 holds the same key bytes, so only the additional data catches it.
	p := fresh()
	p.Metadata[codec.MetadataEncryptionKeyID] = []byte("k2")
	_, err = c.Decode([]*commonpb.Payload{p})
	require.ErrorIs(t, err, codec.ErrAuthentication)

	// Truncated, empty, and missing key ID: errors, not panics.
	p = fresh()
	p.Data = p.Data[:10]
	_, err = c.Decode([]*commonpb.Payload{p})
	require.ErrorContains(t, err, "truncated")
	p = fresh()
	p.Data = nil
	_, err = c.Decode([]*commonpb.Payload{p})
	require.Error(t, err)
	p = fresh()
	delete(p.Metadata, codec.MetadataEncryptionKeyID)
	_, err = c.Decode([]*commonpb.Payload{p})
	require.ErrorContains(t, err, codec.MetadataEncryptionKeyID)
}

func TestUnencryptedPassesThrough(t *testing.T) {
	k := keyring(t, "k1", map[string][]byte{"k1": key(1)})
	plain, err := converter.GetDefaultDataConverter().ToPayload(incident{ID: "INC-9", Subject: canary})
	require.NoError(t, err)
	bare := &commonpb.Payload{Data: []byte("no metadata at all")}

	out, err := codec.NewCodec(k).Decode([]*commonpb.Payload{plain, bare})
	require.NoError(t, err)
	require.Len(t, out, 2)
	require.True(t, proto.Equal(plain, out[0]))
	require.True(t, proto.Equal(bare, out[1]))

	// A history written before encryption was turned on still reads.
	var got incident
	require.NoError(t, codec.DataConverter(k).FromPayload(plain, &got))
	require.Equal(t, incident{ID: "INC-9", Subject: canary}, got)

	// Mixed: one encrypted, one not.
	enc, err := codec.NewCodec(k).Encode([]*commonpb.Payload{bare})
	require.NoError(t, err)
	out, err = codec.NewCodec(k).Decode([]*commonpb.Payload{plain, enc[0]})
	require.NoError(t, err)
	require.True(t, proto.Equal(plain, out[0]))
	require.True(t, proto.Equal(bare, out[1]))
}

func TestDataConverterNilKeyring(t *testing.T) {
	require.Equal(t, converter.GetDefaultDataConverter(), codec.DataConverter(nil))
	require.Panics(t, func() { codec.NewCodec(nil) })
}

func TestNewKeyring(t *testing.T) {
	_, err := codec.NewKeyring("k1", map[string][]byte{"k1": key(1)})
	require.NoError(t, err)

	_, err = codec.NewKeyring("k1", map[string][]byte{"k1": make([]byte, 16)})
	require.ErrorContains(t, err, `"k1"`)
	require.ErrorContains(t, err, "32 bytes")

	_, err = codec.NewKeyring("k3", map[string][]byte{"k1": key(1)})
	require.ErrorContains(t, err, `active key "k3"`)

	for _, id := range []string{"", "k 1", "k\t1", "k\n1"} {
		_, err = codec.NewKeyring(id, map[string][]byte{id: key(1)})
		require.Error(t, err, "id %q", id)
	}
	_, err = codec.NewKeyring("k1", nil)
	require.Error(t, err)
}

func TestKeyringDoesNotPrintKeys(t *testing.T) {
	raw := key(0xAB)
	k := keyring(t, "k1", map[string][]byte{"k1": raw})
	for _, verb := range []string{"%v", "%+v", "%#v", "%s"} {
		s := fmt.Sprintf(verb, k)
		require.Equal(t, `codec.Keyring{active: "k1", keys: ["k1"]}`, s, verb)
		require.NotContains(t, s, b64(raw), verb)
		require.NotContains(t, s, "171", verb) // 0xAB as a decimal byte
		require.NotContains(t, strings.ToLower(s), "abab", verb)
	}
}

func TestParseKeys(t *testing.T) {
	k, err := codec.ParseKeys("k2:" + b64(key(2)) + ", k1:" + b64(key(1)) + ",")
	require.NoError(t, err)
	require.Equal(t, "k2", k.ActiveID())
	require.Equal(t, []string{"k1", "k2"}, k.KeyIDs())

	// The parsed keys are the ones given: k1 from the spec decrypts what a k1 keyring wrote.
	p, err := codec.DataConverter(keyring(t, "k1", map[string][]byte{"k1": key(1)})).ToPayload(canary)
	require.NoError(t, err)
	var s string
	require.NoError(t, codec.DataConverter(k).FromPayload(p, &s))
	require.Equal(t, canary, s)

	// Unpadded and URL-safe base64 are accepted.
	_, err = codec.ParseKeys("k1:" + base64.RawURLEncoding.EncodeToString(key(0xFB)))
	require.NoError(t, err)

	bad := []struct{ spec, want string }{
		{"", "no keys"},
		{" , ", "no keys"},
		{"k1:!!!notbase64!!!", `key "k1" is not valid base64`},
		{"k1:" + b64(make([]byte, 16)), `key "k1" is 16 bytes; AES-256 keys must be exactly 32 bytes`},
		{"k1:" + b64(key(1)) + ",k1:" + b64(key(2)), `duplicate key ID "k1"`},
		{"k1" + b64(key(1)), "entry 1 is not of the form id:BASE64"},
		{":" + b64(key(1)), "empty key ID"},
	}
	for _, tc := range bad {
		_, err := codec.ParseKeys(tc.spec)
		require.ErrorContains(t, err, tc.want, "spec %q", tc.spec)
		require.NotContains(t, err.Error(), b64(key(1)), "errors must not echo key material")
	}
}

func writeFile(t *testing.T, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "keys")
	require.NoError(t, os.WriteFile(path, []byte(content), 0o600))
	return path
}

func TestLoadKeyFile(t *testing.T) {
	path := writeFile(t, "# breachflow codec keys, newest first\n\n  k2  "+b64(key(2))+"\n# retired\nk1 "+b64(key(1))+"\n")
	k, err := codec.LoadKeyFile(path)
	require.NoError(t, err)
	require.Equal(t, "k2", k.ActiveID())
	require.Equal(t, []string{"k1", "k2"}, k.KeyIDs())

	bad := []struct{ content, want string }{
		{"", "no keys"},
		{"# only a comment\n\n", "no keys"},
		{"k1 %%%%\n", `key "k1" is not valid base64`},
		{"k1 " + b64(key(1)[:31]) + "\n", `key "k1" is 31 bytes; AES-256 keys must be exactly 32 bytes`},
		{"k1 " + b64(key(1)) + "\nk1 " + b64(key(2)) + "\n", `:2: codec: duplicate key ID "k1"`},
		{"k1:" + b64(key(1)) + "\n", `:1: want "id BASE64"`},
		{"k1 " + b64(key(1)) + " extra\n", `:1: want "id BASE64"`},
	}
	for _, tc := range bad {
		_, err := codec.LoadKeyFile(writeFile(t, tc.content))
		require.ErrorContains(t, err, tc.want, "content %q", tc.content)
		require.NotContains(t, err.Error(), b64(key(1)))
	}

	_, err = codec.LoadKeyFile(filepath.Join(t.TempDir(), "absent"))
	require.ErrorIs(t, err, os.ErrNotExist)
}

func TestGenerateKey(t *testing.T) {
	id1, k1, err := codec.GenerateKey()
	require.NoError(t, err)
	id2, k2, err := codec.GenerateKey()
	require.NoError(t, err)
	require.Regexp(t, regexp.MustCompile(`^k-\d{8}-[0-9a-f]{6}$`), id1)
	require.Contains(t, id1, time.Now().UTC().Format("20060102")[:6]) // year and month; the day may roll over
	require.NotEqual(t, id1, id2)
	require.NotEqual(t, k1, k2)
	raw, err := base64.StdEncoding.DecodeString(k1)
	require.NoError(t, err)
	require.Len(t, raw, codec.KeySize)

	// The output is usable as is, in both configuration formats.
	k, err := codec.ParseKeys(id1 + ":" + k1 + "," + id2 + ":" + k2)
	require.NoError(t, err)
	require.Equal(t, id1, k.ActiveID())
	_, err = codec.LoadKeyFile(writeFile(t, id1+" "+k1+"\n"))
	require.NoError(t, err)
}

func newCodecServer(t *testing.T, k *codec.Keyring, token, origin string) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(codec.Handler(k, token, origin))
	t.Cleanup(srv.Close)
	return srv
}

func post(t *testing.T, url, auth, body string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	var buf bytes.Buffer
	_, err = buf.ReadFrom(resp.Body)
	require.NoError(t, err)
	return resp, buf.String()
}

func TestHandlerAuth(t *testing.T) {
	k := keyring(t, "k1", map[string][]byte{"k1": key(1)})
	srv := newCodecServer(t, k, "s3cret", "")
	p, err := codec.DataConverter(k).ToPayload(canary)
	require.NoError(t, err)
	body, err := protojsonPayloads(p)
	require.NoError(t, err)

	for _, auth := range []string{"", "Bearer wrong", "Bearer s3cre", "Bearer s3cret-", "Basic s3cret", "s3cret", "Bearer"} {
		resp, respBody := post(t, srv.URL+"/decode", auth, body)
		require.Equal(t, http.StatusUnauthorized, resp.StatusCode, "auth %q", auth)
		require.NotContains(t, respBody, canary)
		require.Equal(t, `Bearer realm="breachflow-codec"`, resp.Header.Get("WWW-Authenticate"))
	}
	resp, _ := post(t, srv.URL+"/encode", "", body)
	require.Equal(t, http.StatusUnauthorized, resp.StatusCode)

	for _, auth := range []string{"Bearer s3cret", "bearer s3cret"} {
		resp, respBody := post(t, srv.URL+"/decode", auth, body)
		require.Equal(t, http.StatusOK, resp.StatusCode, "auth %q: %s", auth, respBody)
		require.Contains(t, respBody, base64.StdEncoding.EncodeToString([]byte(`"`+canary+`"`)))
	}

	resp, _ = post(t, srv.URL+"/decode", "Bearer s3cret", "not json")
	require.Equal(t, http.StatusBadRequest, resp.StatusCode)
	resp, _ = post(t, srv.URL+"/other", "Bearer s3cret", body)
	require.Equal(t, http.StatusNotFound, resp.StatusCode)
}

// protojsonPayloads builds a codec-server request body, {"payloads":[...]} in protojson.
func protojsonPayloads(ps ...*commonpb.Payload) (string, error) {
	b, err := protojson.Marshal(&commonpb.Payloads{Payloads: ps})
	return string(b), err
}

func TestHandlerRemoteDataConverter(t *testing.T) {
	k := keyring(t, "k1", map[string][]byte{"k1": key(1)})
	srv := newCodecServer(t, k, "s3cret", "http://localhost:8080")
	local := codec.DataConverter(k)
	in := incident{ID: "INC-42", Subject: canary, Count: 7}

	remote := converter.NewRemoteDataConverter(converter.GetDefaultDataConverter(), converter.RemoteDataConverterOptions{
		Endpoint: srv.URL + "/",
		ModifyRequest: func(r *http.Request) error {
			r.Header.Set("Authorization", "Bearer s3cret")
			r.Header.Set("X-Namespace", "default")
			return nil
		},
	})

	// Decode on the server what the worker's codec encrypted.
	p, err := local.ToPayload(in)
	require.NoError(t, err)
	var out incident
	require.NoError(t, remote.FromPayload(p, &out))
	require.Equal(t, in, out)

	// Encode on the server (as the CLI does for workflow input); the worker reads it.
	p, err = remote.ToPayload(in)
	require.NoError(t, err)
	require.Equal(t, codec.MetadataEncodingEncrypted, metaEncoding(p))
	require.NotContains(t, string(p.Data), canary)
	out = incident{}
	require.NoError(t, local.FromPayload(p, &out))
	require.Equal(t, in, out)

	// Bare PayloadCodec client, several payloads, one of them unencrypted.
	remoteCodec := converter.NewRemotePayloadCodec(converter.RemotePayloadCodecOptions{
		Endpoint:      srv.URL,
		ModifyRequest: func(r *http.Request) error { r.Header.Set("Authorization", "Bearer s3cret"); return nil },
	})
	plain, err := converter.GetDefaultDataConverter().ToPayload("clear")
	require.NoError(t, err)
	enc, err := codec.NewCodec(k).Encode([]*commonpb.Payload{plain})
	require.NoError(t, err)
	dec, err := remoteCodec.Decode([]*commonpb.Payload{enc[0], plain})
	require.NoError(t, err)
	require.Len(t, dec, 2)
	require.True(t, proto.Equal(plain, dec[0]))
	require.True(t, proto.Equal(plain, dec[1]))

	// Without the token the client gets the 401.
	anon := converter.NewRemoteDataConverter(converter.GetDefaultDataConverter(), converter.RemoteDataConverterOptions{Endpoint: srv.URL})
	err = anon.FromPayload(p, &out)
	require.ErrorContains(t, err, "Unauthorized")

	// A key the server lacks: the error reaches the client, naming the key.
	other := keyring(t, "k9", map[string][]byte{"k9": key(9)})
	p, err = codec.DataConverter(other).ToPayload(in)
	require.NoError(t, err)
	err = remote.FromPayload(p, &out)
	require.ErrorContains(t, err, `payload encrypted with key "k9", which is not in the keyring`)
}

func TestHandlerCORS(t *testing.T) {
	k := keyring(t, "k1", map[string][]byte{"k1": key(1)})
	srv := newCodecServer(t, k, "s3cret", "http://localhost:8080/")

	preflight := func(origin string) *http.Response {
		req, err := http.NewRequest(http.MethodOptions, srv.URL+"/decode", nil)
		require.NoError(t, err)
		req.Header.Set("Origin", origin)
		req.Header.Set("Access-Control-Request-Method", "POST")
		req.Header.Set("Access-Control-Request-Headers", "authorization,content-type,x-namespace")
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		return resp
	}

	resp := preflight("http://localhost:8080")
	require.Equal(t, http.StatusNoContent, resp.StatusCode, "preflight needs no token")
	require.Equal(t, "http://localhost:8080", resp.Header.Get("Access-Control-Allow-Origin"))
	require.Equal(t, "true", resp.Header.Get("Access-Control-Allow-Credentials"))
	require.Contains(t, resp.Header.Get("Access-Control-Allow-Methods"), "POST")
	allowHeaders := strings.ToLower(resp.Header.Get("Access-Control-Allow-Headers"))
	for _, h := range []string{"authorization", "content-type", "x-namespace"} {
		require.Contains(t, allowHeaders, h)
	}

	for _, origin := range []string{"http://evil.example", "http://localhost:8081", "http://localhost:8080.evil.example", ""} {
		resp := preflight(origin)
		require.Equal(t, http.StatusForbidden, resp.StatusCode, "origin %q", origin)
		require.Empty(t, resp.Header.Get("Access-Control-Allow-Origin"), "origin %q", origin)
		require.Empty(t, resp.Header.Get("Access-Control-Allow-Credentials"), "origin %q", origin)
	}

	// The actual request carries CORS headers too, including on a 401 (so the UI can show it).
	req, err := http.NewRequest(http.MethodPost, srv.URL+"/decode", strings.NewReader(`{"payloads":[]}`))
	require.NoError(t, err)
	req.Header.Set("Origin", "http://localhost:8080")
	resp, err = http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	require.Equal(t, "http://localhost:8080", resp.Header.Get("Access-Control-Allow-Origin"))

	req, err = http.NewRequest(http.MethodPost, srv.URL+"/decode", strings.NewReader(`{"payloads":[]}`))
	require.NoError(t, err)
	req.Header.Set("Origin", "http://evil.example")
	req.Header.Set("Authorization", "Bearer s3cret")
	resp, err = http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Empty(t, resp.Header.Get("Access-Control-Allow-Origin"))

	// No allowed origin configured: no CORS at all.
	none := newCodecServer(t, k, "", "")
	req, err = http.NewRequest(http.MethodOptions, none.URL+"/decode", nil)
	require.NoError(t, err)
	req.Header.Set("Origin", "http://localhost:8080")
	resp, err = http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	require.Empty(t, resp.Header.Get("Access-Control-Allow-Origin"))
}

// spyCodec records the payloads that cross it. Installed outside the encryption codec, it sees
// exactly what would be sent to (and read back from) the Temporal server.
type spyCodec struct {
	mu   sync.Mutex
	seen []*commonpb.Payload
}

func (s *spyCodec) Encode(ps []*commonpb.Payload) ([]*commonpb.Payload, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, p := range ps {
		s.seen = append(s.seen, proto.Clone(p).(*commonpb.Payload))
	}
	return ps, nil
}

func (s *spyCodec) Decode(ps []*commonpb.Payload) ([]*commonpb.Payload, error) { return s.Encode(ps) }

func enrichActivity(in incident) (incident, error) {
	in.Count++
	in.Subject += " (enriched)"
	return in, nil
}

func enrichWorkflow(ctx workflow.Context, in incident) (incident, error) {
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{StartToCloseTimeout: time.Minute})
	var out incident
	err := workflow.ExecuteActivity(ctx, enrichActivity, in).Get(ctx, &out)
	return out, err
}

func TestWorkflowEnvironment(t *testing.T) {
	k := keyring(t, "k1", map[string][]byte{"k1": key(1)})
	spy := &spyCodec{}
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	// Parent DataConverter(k) encrypts first; the spy then sees the encrypted payloads.
	env.SetDataConverter(converter.NewCodecDataConverter(codec.DataConverter(k), spy))
	env.RegisterWorkflow(enrichWorkflow)
	env.RegisterActivityWithOptions(enrichActivity, activity.RegisterOptions{Name: "enrichActivity"})

	in := incident{ID: "INC-7", Subject: canary, Count: 1}
	env.ExecuteWorkflow(enrichWorkflow, in)
	require.True(t, env.IsWorkflowCompleted())
	require.NoError(t, env.GetWorkflowError())
	var out incident
	require.NoError(t, env.GetWorkflowResult(&out))
	require.Equal(t, incident{ID: "INC-7", Subject: canary + " (enriched)", Count: 2}, out)

	spy.mu.Lock()
	defer spy.mu.Unlock()
	require.NotEmpty(t, spy.seen)
	for i, p := range spy.seen {
		require.Equal(t, codec.MetadataEncodingEncrypted, metaEncoding(p), "payload %d", i)
		require.Equal(t, "k1", string(p.Metadata[codec.MetadataEncryptionKeyID]), "payload %d", i)
		require.NotContains(t, string(p.Data), canary, "payload %d", i)
		require.NotContains(t, string(p.Data), "INC-7", "payload %d", i)
	}
}
