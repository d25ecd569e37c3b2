package audit

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"
	"google.golang.org/protobuf/proto"
)

// TestDecodeHistoryMatchesSDK: the parallel decoder reads every committed history exactly as the
// SDK's reader does, and falls back to it for what it does not split (short histories, other
// shapes), returning the SDK's error for what neither reads.
func TestDecodeHistoryMatchesSDK(t *testing.T) {
	files, err := filepath.Glob("../../workflows/testdata/*.json")
	require.NoError(t, err)
	require.NotEmpty(t, files)
	defer func(n int) { parallelDecodeEvents = n }(parallelDecodeEvents)
	parallelDecodeEvents = 10 // the committed histories are short: split them too
	long := false
	for _, f := range files {
		data, err := os.ReadFile(f)
		require.NoError(t, err)
		want, err := client.HistoryFromJSON(bytes.NewReader(data), client.HistoryJSONOptions{})
		require.NoError(t, err)
		got, err := decodeHistory(data)
		require.NoError(t, err)
		require.True(t, proto.Equal(want, got), "%s decodes differently", f)
		long = long || len(want.GetEvents()) >= parallelDecodeEvents
	}
	require.True(t, long, "at least one committed history is long enough to be decoded in parallel")

	_, err = decodeHistory([]byte(`{"events": [{"eventId": "x"}]}`))
	require.Error(t, err)
	_, err = decodeHistory([]byte(`not json`))
	require.Error(t, err)
}

// TestSplitEvents: the events' objects are cut out whole, strings with braces, brackets and
// escaped quotes included; other shapes are refused.
func TestSplitEvents(t *testing.T) {
	events, ok := splitEvents([]byte(` {"events": [ {"a": "}{][\"", "b": {"c": [1, {}]}} ,{"d":"\\\\"}]} `))
	require.True(t, ok)
	require.Equal(t, []string{`{"a": "}{][\"", "b": {"c": [1, {}]}}`, `{"d":"\\\\"}`}, toStrings(events))
	events, ok = splitEvents([]byte(`{"events":[]}`))
	require.True(t, ok)
	require.Empty(t, events)
	for _, bad := range []string{`{"events": [{"a": 1}`, `{"other": []}`, `{"events": [1]}`, `{"events": [{}], "more": 1}`, `{"events": [{}]} x`, `[]`} {
		_, ok := splitEvents([]byte(bad))
		require.False(t, ok, bad)
	}
}

func toStrings(bs [][]byte) []string {
	out := make([]string, len(bs))
	for i, b := range bs {
		out[i] = string(b)
	}
	return out
}
