package activities

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// FileLedger is the embedded default's send ledger: a folder with one small JSON file per
// delivered Message-ID (written atomically: temporary file, fsync, rename) and one per live claim.
// Every operation holds a lock on the folder (flock on Unix, so worker processes on one machine
// sharing the folder agree); workers on different machines need the PostgreSQL ledger.
type FileLedger struct {
	dir string
	mu  sync.Mutex
	now func() time.Time
}

// OpenLedger opens (creating if needed) a ledger folder.
func OpenLedger(dir string) (*FileLedger, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("opening send ledger: %w", err)
	}
	return &FileLedger{dir: dir, now: time.Now}, nil
}

// fileEntry is a delivered Message-ID's file: the receipt, and how many deliveries are known
// (0 in files written before the count existed, meaning 1).
type fileEntry struct {
	SendNoticeResult
	Deliveries int `json:"deliveries,omitempty"`
}

// fileClaim is a live claim's file.
type fileClaim struct {
	Holder        string    `json:"holder"`
	Until         time.Time `json:"until"`
	RecoveredFrom string    `json:"recovered_from,omitempty"`
}

// Lookup returns the receipt of a delivered Message-ID.
func (l *FileLedger) Lookup(messageID string) (SendNoticeResult, bool, error) {
	e, ok, err := l.entry(messageID)
	return e.SendNoticeResult, ok, err
}

// Claim implements Ledger.
func (l *FileLedger) Claim(_ context.Context, messageID, holder string, lease time.Duration) (Claim, error) {
	unlock, err := l.lock()
	if err != nil {
		return Claim{}, err
	}
	defer unlock()
	if e, ok, err := l.entry(messageID); err != nil {
		return Claim{}, err
	} else if ok {
		return Claim{State: ClaimDelivered, Receipt: e.SendNoticeResult}, nil
	}
	now := l.now()
	c, ok, err := l.claim(messageID)
	if err != nil {
		return Claim{}, err
	}
	next := fileClaim{Holder: holder, Until: now.Add(lease)}
	if ok && c.Holder != holder {
		if now.Before(c.Until) {
			return Claim{State: ClaimBusy, Holder: c.Holder, Until: c.Until}, nil
		}
		next.RecoveredFrom = c.Holder
	}
	if err := l.writeJSON(l.claimPath(messageID), next); err != nil {
		return Claim{}, fmt.Errorf("writing send ledger claim: %w", err)
	}
	return Claim{State: ClaimGranted, RecoveredFrom: next.RecoveredFrom}, nil
}

// Renew implements Ledger.
func (l *FileLedger) Renew(_ context.Context, messageID, holder string, lease time.Duration) error {
	unlock, err := l.lock()
	if err != nil {
		return err
	}
	defer unlock()
	c, ok, err := l.claim(messageID)
	if err != nil {
		return err
	}
	if !ok || c.Holder != holder {
		return ErrClaimLost
	}
	c.Until = l.now().Add(lease)
	return l.writeJSON(l.claimPath(messageID), c)
}

// Release implements Ledger.
func (l *FileLedger) Release(_ context.Context, messageID, holder string) error {
	unlock, err := l.lock()
	if err != nil {
		return err
	}
	defer unlock()
	c, ok, err := l.claim(messageID)
	if err != nil || !ok || c.Holder != holder {
		return err
	}
	return removeIfExists(l.claimPath(messageID))
}

// Delivered implements Ledger.
func (l *FileLedger) Delivered(_ context.Context, _ string, r SendNoticeResult) (int, error) {
	unlock, err := l.lock()
	if err != nil {
		return 0, err
	}
	defer unlock()
	e, ok, err := l.entry(r.MessageID)
	if err != nil {
		return 0, err
	}
	if ok {
		// Another attempt delivered it too: keep the first receipt, count the second.
		e.Deliveries = max(e.Deliveries, 1) + 1
	} else {
		e = fileEntry{SendNoticeResult: r, Deliveries: 1}
	}
	if err := l.writeJSON(l.path(r.MessageID), e); err != nil {
		return 0, fmt.Errorf("writing send ledger: %w", err)
	}
	return e.Deliveries, removeIfExists(l.claimPath(r.MessageID))
}

// Record stores a delivery receipt without a claim (kept for callers of the earlier API).
func (l *FileLedger) Record(r SendNoticeResult) error {
	_, err := l.Delivered(context.Background(), "", r)
	return err
}

func (l *FileLedger) entry(messageID string) (fileEntry, bool, error) {
	var e fileEntry
	ok, err := readJSON(l.path(messageID), &e)
	if err != nil {
		return e, false, fmt.Errorf("reading send ledger entry %s: %w", l.path(messageID), err)
	}
	return e, ok, nil
}

func (l *FileLedger) claim(messageID string) (fileClaim, bool, error) {
	var c fileClaim
	ok, err := readJSON(l.claimPath(messageID), &c)
	if err != nil {
		return c, false, fmt.Errorf("reading send ledger claim %s: %w", l.claimPath(messageID), err)
	}
	return c, ok, nil
}

// lock takes the folder's lock: a mutex for this process, flock for the others.
func (l *FileLedger) lock() (func(), error) {
	l.mu.Lock()
	unlock, err := lockFile(filepath.Join(l.dir, ".lock"))
	if err != nil {
		l.mu.Unlock()
		return nil, fmt.Errorf("locking send ledger %s: %w", l.dir, err)
	}
	return func() { unlock(); l.mu.Unlock() }, nil
}

func (l *FileLedger) writeJSON(path string, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return writeAtomic(path, data)
}

func (l *FileLedger) path(messageID string) string {
	return filepath.Join(l.dir, fileName(messageID)+".json")
}

func (l *FileLedger) claimPath(messageID string) string {
	return filepath.Join(l.dir, fileName(messageID)+".claim")
}

func readJSON(path string, v any) (bool, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return true, json.Unmarshal(data, v)
}

func removeIfExists(path string) error {
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return nil
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
