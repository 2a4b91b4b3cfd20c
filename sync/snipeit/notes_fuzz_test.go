package snipeit

import (
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/biomed-rounds/rounds/sync/snipeit/snipefake"
)

// FuzzUnrender: reading rendered notes back never panics, and what it
// gives renders as the server showed it, so that writing it back does not
// change the central note.
func FuzzUnrender(f *testing.F) {
	for _, s := range []string{"**Do not** move: see https://wiki.example.org/a?b=1&c=2", "`code` <b>raw</b> \"q\" it's",
		"[link](https://x.org) _em_ *em* __strong__", "plain\nlines\n", "&amp;lt; already escaped", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		if !utf8.ValidString(src) {
			return
		}
		shown := snipefake.RenderNotes(src)
		if tagRE2.MatchString(shown) && strings.ContainsAny(tagRE2.ReplaceAllString(shown, ""), "*_") || !wellNested(shown) {
			// Literal marker characters beside emphasis ("**0__0__")
			// have no unambiguous source without backslash escapes,
			// which would change how the author's text reads in the edit
			// form: a known limit, documented in notes.go.
			return
		}
		back := unrender(shown)
		if again := snipefake.RenderNotes(back); again != shown {
			t.Fatalf("source %q shows %q; read back as %q, which shows %q", src, shown, back, again)
		}
		_ = unrender(src) // arbitrary input must not panic
	})
}

var tagRE2 = regexp.MustCompile(`<(/?)(strong|em)>`)

// wellNested reports whether emphasis tags nest: the fake's regular
// expression renderer can cross them where Parsedown would not.
func wellNested(s string) bool {
	var stack []string
	for _, m := range tagRE2.FindAllStringSubmatch(s, -1) {
		if m[1] == "" {
			stack = append(stack, m[2])
			continue
		}
		if len(stack) == 0 || stack[len(stack)-1] != m[2] {
			return false
		}
		stack = stack[:len(stack)-1]
	}
	return len(stack) == 0
}
