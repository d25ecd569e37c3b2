package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/client"
	"google.golang.org/protobuf/encoding/protojson"
)

func benchFile(b *testing.B) []byte {
	files, _ := filepath.Glob("/tmp/benchprof/export/*/run-*.json")
	if len(files) == 0 {
		b.Skip()
	}
	data, _ := os.ReadFile(files[0])
	return data
}

func BenchmarkParseTemporal(b *testing.B) {
	data := benchFile(b)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := client.HistoryFromJSON(bytes.NewReader(data), client.HistoryJSONOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseGoogle(b *testing.B) {
	data := benchFile(b)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		var h historypb.History
		if err := (protojson.UnmarshalOptions{DiscardUnknown: true}).Unmarshal(data, &h); err != nil {
			b.Fatal(err)
		}
	}
}
