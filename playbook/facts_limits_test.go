package playbook_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/breachflow/breachflow/playbook"
)

// TestNormalizeFactLimits: values NormalizeFact used to accept, round or misread.
func TestNormalizeFactLimits(t *testing.T) {
	tests := []struct {
		name string
		def  playbook.FactDef
		in   string
		want string
		err  []string // substrings of the error; empty when the value is valid
	}{
		{"30-digit count", numberFact, "123456789012345678901234567890", "", []string{"is too large: a number fact is at most 9223372036854775807", "check the digits"}},
		{"int64 max is exact", numberFact, "9223372036854775807", "9223372036854775807", nil},
		{"2^53+1 is exact", numberFact, "9,007,199,254,740,993", "9007199254740993", nil},
		{"negative count", numberFact, "-5", "", []string{`"-5" is negative: a number fact is a count; write 0 or more`}},
		{"exponent", numberFact, "1e5", "", []string{"is not a number: write digits such as 184000"}},
		{"hex", numberFact, "0x10", "", []string{"is not a number"}},
		{"leading zeros", numberFact, "007", "7", nil},
		{"decimals kept exactly", numberFact, "0.1", "0.1", nil},
		{"too many decimals", numberFact, "1.1234567", "", []string{"more than 6 decimals: round it"}},
		{"lone point", numberFact, ".", "", []string{"is not a number"}},
		{"date year 1", dateFact, "0001-01-01", "", []string{"date: 0001-01-01T00:00:00Z is before 1970-01-01: check the year"}},
		{"date year 9999", dateFact, "9999-12-31T23:00:00Z", "", []string{"is after 2200-01-01"}},
		{"text CRLF", textFact, "line one\r\nBcc: x@evil.example", "", []string{"value: holds a line break", "write it on one line"}},
		{"text ANSI", textFact, "\x1b[31mred", "", []string{"an escape character"}},
		{"text too long", textFact, strings.Repeat("x", 2001), "", []string{"too long (2001 characters): shorten it to at most 2000"}},
		{"text at the cap", textFact, strings.Repeat("x", 2000), strings.Repeat("x", 2000), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := playbook.NormalizeFact(tt.def, tt.in)
			if tt.err == nil {
				require.NoError(t, err)
				require.Equal(t, tt.want, got)
				return
			}
			require.Error(t, err)
			require.NotContains(t, err.Error(), "\x1b")
			for _, e := range tt.err {
				require.Contains(t, err.Error(), e)
			}
		})
	}
}
