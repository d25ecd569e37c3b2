package observe

import (
	"fmt"
	"io"
	"log/slog"
	"strings"
)

// Log formats accepted by NewLogger.
const (
	LogText = "text"
	LogJSON = "json"
)

// NewLogger returns a slog logger writing to w in format (text or json) at level. Log lines carry
// IDs, never fact values, addresses or notice bodies: the engine logs nothing else.
func NewLogger(w io.Writer, format string, level slog.Level) (*slog.Logger, error) {
	opts := &slog.HandlerOptions{Level: level}
	switch strings.ToLower(format) {
	case "", LogText:
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case LogJSON:
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("log format %q: use %s or %s", format, LogText, LogJSON)
}
