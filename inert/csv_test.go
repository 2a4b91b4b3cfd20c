package inert

import (
	"strings"
	"testing"
)

func TestCSVCell(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"plain", "Alaris 8015", "Alaris 8015"},
		{"empty", "", ""},
		{"DDE", "=cmd|' /C calc'!A0", "'=cmd|' /C calc'!A0"},
		{"plus", "+1+cmd", "'+1+cmd"},
		{"minus", "-2+3+cmd", "'-2+3+cmd"},
		{"at", "@SUM(1+1)*cmd", "'@SUM(1+1)*cmd"},
		{"quoted formula keeps its quote", "'=1+1", "''=1+1"},
		{"apostrophe text", "'s-Hertogenbosch", "'s-Hertogenbosch"},
		{"lone apostrophe", "'", "'"},
		{"formula inside is data", "a=1+1", "a=1+1"},
		{"bidi override", "abc\u202edcba", "abc�dcba"},
		{"zero-width", "TAG\u200b1", "TAG�1"},
		{"escape then formula", "\x1b[2J=1", "�=1"},
		{"tab start", "\t=1", "�=1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := CSVCell(tt.in)
			if got != tt.want {
				t.Errorf("CSVCell(%q) = %q, want %q", tt.in, got, tt.want)
			}
			if Clean(tt.in) {
				if back := ParseCSVCell(got); back != tt.in {
					t.Errorf("ParseCSVCell(CSVCell(%q)) = %q, want the original", tt.in, back)
				}
			}
		})
	}
}

func TestParseCSVCellLeavesOtherValues(t *testing.T) {
	for _, s := range []string{"", "'", "'s-Hertogenbosch", "plain", "=1", "''"} {
		if got := ParseCSVCell(s); got != s {
			t.Errorf("ParseCSVCell(%q) = %q, want it unchanged", s, got)
		}
	}
}

func TestLines(t *testing.T) {
	in := "import: 2 rows refused\nr.csv:3: asset_tag: \x1b]0;pwned\x07\nr.csv:4: name: a\u202eb\r\n"
	want := "import: 2 rows refused\nr.csv:3: asset_tag: �\nr.csv:4: name: a�b\n"
	if got := Lines(in); got != want {
		t.Errorf("Lines = %q, want %q", got, want)
	}
}

// FuzzCSVCell: a guarded cell never starts a formula, never drives a
// terminal, and reads back as the original whenever the original is
// clean.
func FuzzCSVCell(f *testing.F) {
	for _, s := range []string{"", "=1", "'=1", "''", "-2+3", "@x", "'s", "\u202e=1", "\x1b[1m+", "a"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := CSVCell(s)
		assertInert(t, s, out)
		if out != "" && strings.IndexByte(formulaStart, out[0]) >= 0 {
			t.Fatalf("CSVCell(%q) = %q starts a formula", s, out)
		}
		if Clean(s) && ParseCSVCell(out) != s {
			t.Fatalf("CSVCell(%q) = %q reads back as %q", s, out, ParseCSVCell(out))
		}
	})
}
