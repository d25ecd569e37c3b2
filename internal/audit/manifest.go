// Package audit exports an incident's workflow history with a manifest, and audits exported (or
// live) histories: it checks each file against the SHA-256 in its manifest, replays every run
// with the SDK's replayer against today's IncidentWorkflow — proving the recorded history is what
// this code produces — and builds the audit timeline (who did what, when; every notice with its
// Message-ID and content hash; every failed delivery round) and the obligations' deadlines met or
// missed.
package audit

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"time"

	"go.temporal.io/sdk/temporal"
)

// ManifestFile is the name of the manifest in an export folder.
const ManifestFile = "manifest.json"

// ManifestFormat is the version of the manifest's layout.
const ManifestFormat = 1

// Manifest describes an export folder: what was exported, by which build, and the SHA-256 of
// every history file so that an auditor can tell whether a file was changed afterwards.
type Manifest struct {
	Format     int    `json:"format"`
	IncidentID string `json:"incident_id"`
	WorkflowID string `json:"workflow_id"`
	Title      string `json:"title,omitempty"`
	// PlaybookName and PlaybookVersion are those of the playbook snapshot the incident started
	// with (the first run's StartIncidentInput).
	PlaybookName    string `json:"playbook_name"`
	PlaybookVersion string `json:"playbook_version"`
	// Build is the build of the program that wrote the export.
	Build Build `json:"build"`
	// Runs are the workflow runs of the incident, oldest first (continue-as-new chains them).
	Runs           []RunFile `json:"runs"`
	TotalEvents    int       `json:"total_events"`
	FirstEventTime time.Time `json:"first_event_time"`
	LastEventTime  time.Time `json:"last_event_time"`
	ExportedAt     time.Time `json:"exported_at"`
	// EncryptionKeyIDs name the keys the history's payloads are encrypted with (empty when they
	// are not): an audit needs those keys, so they must be kept as long as the export.
	EncryptionKeyIDs []string `json:"encryption_key_ids,omitempty"`
	// Notes say what the exporter noticed and could not resolve (e.g. an undecodable input).
	Notes []string `json:"notes,omitempty"`
}

// RunFile is one run's history file in an export folder.
type RunFile struct {
	RunID string `json:"run_id"`
	// File is the file name, relative to the export folder.
	File   string `json:"file"`
	Events int    `json:"events"`
	// SHA256 is the hex SHA-256 of the file's bytes.
	SHA256         string    `json:"sha256"`
	FirstEventTime time.Time `json:"first_event_time"`
	LastEventTime  time.Time `json:"last_event_time"`
	// LastEvent is the type of the run's last event, e.g. WorkflowExecutionCompleted,
	// WorkflowExecutionContinuedAsNew, or a workflow-task event for a run still open.
	LastEvent string `json:"last_event"`
}

// Build identifies a build of this program.
type Build struct {
	Module string `json:"module,omitempty"`
	// Version is the main module's version, or "devel" for a build from a working tree.
	Version     string `json:"version"`
	VCSRevision string `json:"vcs_revision,omitempty"`
	VCSTime     string `json:"vcs_time,omitempty"`
	VCSModified bool   `json:"vcs_modified,omitempty"`
	GoVersion   string `json:"go_version,omitempty"`
	// TemporalSDK is the version of go.temporal.io/sdk linked in.
	TemporalSDK string `json:"temporal_sdk,omitempty"`
}

// String is e.g. "devel (rev 1a2b3c4, modified)".
func (b Build) String() string {
	s := b.Version
	if b.VCSRevision != "" {
		rev := b.VCSRevision
		if len(rev) > 12 {
			rev = rev[:12]
		}
		s += " (rev " + rev
		if b.VCSModified {
			s += ", modified"
		}
		s += ")"
	}
	return s
}

// CurrentBuild describes the running binary from its embedded build information.
func CurrentBuild() Build {
	b := Build{Version: "devel", TemporalSDK: "v" + temporal.SDKVersion}
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return b
	}
	b.Module, b.GoVersion = info.Main.Path, info.GoVersion
	if v := info.Main.Version; v != "" && v != "(devel)" {
		b.Version = v
	}
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			b.VCSRevision = s.Value
		case "vcs.time":
			b.VCSTime = s.Value
		case "vcs.modified":
			b.VCSModified = s.Value == "true"
		}
	}
	for _, d := range info.Deps {
		if d.Path == "go.temporal.io/sdk" {
			b.TemporalSDK = d.Version
			if d.Replace != nil {
				b.TemporalSDK += " => " + d.Replace.Path + " " + d.Replace.Version
			}
		}
	}
	return b
}

// ReadManifest reads and checks the manifest of an export folder. It does not check its
// signature (see VerifyManifest).
func ReadManifest(dir string) (*Manifest, error) {
	m, _, err := readManifest(dir)
	return m, err
}

// readManifest reads the manifest of an export folder and returns it with its bytes, which its
// signature covers.
func readManifest(dir string) (*Manifest, []byte, error) {
	path := filepath.Join(dir, ManifestFile)
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, err
	}
	m, err := ParseManifest(data, path)
	return m, data, err
}

// ParseManifest parses and checks a manifest's bytes; name (the file's path) prefixes errors.
func ParseManifest(data []byte, name string) (*Manifest, error) {
	path := name
	var m Manifest
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("%s: not a valid manifest: %w", path, err)
	}
	if m.Format != ManifestFormat {
		return nil, fmt.Errorf("%s: manifest format %d, this build reads format %d", path, m.Format, ManifestFormat)
	}
	if len(m.Runs) == 0 {
		return nil, fmt.Errorf("%s: the manifest lists no history files", path)
	}
	for i, r := range m.Runs {
		if err := checkFileName(r.File); err != nil {
			return nil, fmt.Errorf("%s: runs[%d].file: %w", path, i, err)
		}
		if len(r.SHA256) != sha256.Size*2 {
			return nil, fmt.Errorf("%s: runs[%d].sha256 %q is not a hex SHA-256", path, i, r.SHA256)
		}
	}
	return &m, nil
}

// checkFileName accepts a plain file name in the export folder, nothing that reaches outside it.
func checkFileName(name string) error {
	if name == "" || name == "." || name == ".." || strings.ContainsAny(name, `/\`) || filepath.Base(name) != name {
		return fmt.Errorf("%q is not a file name inside the export folder", name)
	}
	return nil
}

// sha256Hex is the hex SHA-256 of data.
func sha256Hex(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}
