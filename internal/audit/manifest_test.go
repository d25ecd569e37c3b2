package audit

import (
	"bytes"
	"encoding/json"
	"testing"
)

// FuzzParseManifest: ParseManifest never panics on any input, and a manifest it accepts encodes
// and reads back to the same manifest. Seeds are under testdata/fuzz/FuzzParseManifest; run
// longer with
//
//	go test ./internal/audit/ -run '^$' -fuzz FuzzParseManifest -fuzztime 1m
func FuzzParseManifest(f *testing.F) {
	f.Add([]byte(`{"format":1,"incident_id":"INC-1","runs":[{"file":"run-001.json","sha256":"` + sha256Hex(nil) + `"}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := ParseManifest(data, ManifestFile)
		if err != nil {
			return
		}
		out, err := json.MarshalIndent(m, "", "  ")
		if err != nil {
			t.Fatalf("an accepted manifest does not encode: %v", err)
		}
		back, err := ParseManifest(out, ManifestFile)
		if err != nil {
			t.Fatalf("an accepted manifest, encoded again, is refused: %v\n%s", err, out)
		}
		again, err := json.MarshalIndent(back, "", "  ")
		if err != nil || !bytes.Equal(out, again) {
			t.Fatalf("the manifest does not round-trip (%v):\n%s\n%s", err, out, again)
		}
	})
}
