package templates

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// TestHashKnownAnswers pins Hash to literal values computed outside Go (sha256sum, Python's
// hashlib) over its documented input: each of subject, text and HTML as "<byte length>:<bytes>",
// concatenated. Approvals and Message-IDs are bound to these hashes: a change of the function is
// a change of every hash already in a history, and must fail here.
func TestHashKnownAnswers(t *testing.T) {
	for _, c := range []struct{ subject, text, html, want string }{
		// printf '7:Subject5:Body\n11:<p>Body</p>' | sha256sum
		{"Subject", "Body\n", "<p>Body</p>", "c5cdfe585957062646b271c6b55c7cc15112e97bc76527bbc7f7ccec5951048a"},
		// printf '0:0:0:' | sha256sum
		{"", "", "", "63cab8e921e413242a44bf4e8fdc999d3834c0883aed7afd6199c1ffa98c1948"},
		// lengths in bytes, not runes
		{"Notice — ü", "Line one\nLine two\n", "<p>é</p>", "75a033e6531ecf95b13754f7749811f1f8099b118051dfd022c218d476bbf8a9"},
	} {
		require.Equal(t, c.want, Hash(c.subject, c.text, c.html), "Hash(%q, %q, %q)", c.subject, c.text, c.html)
	}
	// The length prefixes keep the parts apart: moving a byte from one part to the next changes it.
	require.NotEqual(t, Hash("ab", "c", ""), Hash("a", "bc", ""))
}
