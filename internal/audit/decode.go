package audit

import (
	"bytes"
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
// events of one history decode independently. The events are first cut apart by splitEvents
// (a scan for the array's top-level objects: encoding/json took half as long again as the
// decoding itself); anything unexpected — another top-level shape, an event that does not
// decode — falls back to the SDK's reader, so the two always agree.
func decodeHistory(data []byte) (*historypb.History, error) {
	workers := runtime.GOMAXPROCS(0)
	raw, ok := splitEvents(data)
	if workers < 2 || !ok || len(raw) < parallelDecodeEvents {
		return client.HistoryFromJSON(bytes.NewReader(data), client.HistoryJSONOptions{})
	}
	events := make([]*historypb.HistoryEvent, len(raw))
	opts := temporalproto.CustomJSONUnmarshalOptions{DiscardUnknown: true}
	var failed sync.Once
	ok = true
	var wg sync.WaitGroup
	chunk := (len(events) + workers - 1) / workers
	for lo := 0; lo < len(events); lo += chunk {
		hi := min(lo+chunk, len(events))
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := lo; i < hi; i++ {
				e := &historypb.HistoryEvent{}
				if err := opts.Unmarshal(raw[i], e); err != nil {
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

// splitEvents cuts `{"events": [ {...}, {...} ]}` into the events' JSON objects, without
// decoding them. It reports false for any other shape.
func splitEvents(data []byte) ([][]byte, bool) {
	i := 0
	ws := func() {
		for i < len(data) && (data[i] == ' ' || data[i] == '\n' || data[i] == '\r' || data[i] == '\t') {
			i++
		}
	}
	expect := func(lit string) bool {
		ws()
		if !bytes.HasPrefix(data[i:], []byte(lit)) {
			return false
		}
		i += len(lit)
		return true
	}
	if !expect("{") || !expect(`"events"`) || !expect(":") || !expect("[") {
		return nil, false
	}
	var events [][]byte
	ws()
	if i < len(data) && data[i] == ']' {
		i++
	} else {
		for {
			ws()
			if i >= len(data) || data[i] != '{' {
				return nil, false
			}
			start, depth, inString := i, 0, false
			for ; i < len(data); i++ {
				c := data[i]
				if inString {
					switch c {
					case '\\':
						i++
					case '"':
						inString = false
					}
					continue
				}
				switch c {
				case '"':
					inString = true
				case '{', '[':
					depth++
				case '}', ']':
					depth--
				}
				if depth == 0 {
					break
				}
			}
			if i >= len(data) {
				return nil, false
			}
			i++
			events = append(events, data[start:i])
			ws()
			if i < len(data) && data[i] == ',' {
				i++
				continue
			}
			if i < len(data) && data[i] == ']' {
				i++
				break
			}
			return nil, false
		}
	}
	if !expect("}") {
		return nil, false
	}
	ws()
	return events, i == len(data)
}
