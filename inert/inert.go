package inert

import (
	"strings"
	"unicode/utf8"
)

// Mark replaces what String removes, so that the reader sees that
// something was there.
const Mark = '\uFFFD'

// String returns s with every escape sequence, control character (C0, DEL,
// C1), bidirectional override and invalid UTF-8 byte replaced by Mark. A
// whole escape sequence (CSI, OSC, DCS, SOS, PM, APC and two-byte ESC
// sequences) becomes a single mark so that its parameters do not show up
// as noise. Tabs and line breaks are replaced too: outside strings are
// shown on one line.
//
// Strings without anything to replace are returned as they are, without
// allocating.
func String(s string) string {
	if Clean(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size <= 1:
			b.WriteRune(Mark)
			i++
		case r == 0x1b:
			b.WriteRune(Mark)
			i += escapeLen(s[i:])
		case r == 0x9b || r == 0x9d || r == 0x90 || r == 0x98 || r == 0x9e || r == 0x9f:
			// 8-bit CSI, OSC, DCS, SOS, PM, APC: swallow the body as for ESC.
			b.WriteRune(Mark)
			i += size + bodyLen(s[i+size:], introducerFor(r))
		case unsafeRune(r):
			b.WriteRune(Mark)
			i += size
		default:
			b.WriteString(s[i : i+size])
			i += size
		}
	}
	return b.String()
}

// Clean reports whether s is already inert: valid UTF-8 with no control
// characters, escape sequences or bidirectional overrides.
func Clean(s string) bool {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c < 0x20 || c == 0x7f {
				return false
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if (r == utf8.RuneError && size <= 1) || unsafeRune(r) {
			return false
		}
		i += size
	}
	return true
}

// unsafeRune reports runes that must not reach a terminal: C0 controls,
// DEL, C1 controls, the Unicode bidirectional marks, embeddings,
// overrides and isolates, which reorder the text around them
// (CVE-2021-42574), and the invisible format characters (zero-width
// space, joiners, word joiner, invisible operators, byte-order mark,
// Mongolian vowel separator), which let two different strings look the
// same (a spoofed asset tag) and misalign columns.
func unsafeRune(r rune) bool {
	switch {
	case r < 0x20, r == 0x7f, r >= 0x80 && r < 0xa0:
		return true
	case r >= 0x200b && r <= 0x200f, // ZWSP, ZWNJ, ZWJ, LRM, RLM
		r >= 0x202a && r <= 0x202e, // LRE, RLE, PDF, LRO, RLO
		r >= 0x2060 && r <= 0x2064, // word joiner, invisible operators
		r >= 0x2066 && r <= 0x2069, // LRI, RLI, FSI, PDI
		r == 0x061c,                // Arabic letter mark
		r == 0x180e,                // Mongolian vowel separator
		r == 0xfeff:                // zero-width no-break space (BOM)
		return true
	}
	return false
}

// Unsafe reports whether r is a rune String replaces: a control
// character, a bidirectional control or an invisible format character.
// Importers use it to refuse such characters in stored values.
func Unsafe(r rune) bool { return unsafeRune(r) }

// Lines is String for text of several lines, such as an error message
// that lists problems one per line: each line is made inert, and the line
// breaks between them are kept.
func Lines(s string) string {
	if Clean(s) {
		return s
	}
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = String(strings.TrimSuffix(l, "\r"))
	}
	return strings.Join(lines, "\n")
}

// introducerFor maps an 8-bit C1 introducer to its 7-bit ESC form.
func introducerFor(r rune) byte {
	switch r {
	case 0x9b:
		return '['
	case 0x9d:
		return ']'
	case 0x90:
		return 'P'
	case 0x98:
		return 'X'
	case 0x9e:
		return '^'
	default:
		return '_'
	}
}

// escapeLen returns the length of the escape sequence at the start of s,
// which begins with ESC. An unterminated sequence runs to the end of s.
func escapeLen(s string) int {
	if len(s) < 2 {
		return len(s)
	}
	switch c := s[1]; c {
	case '[', ']', 'P', 'X', '^', '_':
		return 2 + bodyLen(s[2:], c)
	default:
		if c < 0x20 || c == 0x7f || c >= 0x80 {
			// ESC followed by another control or a non-ASCII byte: drop
			// only the ESC; the next byte is judged on its own.
			return 1
		}
		// Two-byte sequence (ESC 7, ESC c, ESC =, ...), possibly with
		// intermediate bytes 0x20-0x2f (ESC ( B).
		i := 1
		for i < len(s) && s[i] >= 0x20 && s[i] <= 0x2f {
			i++
		}
		if i < len(s) {
			i++
		}
		return i
	}
}

// bodyLen returns the length of the body of a control sequence introduced
// by intro ('[' for CSI; ']' 'P' 'X' '^' '_' for string sequences),
// including its terminator.
func bodyLen(s string, intro byte) int {
	if intro == '[' {
		// CSI: parameter bytes 0x30-0x3f, intermediate 0x20-0x2f, final
		// 0x40-0x7e. Anything else ends the sequence without consuming.
		for i := 0; i < len(s); i++ {
			c := s[i]
			switch {
			case c >= 0x20 && c <= 0x3f:
			case c >= 0x40 && c <= 0x7e:
				return i + 1
			default:
				return i
			}
		}
		return len(s)
	}
	// String sequences end at BEL, ST (ESC \) or the 8-bit ST (U+009C).
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case 0x07:
			return i + 1
		case 0x1b:
			if i+1 < len(s) && s[i+1] == '\\' {
				return i + 2
			}
			return i
		case 0xc2:
			if i+1 < len(s) && s[i+1] == 0x9c {
				return i + 2
			}
		}
	}
	return len(s)
}
