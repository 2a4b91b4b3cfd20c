package version

import (
	"regexp"
	"sort"
	"strings"
	"sync"
)

// constraint is one comparator of a constraint list: op is one of
// "=", "!=", "<", "<=", ">", ">=", or "x" for a wildcard prefix ("5.x.x").
type constraint struct {
	op string
	b  bound
	// iv is set for an op "x" (a prefix) and for a two-sided piece
	// ("A10 < A11"), which is taken whole rather than paired.
	iv *interval
}

// opRe splits a constraint list before each comparator, so that
// "vers:all/>=V3.0.1<V3.0.3" (CISA leaves out the "|") reads as two
// constraints.
var opRe = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`(>=|=>|<=|=<|!=|==|>|<|=)`) })

// tokRe is one version token as CISA writes it in a constraint list:
// "1.3.2", "v20D29", "B.12", "BT03", "SE2020MP13", "12.2.x.x", "C.0x",
// "N", "HD 16", "4.3 SP1", "1.1.3 Build 11".
var tokRe = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^(?:v\s?)?(?:[a-z]{2,3} \d+[a-z0-9._\-]*|[a-z0-9][a-z0-9._\-]*)(?: (?:sp|sr|service pack|build|patch|update|hf|mr build|d) ?\d+)?$`)
})

// leadFiller is what may stand before a constraint: "All Versions < X",
// "versions <= 2.1".
var leadFiller = []string{"all versions", "all version", "versions", "version", "all"}

// twoSidedRe is "A10 < A11" or "A.01 <= C.0x": a lower bound, then the
// comparator and the upper bound.
var twoSidedRe = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^(\S+)\s*(<=|<)\s*(\S+)$`) })

// letterSpanRe is Philips' "Rev J-M": revisions J to M, each whole.
var letterSpanRe = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^(?:rev(?:ision)?\.?\s*)?([a-z])\s*-\s*([a-z])$`) })

// parseConstraints reads an expression made only of comparators and
// versions joined by "|" (the vers spec's form, and CISA's in product
// trees: ">= 1.1 | <= 1.3.2"). ok is false when any piece is something
// else (prose), so the caller can try the prose forms.
func parseConstraints(s string) ([]constraint, bool) {
	var out []constraint
	for _, part := range strings.Split(s, "|") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		for _, f := range leadFiller {
			if strings.HasPrefix(part, f+" ") {
				rest := strings.TrimSpace(part[len(f):])
				if opRe().MatchString(rest) && strings.IndexAny(rest, "<>=!") == 0 {
					part = rest
				}
				break
			}
		}
		if m := letterSpanRe().FindStringSubmatch(part); m != nil {
			lo, _ := parseBound(m[1])
			hi, _ := parseBound(m[2])
			lo.incl, hi.incl = true, true
			out = append(out, constraint{op: "range", b: lo, iv: &interval{lo: lo, hi: hi}})
			continue
		}
		if m := twoSidedRe().FindStringSubmatch(part); m != nil && strings.IndexAny(part, "<>=!") > 0 {
			lo, ok1 := parseBound(m[1])
			hi, ok2 := parseBound(m[3])
			if !ok1 || !ok2 || lo.wild {
				return nil, false
			}
			lo.incl, hi.incl = true, m[2] == "<="
			out = append(out, constraint{op: "range", b: lo, iv: &interval{lo: lo, hi: hi}})
			continue
		}
		// Split ">=1.0 <2.0" and ">=V3.0.1<V3.0.3" into their comparators.
		locs := opRe().FindAllStringIndex(part, -1)
		if len(locs) == 0 {
			c, ok := parseOne("", part)
			if !ok {
				return nil, false
			}
			out = append(out, c)
			continue
		}
		if locs[0][0] != 0 {
			return nil, false
		}
		for i, l := range locs {
			end := len(part)
			if i+1 < len(locs) {
				end = locs[i+1][0]
			}
			op := part[l[0]:l[1]]
			c, ok := parseOne(op, strings.TrimSpace(part[l[1]:end]))
			if !ok {
				return nil, false
			}
			out = append(out, c)
		}
	}
	return out, len(out) > 0
}

// parseOne reads one comparator and its version.
func parseOne(op, tok string) (constraint, bool) {
	tok = strings.Trim(tok, " ,;")
	switch op {
	case "=>":
		op = ">="
	case "=<":
		op = "<="
	case "==", "":
		op = "="
	}
	if tok == "*" && op == "=" {
		return constraint{op: "*"}, true
	}
	b, ok := parseBound(tok)
	if !ok {
		return constraint{}, false
	}
	if b.wild && (op == "=" || op == "!=") {
		if op == "!=" || len(b.v.main) == 1 && !b.v.main[0].num && b.v.stream == "" && len(tok) == 1 {
			// "!= 2.x" and a bare letter "N" are not understood.
			return constraint{}, false
		}
		return constraint{op: "x", b: b, iv: &interval{prefix: b.v.main, stream: b.v.stream}}, true
	}
	b.incl = op == "<=" || op == ">="
	return constraint{op: op, b: b}, true
}

// parseBound reads a version token, with wildcards: "12.2.x.x" and
// "11.x" compare on the components written; a lone letter ("N", Philips'
// IntelliVue revision) stands for that whole revision.
func parseBound(tok string) (bound, bool) {
	tok = strings.TrimSpace(tok)
	if tok == "" || len(tok) > maxLen || !tokRe().MatchString(tok) {
		return bound{}, false
	}
	if len(tok) == 1 && tok[0] >= 'a' && tok[0] <= 'z' {
		return bound{v: Version{raw: strings.ToUpper(tok), main: []comp{{s: tok}}}, set: true, wild: true}, true
	}
	wild := false
	t := tok
	for {
		u := strings.TrimSuffix(strings.TrimSuffix(t, "x"), "*")
		if u == t {
			break
		}
		// "C.0x" means C.00 to C.09: as good as all of C.
		if strings.HasSuffix(u, ".0") || strings.HasSuffix(u, "_0") {
			u = u[:len(u)-1]
		}
		if !strings.HasSuffix(u, ".") && !strings.HasSuffix(u, "_") {
			break
		}
		t, wild = strings.TrimRight(u, "._"), true
	}
	if wild {
		if len(t) == 1 && t[0] >= 'a' && t[0] <= 'z' {
			return bound{v: Version{raw: tok, main: []comp{{s: t}}}, set: true, wild: true}, true
		}
		v, ok := Parse(t)
		if !ok || v.class != classNone {
			return bound{}, false
		}
		v.raw = tok
		return bound{v: v, set: true, wild: true}, true
	}
	v, ok := Parse(tok)
	if !ok {
		return bound{}, false
	}
	return bound{v: v, set: true}, true
}

// pair turns constraints into intervals as the vers spec does: sorted by
// version, each lower bound is closed by the next upper bound; "=" and
// prefixes stand alone; "!=" excludes.
func pair(r Range, cs []constraint) Range {
	sort.SliceStable(cs, func(i, j int) bool { return cs[i].b.v.Compare(cs[j].b.v) < 0 })
	var open *bound
	for _, c := range cs {
		switch c.op {
		case "*":
			r.All = true
		case "x", "range":
			r.ivs = append(r.ivs, *c.iv)
		case "=":
			r.ivs = append(r.ivs, interval{lo: bound{c.b.v, true, true, false}, hi: bound{c.b.v, true, true, false}})
		case "!=":
			r.excl = append(r.excl, c.b.v)
		case ">", ">=":
			if open != nil {
				r.ivs = append(r.ivs, interval{lo: *open})
			}
			b := c.b
			open = &b
		case "<", "<=":
			iv := interval{hi: c.b}
			if open != nil && open.v.Comparable(c.b.v) {
				iv.lo = *open
				open = nil
			}
			r.ivs = append(r.ivs, iv)
		}
	}
	if open != nil {
		r.ivs = append(r.ivs, interval{lo: *open})
	}
	return r
}
