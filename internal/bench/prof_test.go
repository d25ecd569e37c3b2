package main

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"os"
	"path/filepath"
	"testing"

	"github.com/breachflow/breachflow/internal/audit"
)

// TestAuditProfile records a long history into $BENCH_PROF_DIR once and audits it repeatedly
// (run with -cpuprofile). Not part of the normal run.
func TestAuditProfile(t *testing.T) {
	dir := os.Getenv("BENCH_PROF_DIR")
	if dir == "" {
		t.Skip("set BENCH_PROF_DIR")
	}
	ctx := context.Background()
	exported := filepath.Join(dir, "export")
	if _, err := os.Stat(exported); err != nil {
		s, err := startStack(filepath.Join(dir, "stack"), benchWorkerOptions())
		if err != nil {
			t.Fatal(err)
		}
		_, priv, _ := ed25519.GenerateKey(rand.Reader)
		if _, _, err := longIncident(ctx, s, 300, exported, audit.ExportOptions{SigningKey: priv}); err != nil {
			t.Fatal(err)
		}
		s.stop()
	}
	for range 40 {
		rep, err := audit.Audit(ctx, audit.Source{Path: exported}, audit.Options{AllowUnsigned: true})
		if err != nil {
			t.Fatal(err)
		}
		if rep.Summary.Histories != 1 {
			t.Fatal(rep.Summary)
		}
	}
}
