// Package examples embeds the example incident files, so `starter demo` works from any folder.
package examples

import "embed"

// Files holds the example incident files (*.yaml).
//
//go:embed *.yaml
var Files embed.FS
