//go:build !unix

package activities

// lockFile is a no-op where flock is missing: the ledger folder is then safe for one worker
// process only (the in-process mutex still orders its attempts).
func lockFile(string) (func(), error) { return func() {}, nil }
