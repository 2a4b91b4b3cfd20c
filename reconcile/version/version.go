package version

import (
	"strings"
)

// maxLen bounds the input a version is parsed from; longer strings are not
// versions but prose or garbage.
const maxLen = 128

// Version is a parsed version string. The zero value is invalid.
type Version struct {
	raw string
	// main holds the release components ("2", "1", "0"), numeric ones
	// without leading zeros; a leading letter (Philips "B.06.18") is kept as
	// a letter component.
	main []comp
	// stream is a letter prefix fused to the number ("BT03", "SE2020MP13",
	// "L81"): vendors use it for separate release lines, so versions of
	// different streams are not ordered against each other (Comparable).
	stream string
	// class orders qualifiers: pre-releases (beta, rc) sort before the bare
	// release, post-releases (SP1, build 5, a trailing revision letter)
	// after it.
	class int
	qual  []comp
}

const (
	classPre  = -1
	classNone = 0
	classPost = 1
)

// comp is one component: a number (digits without leading zeros) or a
// lower-case word.
type comp struct {
	s   string
	num bool
}

// String returns the text the version was parsed from.
func (v Version) String() string { return v.raw }

// Valid reports whether v holds a parsed version.
func (v Version) Valid() bool { return len(v.main) > 0 }

// prefixWords are the words written before a version that carry no order.
var prefixWords = map[string]bool{
	"v": true, "ver": true, "vers": true, "version": true, "versions": true, "fw": true,
	"firmware": true, "sw": true, "software": true, "release": true, "rel": true,
	// "R3.2", "Rev 2.1": a release or revision letter before the number.
	"r": true, "rev": true, "revision": true,
}

// months are not release streams: "May 2018" is a date.
var months = map[string]bool{"jan": true, "feb": true, "mar": true, "apr": true, "may": true, "jun": true,
	"jul": true, "aug": true, "sep": true, "oct": true, "nov": true, "dec": true}

// preWords rank the pre-release qualifiers.
var preWords = map[string]int{
	"dev": 0, "snapshot": 0, "alpha": 1, "beta": 2, "pre": 3, "preview": 3, "eval": 3, "rc": 4,
}

type token struct {
	s    string
	kind byte // 'n' number, 'w' word, 's' separator
}

func tokenize(s string) []token {
	var out []token
	i := 0
	for i < len(s) {
		c := s[i]
		j := i + 1
		switch {
		case isDigit(c):
			for j < len(s) && isDigit(s[j]) {
				j++
			}
			out = append(out, token{s[i:j], 'n'})
		case isLetter(c):
			for j < len(s) && isLetter(s[j]) {
				j++
			}
			out = append(out, token{s[i:j], 'w'})
		default:
			out = append(out, token{s[i:j], 's'})
		}
		i = j
	}
	return out
}

func isDigit(c byte) bool  { return c >= '0' && c <= '9' }
func isLetter(c byte) bool { return c >= 'a' && c <= 'z' }

// Parse parses a version string. It reports false when s holds no digit,
// is longer than 128 bytes, or does not start like a version.
func Parse(s string) (Version, bool) {
	raw := s
	s = strings.ToLower(strings.TrimSpace(s))
	if s == "" || len(s) > maxLen {
		return Version{}, false
	}
	toks := tokenize(s)
	i := 0
	// Skip prefix words and separators ("Version: v2.1", "FW 3.0").
	for i < len(toks) {
		t := toks[i]
		if t.kind == 's' && (t.s == " " || t.s == ":" || t.s == "." || t.s == "-" || t.s == "_" || t.s == "\t") {
			i++
			continue
		}
		if t.kind == 'w' && prefixWords[t.s] {
			i++
			continue
		}
		break
	}
	v := Version{raw: raw}
	// Philips-style leading letter: "b.06.18".
	if i+2 < len(toks) && toks[i].kind == 'w' && len(toks[i].s) == 1 && toks[i+1].s == "." && toks[i+2].kind == 'n' {
		v.main = append(v.main, comp{s: toks[i].s})
		i += 2
	}
	// Stream prefix: "BT03", "SE2020MP13", "HD 16", "L81".
	if len(v.main) == 0 && i+1 < len(toks) && toks[i].kind == 'w' && len(toks[i].s) <= 3 && !months[toks[i].s] {
		switch {
		case toks[i+1].kind == 'n':
			v.stream = toks[i].s
			i++
		case i+2 < len(toks) && toks[i+1].s == " " && toks[i+2].kind == 'n' && len(toks[i].s) >= 2:
			v.stream = toks[i].s
			i += 2
		}
	}
	if i >= len(toks) || toks[i].kind != 'n' {
		return Version{}, false
	}
	// Release components: numbers joined by '.' or '_'.
	for i < len(toks) && toks[i].kind == 'n' {
		v.main = append(v.main, comp{s: trimZeros(toks[i].s), num: true})
		i++
		if i+1 < len(toks) && (toks[i].s == "." || toks[i].s == "_") && toks[i+1].kind == 'n' {
			i++
			continue
		}
		break
	}
	// Qualifier: everything after, words and numbers.
	attached := i < len(toks) && toks[i].kind == 'w'
	for ; i < len(toks); i++ {
		t := toks[i]
		switch t.kind {
		case 'n':
			v.qual = append(v.qual, comp{s: trimZeros(t.s), num: true})
		case 'w':
			v.qual = append(v.qual, comp{s: t.s})
		}
	}
	switch {
	case len(v.qual) == 0:
		v.class = classNone
	case !v.qual[0].num:
		if _, pre := preWords[v.qual[0].s]; pre {
			v.class = classPre
		} else if attached && len(v.qual[0].s) == 1 && len(v.qual) > 1 && v.qual[1].num && (v.qual[0].s == "a" || v.qual[0].s == "b") {
			// "1.0a1", "2.0b3": the attached a/b followed by a number is
			// the common alpha/beta shorthand.
			v.class = classPre
		} else {
			v.class = classPost
		}
	default:
		v.class = classPost
	}
	return v, true
}

func trimZeros(s string) string {
	t := strings.TrimLeft(s, "0")
	if t == "" {
		return "0"
	}
	return t
}

// compareComp orders two components: numbers numerically, words
// alphabetically, a number before a word.
func compareComp(a, b comp) int {
	switch {
	case a.num && b.num:
		if len(a.s) != len(b.s) {
			if len(a.s) < len(b.s) {
				return -1
			}
			return 1
		}
		return strings.Compare(a.s, b.s)
	case a.num:
		return -1
	case b.num:
		return 1
	}
	return strings.Compare(a.s, b.s)
}

var zero = comp{s: "0", num: true}

// Compare orders v and w: -1 if v is older, 0 if they are the same release
// ("2.1" equals "2.1.0"), 1 if v is newer.
func (v Version) Compare(w Version) int {
	if v.stream != w.stream {
		// A total order for sorting; Comparable says whether it means
		// anything.
		return strings.Compare(v.stream, w.stream)
	}
	n := max(len(v.main), len(w.main))
	for i := 0; i < n; i++ {
		a, b := zero, zero
		if i < len(v.main) {
			a = v.main[i]
		}
		if i < len(w.main) {
			b = w.main[i]
		}
		if c := compareComp(a, b); c != 0 {
			return c
		}
	}
	if v.class != w.class {
		if v.class < w.class {
			return -1
		}
		return 1
	}
	if v.class == classPre {
		ra, rb := preRank(v.qual[0].s), preRank(w.qual[0].s)
		if ra != rb {
			if ra < rb {
				return -1
			}
			return 1
		}
		return compareComps(v.qual[1:], w.qual[1:])
	}
	return compareComps(v.qual, w.qual)
}

// preRank orders pre-release words; "a" and "b" are alpha and beta.
func preRank(s string) int {
	switch s {
	case "a":
		return preWords["alpha"]
	case "b":
		return preWords["beta"]
	}
	return preWords[s]
}

func compareComps(a, b []comp) int {
	for i := 0; i < len(a) && i < len(b); i++ {
		if c := compareComp(a[i], b[i]); c != 0 {
			return c
		}
	}
	switch {
	case len(a) < len(b):
		return -1
	case len(a) > len(b):
		return 1
	}
	return 0
}

// Compare parses and orders two version strings. ok is false when either
// does not parse; then the order is unknown and c is 0.
func Compare(a, b string) (c int, ok bool) {
	va, oka := Parse(a)
	vb, okb := Parse(b)
	if !oka || !okb {
		return 0, false
	}
	return va.Compare(vb), true
}

// Comparable reports whether v and w belong to the same release stream
// (the same fused letter prefix, or none), so that their order means
// something: "BT06" and "BT03" compare, "L81" and "U61" do not.
func (v Version) Comparable(w Version) bool { return v.stream == w.stream }

// compareTrunc orders v against the first len(p) release components of
// p's stream: the comparison of a wildcard bound ("<= 11.x", "<= N").
func (v Version) compareTrunc(p Version) int {
	if v.stream != p.stream {
		return strings.Compare(v.stream, p.stream)
	}
	for i, c := range p.main {
		a := zero
		if i < len(v.main) {
			a = v.main[i]
		}
		if r := compareComp(a, c); r != 0 {
			return r
		}
	}
	return 0
}

// hasPrefix reports whether v's release components start with p's
// (missing components of v count as zero).
func (v Version) hasPrefix(p []comp) bool {
	for i, c := range p {
		a := zero
		if i < len(v.main) {
			a = v.main[i]
		}
		if compareComp(a, c) != 0 {
			return false
		}
	}
	return true
}
