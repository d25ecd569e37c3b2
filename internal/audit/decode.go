package audit

import (
	"bytes"
	"encoding/json"
	"runtime"
	"sync"

	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/api/temporalproto"
	"go.temporal.io/sdk/client"
)

// parallelDecodeEvents is the history length from which decodeHistory splits the work (a
// variable for the tests).
var parallelDecodeEvents = 256

// decodeHistory reads a history in the JSON of `temporal workflow show --output json` (what
// Export writes), as client.HistoryFromJSON does, but decodes the events on every core: decoding
// JSON is most of an audit's time (pprof: about 60%, replay and timeline the rest), and the
// events of one history decode independently. The events are first cut apart with
// encoding/json (cheap next to the protobuf JSON decoder); anything unexpected — another
// top-level shape, an event that does not decode — falls back to the SDK's reader, so the two
// always agree.
func decodeHistory(data []byte) (*historypb.History, error) {
	var raw struct {
		Events []json.RawMessage `json:"events"`
	}
	workers := runtime.GOMAXPROCS(0)
	if workers < 2 || json.Unmarshal(data, &raw) != nil || len(raw.Events) < parallelDecodeEvents {
		return client.HistoryFromJSON(bytes.NewReader(data), client.HistoryJSONOptions{})
	}
	events := make([]*historypb.HistoryEvent, len(raw.Events))
	opts := temporalproto.CustomJSONUnmarshalOptions{DiscardUnknown: true}
	var failed sync.Once
	ok := true
	var wg sync.WaitGroup
	chunk := (len(events) + workers - 1) / workers
	for lo := 0; lo < len(events); lo += chunk {
		hi := min(lo+chunk, len(events))
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := lo; i < hi; i++ {
				e := &historypb.HistoryEvent{}
				if err := opts.Unmarshal(raw.Events[i], e); err != nil {
					failed.Do(func() { ok = false })
					return
				}
				events[i] = e
			}
		}()
	}
	wg.Wait()
	if !ok {
		return client.HistoryFromJSON(bytes.NewReader(data), client.HistoryJSONOptions{})
	}
	return &historypb.History{Events: events}, nil
}
