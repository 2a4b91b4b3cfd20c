package version

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"
)

// ErrRange reports a version expression this package does not understand.
// Callers keep the text and treat the range as unknown.
var ErrRange = errors.New("version: expression not understood")

// maxExpr bounds the length of an expression.
const maxExpr = 512

// Range is a set of versions described by an expression. The zero value
// contains nothing.
type Range struct {
	// Text is the expression as written.
	Text string
	// All is set for "All versions", "*", "vers:all/*".
	All  bool
	ivs  []interval
	excl []Version
}

type bound struct {
	v    Version
	incl bool
	set  bool
	// wild compares only the components written: "<= 11.x" and "<= N"
	// take in 11.4 and N.00.05.
	wild bool
}

// cmp orders v against the bound's version.
func (b bound) cmp(v Version) int {
	if b.wild {
		return v.compareTrunc(b.v)
	}
	return v.Compare(b.v)
}

// interval is one part of a union: a prefix match ("2.X") or a span
// between optional bounds (equal bounds make an exact version).
type interval struct {
	prefix []comp
	// stream is the release stream of the prefix ("bt" in "BT0x").
	stream string
	lo, hi bound
}

func (iv interval) contains(v Version) bool {
	if iv.prefix != nil {
		return v.stream == iv.stream && v.hasPrefix(iv.prefix)
	}
	// A bound of another release stream says nothing about v: "<= L81"
	// does not cover U61.
	if iv.lo.set {
		if !v.Comparable(iv.lo.v) {
			return false
		}
		c := iv.lo.cmp(v)
		if c < 0 || (c == 0 && !iv.lo.incl) {
			return false
		}
	}
	if iv.hi.set {
		if !v.Comparable(iv.hi.v) {
			return false
		}
		c := iv.hi.cmp(v)
		if c > 0 || (c == 0 && !iv.hi.incl) {
			return false
		}
	}
	return true
}

func (iv interval) String() string {
	if iv.prefix != nil {
		var parts []string
		for _, c := range iv.prefix {
			parts = append(parts, strings.ToUpper(c.s))
		}
		return strings.ToUpper(iv.stream) + strings.Join(parts, ".") + ".x"
	}
	if iv.lo.set && iv.hi.set && iv.lo.incl && iv.hi.incl && iv.lo.v.Compare(iv.hi.v) == 0 {
		return "=" + iv.lo.v.raw
	}
	var parts []string
	if iv.lo.set {
		op := ">"
		if iv.lo.incl {
			op = ">="
		}
		parts = append(parts, op+iv.lo.v.raw+wildMark(iv.lo))
	}
	if iv.hi.set {
		op := "<"
		if iv.hi.incl {
			op = "<="
		}
		parts = append(parts, op+iv.hi.v.raw+wildMark(iv.hi))
	}
	if len(parts) == 0 {
		return "*"
	}
	return strings.Join(parts, " ")
}

func wildMark(b bound) string {
	if b.wild && !strings.HasSuffix(strings.ToLower(b.v.raw), "x") {
		return ".x"
	}
	return ""
}

// Contains reports whether v is in the range.
func (r Range) Contains(v Version) bool {
	if !v.Valid() {
		return false
	}
	for _, x := range r.excl {
		if v.Compare(x) == 0 {
			return false
		}
	}
	if r.All {
		return true
	}
	for _, iv := range r.ivs {
		if iv.contains(v) {
			return true
		}
	}
	return false
}

// ContainsString parses s and reports whether it is in the range; ok is
// false when s is not a version.
func (r Range) ContainsString(s string) (in, ok bool) {
	v, ok := Parse(s)
	if !ok {
		return false, false
	}
	return r.Contains(v), true
}

// String renders the range canonically, for evidence shown to users.
func (r Range) String() string {
	if r.All {
		return "all versions"
	}
	var parts []string
	for _, iv := range r.ivs {
		parts = append(parts, iv.String())
	}
	for _, x := range r.excl {
		parts = append(parts, "!="+x.raw)
	}
	return strings.Join(parts, " | ")
}

// Exact returns the range holding just v.
func Exact(v Version) Range {
	return Range{Text: v.raw, ivs: []interval{{lo: bound{v: v, incl: true, set: true}, hi: bound{v: v, incl: true, set: true}}}}
}

var spaces = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`\s+`) })

// ParseRange parses a version expression as advisories write them. It
// returns ErrRange (wrapped with the text) for expressions it does not
// understand rather than guessing.
func ParseRange(expr string) (Range, error) {
	r := Range{Text: expr}
	s := strings.ToLower(strings.TrimSpace(expr))
	s = strings.NewReplacer("≤", "<=", "≥", ">=", "–", "-", "—", "-", "\u00a0", " ").Replace(s)
	s = spaces().ReplaceAllString(s, " ")
	if s == "" || len(s) > maxExpr {
		return r, fmt.Errorf("%w: %q", ErrRange, clip(expr))
	}
	if strings.HasPrefix(s, "vers:") {
		return parseVers(r, s)
	}
	if cs, ok := parseConstraints(s); ok {
		return pair(r, cs), nil
	}
	for _, part := range splitUnion(s) {
		ivs, all, err := parsePart(part)
		if err != nil {
			return Range{Text: expr}, fmt.Errorf("%w: %q", ErrRange, clip(expr))
		}
		if all {
			r.All = true
		}
		r.ivs = append(r.ivs, ivs...)
	}
	return r, nil
}

func clip(s string) string {
	if len(s) > 80 {
		return s[:80] + "..."
	}
	return s
}

// parseVers implements the vers: URI scheme (package-url/vers-spec) for
// its comparators: constraints are sorted by version and paired into
// intervals; "=" adds exact versions and "!=" excludes.
func parseVers(r Range, s string) (Range, error) {
	rest := strings.TrimPrefix(s, "vers:")
	slash := strings.IndexByte(rest, '/')
	if slash < 0 {
		return r, fmt.Errorf("%w: %q: vers without scheme", ErrRange, clip(r.Text))
	}
	body := strings.TrimSpace(rest[slash+1:])
	if body == "*" {
		r.All = true
		return r, nil
	}
	cs, ok := parseConstraints(body)
	if !ok {
		return Range{Text: r.Text}, fmt.Errorf("%w: %q: constraints not understood", ErrRange, clip(r.Text))
	}
	return pair(r, cs), nil
}

// splitUnion splits on "|" and on " or " where both sides carry a version
// (so that "3.0 or earlier" stays whole).
func splitUnion(s string) []string {
	var out []string
	for _, p := range strings.Split(s, "|") {
		p = strings.TrimSpace(p)
		if p == "" {
			continue
		}
		pieces := strings.Split(p, " or ")
		cur := pieces[0]
		for _, next := range pieces[1:] {
			if versionRe().MatchString(cur) && versionRe().MatchString(next) {
				out = append(out, strings.TrimSpace(cur))
				cur = next
			} else {
				cur += " or " + next
			}
		}
		out = append(out, strings.TrimSpace(cur))
	}
	return out
}

// versionRe finds version tokens in prose: "v3.0", "2.1.0b", "4.3 sp1",
// Philips "b.06.18", and wildcards "2.x", "5.*".
var versionRe = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`(?:\b[a-z]\.\d+(?:\.\d+)*\b)|(?:(?:\bv|\b)\d+(?:[._]\d+)*(?:[._](?:x|\*)|(?:[a-z]{1,2}\d*)?(?:[ -]?(?:sp|build|patch|update|rev|r|hf)\s?\d+)?)?)`)
})

// Phrases around a version, longest first within each group.
var (
	afterLE   = []string{"and all previous", "and all prior", "and all earlier", "and previous", "and prior", "and earlier", "and older", "and below", "and lower", "and before", "or prior", "or earlier", "or older", "or lower", "or below", "or before"}
	afterGE   = []string{"and subsequent", "and later", "and newer", "and above", "and higher", "and after", "or later", "or newer", "or above", "or higher", "onwards", "onward", "+"}
	beforeLT  = []string{"up to but not including", "up to but excluding", "earlier than", "older than", "lower than", "less than", "prior to", "before", "below", "under", "<"}
	beforeLE  = []string{"up to and including", "not later than", "at most", "up to", "through", "thru", "until", "<=", "=<"}
	beforeGE  = []string{"starting with", "starting from", "starting at", "at least", "since", "from", ">=", "=>"}
	beforeGT  = []string{"later than", "newer than", "higher than", "greater than", "after", "above", ">"}
	beforeEQ  = []string{"==", "="}
	spanWords = []string{"between", "through", "thru", "to", "until", "-"}
	// filler carries no meaning around a version.
	filler = map[string]bool{"all": true, "versions": true, "version": true, "ver": true, "firmware": true, "software": true,
		"only": true, "the": true, "of": true, "and": true, "including": true, "inclusive": true, "releases": true,
		"release": true, "affected": true, "v": true, "fw": true, "sw": true, "builds": true, "build": true, "s": true,
		"incl": true, "revision": true, "revisions": true, "rev": true}
)

func isAll(s string) bool {
	s = strings.Trim(s, " .")
	switch s {
	case "*", "all", "all versions", "any", "any version", "all versions affected", "all affected versions",
		"all firmware versions", "all software versions", "all releases", "all models", "all models and versions",
		"all versions and models", "versions: all", "all products", "n/a all versions":
		return true
	}
	return strings.HasPrefix(s, "all versions") && !versionRe().MatchString(s)
}

// parsePart parses one alternative of a union.
func parsePart(p string) ([]interval, bool, error) {
	p = strings.Trim(p, " .;:()")
	if isAll(p) {
		return nil, true, nil
	}
	// Conjunction of comparators: ">= 1.0, < 2.0", ">=1.0 <2.0", ">=1.0 and <2.0".
	if iv, ok := parseConjunction(p); ok {
		return []interval{iv}, false, nil
	}
	locs := versionRe().FindAllStringIndex(p, -1)
	var vers []string
	skel := p
	for i := len(locs) - 1; i >= 0; i-- {
		l := locs[i]
		vers = append([]string{p[l[0]:l[1]]}, vers...)
		skel = skel[:l[0]] + " # " + skel[l[1]:]
	}
	skel = spaces().ReplaceAllString(strings.TrimSpace(skel), " ")
	switch len(vers) {
	case 0:
		return nil, false, ErrRange
	case 1:
		return parseSingle(vers[0], skel)
	case 2:
		if hasAny(skel, spanWords) {
			lo, ok1 := Parse(vers[0])
			hi, ok2 := Parse(vers[1])
			if !ok1 || !ok2 || !onlyFiller(removeAll(skel, append(spanWords, "#", "from", "and"))) {
				return nil, false, ErrRange
			}
			if lo.Compare(hi) > 0 {
				lo, hi = hi, lo
			}
			return []interval{{lo: bound{v: lo, incl: true, set: true}, hi: bound{v: hi, incl: true, set: true}}}, false, nil
		}
	}
	// A list of versions: "2.1, 2.2 and 2.3".
	if !onlyFiller(removeAll(skel, []string{"#", ",", ";", "and", "&"})) {
		return nil, false, ErrRange
	}
	var ivs []interval
	for _, s := range vers {
		iv, err := exactOrPrefix(s)
		if err != nil {
			return nil, false, err
		}
		ivs = append(ivs, iv)
	}
	return ivs, false, nil
}

// parseSingle handles one version with the words around it.
func parseSingle(ver, skel string) ([]interval, bool, error) {
	before, after, _ := strings.Cut(skel, "#")
	before, after = strings.TrimSpace(before), strings.TrimSpace(after)
	if strings.HasSuffix(ver, ".x") || strings.HasSuffix(ver, ".*") || strings.HasSuffix(ver, "_x") {
		iv, err := exactOrPrefix(ver)
		if err != nil || !onlyFiller(before) || !onlyFiller(removeAll(after, afterGE)) {
			return nil, false, ErrRange
		}
		return []interval{iv}, false, nil
	}
	v, ok := Parse(ver)
	if !ok {
		return nil, false, ErrRange
	}
	// "4.2+" parses the plus as part of the skeleton after the version.
	before = trimFillerEnd(before)
	var op string
	if w := findSuffix(after, afterLE); w != "" {
		op, after = "<=", strings.TrimSpace(strings.TrimPrefix(after, w))
	} else if w := findSuffix(after, afterGE); w != "" {
		op, after = ">=", strings.TrimSpace(strings.TrimPrefix(after, w))
	}
	if op == "" {
		for _, g := range []struct {
			op    string
			words []string
		}{{"<", beforeLT}, {"<=", beforeLE}, {">=", beforeGE}, {">", beforeGT}, {"=", beforeEQ}} {
			if w := findPrefixEnd(before, g.words); w != "" {
				op, before = g.op, strings.TrimSpace(strings.TrimSuffix(before, w))
				break
			}
		}
	} else if w := findPrefixEnd(before, beforeEQ); w != "" {
		before = strings.TrimSpace(strings.TrimSuffix(before, w))
	}
	if !onlyFiller(before) || !onlyFiller(after) {
		return nil, false, ErrRange
	}
	b := bound{v: v, set: true}
	switch op {
	case "", "=":
		return Exact(v).ivs, false, nil
	case "<":
		return []interval{{hi: b}}, false, nil
	case "<=":
		b.incl = true
		return []interval{{hi: b}}, false, nil
	case ">":
		return []interval{{lo: b}}, false, nil
	default:
		b.incl = true
		return []interval{{lo: b}}, false, nil
	}
}

// parseConjunction parses comparators joined by ",", " and " or spaces.
func parseConjunction(p string) (interval, bool) {
	fields := strings.FieldsFunc(p, func(r rune) bool { return r == ',' || r == ';' || r == '&' })
	if len(fields) == 1 {
		fields = strings.Split(p, " and ")
	}
	if len(fields) == 1 {
		// ">=1.0 <2.0": split before each comparator.
		fields = compRe().FindAllString(p, -1)
		if len(fields) < 2 || strings.TrimSpace(compRe().ReplaceAllString(p, "")) != "" {
			return interval{}, false
		}
	}
	if len(fields) != 2 {
		return interval{}, false
	}
	var iv interval
	for _, f := range fields {
		m := compRe().FindStringSubmatch(strings.TrimSpace(f))
		if m == nil || m[0] != strings.TrimSpace(f) {
			return interval{}, false
		}
		v, ok := Parse(m[2])
		if !ok {
			return interval{}, false
		}
		switch m[1] {
		case ">", ">=", "=>":
			if iv.lo.set {
				return interval{}, false
			}
			iv.lo = bound{v: v, incl: m[1] != ">", set: true}
		case "<", "<=", "=<":
			if iv.hi.set {
				return interval{}, false
			}
			iv.hi = bound{v: v, incl: m[1] != "<", set: true}
		}
	}
	return iv, iv.lo.set && iv.hi.set
}

var compRe = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`(>=|=>|<=|=<|>|<)\s*(v?[0-9a-z][0-9a-z._-]*)`) })

func exactOrPrefix(s string) (interval, error) {
	t := strings.TrimRight(s, "x*")
	if t != s {
		t = strings.TrimRight(t, "._")
		v, ok := Parse(t)
		if !ok || v.class != classNone {
			return interval{}, ErrRange
		}
		return interval{prefix: v.main, stream: v.stream}, nil
	}
	v, ok := Parse(s)
	if !ok {
		return interval{}, ErrRange
	}
	return Exact(v).ivs[0], nil
}

func hasAny(s string, words []string) bool {
	for _, w := range strings.Fields(s) {
		for _, x := range words {
			if w == x {
				return true
			}
		}
	}
	return false
}

// findSuffix returns the phrase of words that s starts with (the words
// right after the version).
func findSuffix(s string, words []string) string {
	for _, w := range words {
		if s == w || strings.HasPrefix(s, w+" ") || (w == "+" && strings.HasPrefix(s, "+")) {
			return w
		}
	}
	return ""
}

// findPrefixEnd returns the phrase s ends with (the words right before the
// version).
func findPrefixEnd(s string, words []string) string {
	for _, w := range words {
		if s == w || strings.HasSuffix(s, " "+w) || (strings.ContainsAny(w, "<>=") && strings.HasSuffix(s, w)) {
			return w
		}
	}
	return ""
}

// trimFillerEnd drops filler words at the end of s ("prior to version").
func trimFillerEnd(s string) string {
	f := strings.Fields(s)
	for len(f) > 0 && filler[f[len(f)-1]] {
		f = f[:len(f)-1]
	}
	return strings.Join(f, " ")
}

func removeAll(s string, words []string) string {
	var keep []string
	for _, f := range strings.Fields(s) {
		drop := false
		for _, w := range words {
			if f == w {
				drop = true
				break
			}
		}
		if !drop {
			keep = append(keep, f)
		}
	}
	return strings.Join(keep, " ")
}

// onlyFiller reports whether s holds nothing but filler words and
// punctuation.
func onlyFiller(s string) bool {
	for _, f := range strings.FieldsFunc(s, func(r rune) bool {
		return r == ' ' || r == ',' || r == ':' || r == '(' || r == ')' || r == '.' || r == ';'
	}) {
		if !filler[f] {
			return false
		}
	}
	return true
}
