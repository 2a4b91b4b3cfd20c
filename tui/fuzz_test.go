package tui

import (
	"testing"
	"unicode/utf8"
)

// FuzzFuzzyScore checks that any pattern and text (a room list from an
// imported file, a query pasted in) scores without panicking, that a
// match is a subsequence, and that the empty pattern matches everything.
func FuzzFuzzyScore(f *testing.F) {
	for _, s := range [][2]string{{"3w", "MAIN/3/3W-12"}, {"", "x"}, {"\xff", "\xff\xfe"}, {"é", "É"}, {"mri", "MRI suite"}} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, pattern, text string) {
		_, ok := fuzzyScore(pattern, text)
		if pattern == "" && !ok {
			t.Fatal("empty pattern did not match")
		}
		if ok && utf8.RuneCountInString(pattern) > utf8.RuneCountInString(text) && utf8.ValidString(pattern) && utf8.ValidString(text) {
			t.Fatalf("%q matched the shorter %q", pattern, text)
		}
		idx := fuzzyFilter(pattern, 3, func(int) string { return text }, 2)
		if len(idx) > 2 {
			t.Fatalf("limit ignored: %v", idx)
		}
	})
}
