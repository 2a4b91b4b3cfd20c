package inert

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestString(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"plain", "Alaris 8015", "Alaris 8015"},
		{"unicode kept", "Pulsoxymeter Größe ½ 心电", "Pulsoxymeter Größe ½ 心电"},
		{"CSI colour", "pump\x1b[31mRED\x1b[0m", "pump�RED�"},
		{"CSI clear screen", "\x1b[2J\x1b[Hx", "��x"},
		{"OSC title BEL", "a\x1b]0;pwned\x07b", "a�b"},
		{"OSC 52 clipboard ST", "a\x1b]52;c;ZWNobyBoaQ==\x1b\\b", "a�b"},
		{"OSC 8 link", "\x1b]8;;http://evil\x1b\\click\x1b]8;;\x1b\\", "�click�"},
		{"DCS", "x\x1bPq#0;2;0;0;0\x1b\\y", "x�y"},
		{"two byte", "a\x1b7b\x1bcc", "a�b�c"},
		{"charset", "a\x1b(Bb", "a�b"},
		{"unterminated OSC", "a\x1b]0;title", "a�"},
		{"lone ESC", "a\x1b", "a�"},
		{"C0", "a\x00b\x07c\x08d", "a�b�c�d"},
		{"newline tab", "a\nb\tc\r", "a�b�c�"},
		{"DEL", "a\x7fb", "a�b"},
		{"C1 CSI 8-bit", "a\u009b31mb", "a�b"},
		{"C1 NEL", "a\u0085b", "a�b"},
		{"C1 OSC 8-bit with ST", "a\u009d0;t\u009cb", "a�b"},
		{"invalid UTF-8", "a\xff\xfeb", "a��b"},
		{"bidi override", "abc\u202edcba", "abc�dcba"},
		{"bidi isolate", "\u2066x\u2069", "�x�"},
		{"bidi marks", "a\u200eb\u200fc\u061cd", "a�b�c�d"},
		{"bidi embeddings", "\u202aa\u202bb\u202cc\u202dd", "�a�b�c�d"},
		{"zero-width space", "ASSET\u200b1", "ASSET�1"},
		{"zero-width joiners", "a\u200cb\u200dc", "a�b�c"},
		{"word joiner and invisible operators", "a\u2060b\u2064c", "a�b�c"},
		{"byte-order mark", "\ufeffTAG1", "�TAG1"},
		{"mongolian vowel separator", "a\u180eb", "a�b"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := String(tt.in); got != tt.want {
				t.Errorf("String(%q) = %q, want %q", tt.in, got, tt.want)
			}
			if got := Clean(tt.in); got != (tt.in == tt.want) {
				t.Errorf("Clean(%q) = %v", tt.in, got)
			}
		})
	}
}

func TestStringDoesNotAllocateWhenClean(t *testing.T) {
	s := "Philips IntelliVue MX450 — bed 12"
	if n := testing.AllocsPerRun(100, func() { _ = String(s) }); n != 0 {
		t.Errorf("String allocated %v times on a clean string", n)
	}
}

// assertInert fails when out could drive a terminal.
func assertInert(t *testing.T, in, out string) {
	t.Helper()
	if !utf8.ValidString(out) {
		t.Fatalf("String(%q) = %q: invalid UTF-8", in, out)
	}
	for _, r := range out {
		if unsafeRune(r) {
			t.Fatalf("String(%q) = %q: contains %U", in, out, r)
		}
	}
	if !Clean(out) {
		t.Fatalf("String(%q) = %q: not Clean", in, out)
	}
	if strings.Count(out, string(Mark)) > utf8.RuneCountInString(in) {
		t.Fatalf("String(%q) = %q: more marks than input runes", in, out)
	}
}

func FuzzString(f *testing.F) {
	for _, s := range []string{"", "plain", "\x1b[31mred", "\x1b]0;t\x07", "\x1bP\x1b\\", "\u009b1m",
		"\xff", "\u202e", "\u200b", "\ufeff", "a\x1b", "\x1b\x1b[", "\xc2\x9c", "\x1b]8;;\xc2\x9c"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := String(s)
		assertInert(t, s, out)
		if String(out) != out {
			t.Fatalf("String is not idempotent on %q", s)
		}
		if Clean(s) && out != s {
			t.Fatalf("clean %q changed to %q", s, out)
		}
	})
}
