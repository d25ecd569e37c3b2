package audit

import (
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"go.temporal.io/sdk/client"
)

// unit is one incident to audit: an export folder, a single history file, or live runs.
type unit struct {
	source string
	// dir is an export folder (with a manifest).
	dir string
	// file is a single history file; expected its SHA-256 from a manifest next to it that
	// lists it, in manifestDir.
	file        string
	expected    string
	manifestDir string
	// manifestRaw are the bytes of that manifest, read once: the hash taken from it and the
	// signature checked over it are of the same bytes.
	manifestRaw []byte
	// live are runs read from Temporal.
	live       []fetchedRun
	incidentID string
	client     client.Client
	notes      []string
}

func (u *unit) histories() int {
	switch {
	case u.live != nil:
		return len(u.live)
	case u.dir != "":
		if m, err := ReadManifest(u.dir); err == nil {
			return len(m.Runs)
		}
	}
	return 1
}

// discover finds what a path holds: an export folder, a history file, or a folder of either.
func discover(path string) ([]*unit, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !fi.IsDir() {
		if filepath.Base(path) == ManifestFile {
			return []*unit{{source: filepath.Dir(path), dir: filepath.Dir(path)}}, nil
		}
		return []*unit{fileUnit(path)}, nil
	}
	if isExport(path) {
		return []*unit{{source: path, dir: path}}, nil
	}
	var units []*unit
	err = filepath.WalkDir(path, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if p != path && isExport(p) {
				units = append(units, &unit{source: p, dir: p})
				return filepath.SkipDir
			}
			return nil
		}
		if strings.HasSuffix(strings.ToLower(d.Name()), ".json") && !strings.HasPrefix(d.Name(), ".") {
			units = append(units, fileUnit(p))
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	sort.SliceStable(units, func(i, j int) bool { return units[i].source < units[j].source })
	return units, nil
}

func isExport(dir string) bool {
	fi, err := os.Stat(filepath.Join(dir, ManifestFile))
	return err == nil && fi.Mode().IsRegular()
}

// fileUnit is a single history file; a manifest next to it that lists it gives its hash.
func fileUnit(path string) *unit {
	u := &unit{source: path, file: path}
	if m, raw, err := readManifest(filepath.Dir(path)); err == nil {
		for _, r := range m.Runs {
			if r.File == filepath.Base(path) {
				u.expected, u.manifestDir, u.manifestRaw = r.SHA256, filepath.Dir(path), raw
			}
		}
	}
	return u
}
