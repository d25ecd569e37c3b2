package activities

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
)

// Outbox is the embedded default transport: each notice becomes an .eml file in a folder, named
// by its Message-ID, which any mail client opens. Writing the same Message-ID twice leaves one file.
type Outbox struct {
	Dir string
}

// Name implements Transport.
func (o *Outbox) Name() string { return "outbox" }

// Deliver implements Transport.
func (o *Outbox) Deliver(_ context.Context, messageID, _ string, _ []string, raw []byte) (string, error) {
	if err := os.MkdirAll(o.Dir, 0o700); err != nil {
		return "", fmt.Errorf("creating outbox: %w", err)
	}
	path := filepath.Join(o.Dir, fileName(messageID)+".eml")
	if _, err := os.Stat(path); err == nil {
		return path, nil
	}
	if err := writeAtomic(path, raw); err != nil {
		return "", fmt.Errorf("writing outbox file: %w", err)
	}
	return path, nil
}
