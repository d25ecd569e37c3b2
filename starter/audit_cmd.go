package main

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/breachflow/breachflow/internal/audit"
	"github.com/breachflow/breachflow/internal/codec"
	"github.com/breachflow/breachflow/internal/config"
	"github.com/breachflow/breachflow/workflows"
)

// cmdExport writes an incident's full history — every run, following continue-as-new — and a
// manifest with each file's SHA-256 into DIR/INC-…/, and signs the manifest (manifest.sig) with
// the key in BREACHFLOW_EXPORT_SIGNING_KEY(_FILE). Without a key the export is unsigned, and
// says that audit will fail it.
//
//	starter export INC-… [--out DIR] [--json]
func cmdExport(args []string, out io.Writer) error {
	c := newCommon("export")
	dir := c.fs.String("out", ".", "folder to write the export folder INC-…/ into")
	pos, err := c.parse(args, 1)
	if err != nil {
		return err
	}
	id := pos[0]
	if _, err := workflows.IncidentIDFromWorkflowID(id); err != nil {
		return err
	}
	keys, err := config.Keys()
	if err != nil {
		return err
	}
	signing, err := config.ExportSigningKey()
	if err != nil {
		return err
	}
	tc, err := c.dial()
	if err != nil {
		return err
	}
	defer tc.Close()
	m, err := audit.ExportWithOptions(context.Background(), tc, id, *dir, audit.ExportOptions{DataConverter: codec.DataConverter(keys), SigningKey: signing})
	if err != nil {
		return err
	}
	if c.asJSON {
		return printJSON(out, m)
	}
	folder := filepath.Join(*dir, id)
	fmt.Fprintf(out, "exported %s: %d run(s), %d events (%s to %s) into %s\n",
		id, len(m.Runs), m.TotalEvents, m.FirstEventTime.Format("2006-01-02T15:04:05Z07:00"), m.LastEventTime.Format("2006-01-02T15:04:05Z07:00"), folder)
	for _, r := range m.Runs {
		fmt.Fprintf(out, "  %s  %d events  sha256 %s\n", r.File, r.Events, r.SHA256)
	}
	fmt.Fprintf(out, "  %s  playbook %s %s, build %s\n", audit.ManifestFile, m.PlaybookName, m.PlaybookVersion, m.Build)
	if signing != nil {
		fmt.Fprintf(out, "  %s  Ed25519, key %s\n", audit.SignatureFile, audit.KeyID(signing.Public().(ed25519.PublicKey)))
	} else {
		fmt.Fprintf(out, "warning: the export is unsigned (%s is not set): audit fails it unless given --allow-unsigned; make a key with `worker keygen --export-signing`\n", config.EnvExportSigningKey)
	}
	if len(m.EncryptionKeyIDs) > 0 {
		fmt.Fprintf(out, "  payloads are encrypted with key(s) %s: keep them as long as the export\n", strings.Join(m.EncryptionKeyIDs, ", "))
	}
	for _, n := range m.Notes {
		fmt.Fprintf(out, "note: %s\n", n)
	}
	fmt.Fprintf(out, "check it with: starter audit %s\n", folder)
	return nil
}

// cmdAudit checks and replays histories and prints the audit timeline and the obligations'
// deadlines met or missed. It fails when any history fails its hash check or its replay, when a
// notice's content does not match its hash, and — for files — when the export is not signed by
// a trusted key (BREACHFLOW_EXPORT_VERIFY_KEYS, --verify-key) or a history has no manifest,
// unless --allow-unsigned.
//
//	starter audit PATH|INC-… [--format table|md|json|html] [--live] [--progress] [--verify-key KEY]... [--allow-unsigned]
func cmdAudit(args []string, out io.Writer) error {
	c := newCommon("audit")
	format := c.fs.String("format", audit.FormatTable, "output: table, md (Markdown), json or html (a self-contained page with a timeline chart per incident)")
	live := c.fs.Bool("live", false, "read the incident from Temporal even when a file or folder of that name exists")
	progress := c.fs.Bool("progress", false, "show the progress bar even when stderr is not a terminal")
	allowUnsigned := c.fs.Bool("allow-unsigned", false, "pass exports that are unsigned, badly signed or signed by an unknown key, and histories without a manifest (the verdict says so)")
	var verifyKeys []ed25519.PublicKey
	c.fs.Func("verify-key", "public key of a trusted exporter (base64; repeatable; added to $"+config.EnvExportVerifyKeys+")", func(s string) error {
		k, err := audit.ParsePublicKey(s)
		if err == nil {
			verifyKeys = append(verifyKeys, k)
		}
		return err
	})
	pos, err := c.parse(args, 1)
	if err != nil {
		return err
	}
	if c.asJSON {
		*format = audit.FormatJSON
	}
	switch *format {
	case audit.FormatTable, audit.FormatMarkdown, audit.FormatJSON, audit.FormatHTML:
	default:
		return fmt.Errorf("--format %q: use table, md, json or html", *format)
	}
	// With encryption on, the same keys as the worker's decrypt the histories (files included).
	keys, err := config.Keys()
	if err != nil {
		return err
	}
	trusted, err := config.ExportVerifyKeys()
	if err != nil {
		return err
	}
	opts := audit.Options{DataConverter: codec.DataConverter(keys), VerifyKeys: append(trusted, verifyKeys...), AllowUnsigned: *allowUnsigned}
	if *progress || auditIsTerminal(os.Stderr) {
		opts.Progress = os.Stderr
	}

	arg := pos[0]
	var src audit.Source
	_, statErr := os.Stat(arg)
	_, idErr := workflows.IncidentIDFromWorkflowID(arg)
	switch {
	case statErr == nil && !*live:
		src.Path = arg
	case idErr == nil:
		tc, err := c.dial()
		if err != nil {
			return err
		}
		defer tc.Close()
		src.IncidentID, src.Client = arg, tc
	case *live:
		return idErr
	default:
		return fmt.Errorf("%s: %w, and it is not an incident ID (INC-<uuid>) to read from Temporal", arg, errors.Unwrap(statErr))
	}
	rep, err := audit.Audit(context.Background(), src, opts)
	if rep != nil {
		if werr := audit.Write(out, rep, *format); werr != nil {
			return werr
		}
	}
	return err
}

// auditIsTerminal reports whether f is a terminal (a character device).
func auditIsTerminal(f *os.File) bool {
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
