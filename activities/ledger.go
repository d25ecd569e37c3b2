package activities

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Ledger records delivered Message-IDs in a folder, one small JSON file each, written atomically
// (temporary file, fsync, rename). Workers that share a ledger folder share its guarantee.
type Ledger struct {
	dir string
}

// OpenLedger opens (creating if needed) a ledger folder.
func OpenLedger(dir string) (*Ledger, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("opening send ledger: %w", err)
	}
	return &Ledger{dir: dir}, nil
}

// Lookup returns the receipt of a delivered Message-ID.
func (l *Ledger) Lookup(messageID string) (SendNoticeResult, bool, error) {
	var r SendNoticeResult
	data, err := os.ReadFile(l.path(messageID))
	if errors.Is(err, os.ErrNotExist) {
		return r, false, nil
	}
	if err != nil {
		return r, false, fmt.Errorf("reading send ledger: %w", err)
	}
	if err := json.Unmarshal(data, &r); err != nil {
		return r, false, fmt.Errorf("reading send ledger entry %s: %w", l.path(messageID), err)
	}
	return r, true, nil
}

// Record stores a delivery receipt.
func (l *Ledger) Record(r SendNoticeResult) error {
	data, err := json.Marshal(r)
	if err != nil {
		return err
	}
	return writeAtomic(l.path(r.MessageID), data)
}

func (l *Ledger) path(messageID string) string {
	return filepath.Join(l.dir, fileName(messageID)+".json")
}

// fileName turns a Message-ID into a safe file name.
func fileName(messageID string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '.', r == '-', r == '_', r == '@':
			return r
		}
		return '_'
	}, strings.Trim(messageID, "<>"))
}

// writeAtomic writes a file so that readers see either nothing or all of it, even after a crash.
func writeAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
