package playbook

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"

	"gopkg.in/yaml.v3"
)

// ReadFile reads a YAML input file (playbook, incident, scenario) of at most MaxFileSize bytes.
func ReadFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, err
	}
	if len(data) > MaxFileSize {
		return nil, fmt.Errorf("%s is larger than %d bytes (1 MiB): an input file holds text, not data; move long material elsewhere and cite it", path, MaxFileSize)
	}
	return data, nil
}

// DecodeYAML decodes data strictly into v: exactly one YAML document, no unknown fields, at most
// MaxFileSize bytes. name labels errors (usually the file name); expected says what the file
// should hold, for the message about an empty file (e.g. "a playbook with format, name, …").
// Error messages never carry raw control characters or long stretches of the file.
func DecodeYAML(name string, data []byte, v any, expected string) error {
	if len(data) > MaxFileSize {
		return fmt.Errorf("%s: larger than %d bytes (1 MiB): an input file holds text, not data", name, MaxFileSize)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var first, second yaml.Node
	switch err := dec.Decode(&first); {
	case errors.Is(err, io.EOF):
		return fmt.Errorf("%s: file is empty: expected %s", name, expected)
	case err != nil:
		return fmt.Errorf("%s: %s", name, SanitizeError(err.Error()))
	case isEmptyDocument(&first):
		return fmt.Errorf("%s: file is empty: expected %s", name, expected)
	}
	if err := dec.Decode(&second); err == nil && !isEmptyDocument(&second) {
		return fmt.Errorf("%s: line %d: a second YAML document starts here (after ---): a file holds one document; remove the --- line or split the file", name, second.Line)
	} else if err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("%s: %s", name, SanitizeError(err.Error()))
	}
	strict := yaml.NewDecoder(bytes.NewReader(data))
	strict.KnownFields(true)
	if err := strict.Decode(v); err != nil {
		return fmt.Errorf("%s: %s", name, SanitizeError(err.Error()))
	}
	return nil
}

// isEmptyDocument reports whether a decoded document holds nothing (or only null).
func isEmptyDocument(n *yaml.Node) bool {
	if n.Kind == yaml.DocumentNode {
		if len(n.Content) == 0 {
			return true
		}
		n = n.Content[0]
	}
	return n.Kind == yaml.ScalarNode && n.Tag == "!!null"
}

// quoted matches the values YAML errors quote in backticks.
var quoted = regexp.MustCompile("`[^`]*`")

// SanitizeError makes a parser's message safe to print: quoted values are cut to 40 characters
// and control characters (an ANSI escape sequence in a value, say) are escaped, never printed raw.
func SanitizeError(msg string) string {
	msg = quoted.ReplaceAllStringFunc(msg, func(q string) string {
		return "`" + short(strings.Trim(q, "`")) + "`"
	})
	var b strings.Builder
	for _, r := range msg {
		if bad, _ := forbidden(r); bad && r != '\n' {
			fmt.Fprintf(&b, "\\u%04x", r)
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// Problems lists the problems in a validation error: each error joined into it (errors.Join, at
// any depth) is one; nil and blank ones are left out.
func Problems(err error) []error {
	var out []error
	var walk func(error)
	walk = func(e error) {
		if j, ok := e.(interface{ Unwrap() []error }); ok {
			for _, x := range j.Unwrap() {
				walk(x)
			}
			return
		}
		if e != nil && strings.TrimSpace(e.Error()) != "" {
			out = append(out, e)
		}
	}
	walk(err)
	return out
}
