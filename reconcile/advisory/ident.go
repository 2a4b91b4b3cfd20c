package advisory

import (
	"regexp"
	"strconv"
	"strings"
	"sync"
)

// Level says how firmly a product names a device.
type Level int

// The identity levels, weakest first.
const (
	NoMatch Level = iota
	// Possible: the device shares the product's family or brand, not its
	// model; a technician checks by hand.
	Possible
	// Certain: the vendor and the product itself (exact model, a listed
	// model number or a model range) name the device.
	Certain
)

// typeWords name a kind of product: a product carrying one the device
// lacks (or the reverse) is another product ("Alaris Infusion Central
// software" is a server, not an Alaris pump; "CARESCAPE Central Station"
// is not "CARESCAPE Telemetry Server").
var typeWords = map[string]bool{
	"server": true, "workstation": true, "gateway": true, "central": true, "station": true,
	"manager": true, "viewer": true, "app": true, "application": true, "portal": true, "client": true,
	"controller": true, "remote": true, "cloud": true, "console": true, "database": true, "web": true,
	"interface": true, "engine": true, "suite": true, "telemetry": true, "module": true, "wifi": true,
	"battery": true, "pack": true, "programmer": true, "transmitter": true, "receiver": true, "sensor": true,
	"reader": true, "printer": true, "bridge": true, "hub": true, "router": true, "library": true,
	"editor": true, "dashboard": true, "connectivity": true, "integration": true, "enterprise": true,
	"pacs": true, "ris": true, "his": true, "emr": true, "dock": true, "docking": true, "charger": true,
	"base": true, "handheld": true, "center": true, "centre": true,
}

// fillerWords carry no identity in a model or product name.
var fillerWords = map[string]bool{
	"system": true, "systems": true, "series": true, "all": true, "models": true, "model": true,
	"device": true, "devices": true, "products": true, "product": true, "family": true, "the": true,
	"and": true, "of": true, "for": true, "with": true, "version": true, "versions": true, "v": true,
	"medical": true, "patient": true, "unit": true, "units": true, "line": true, "solution": true,
	"solutions": true, "platform": true, "firmware": true, "a": true, "an": true, "in": true, "on": true,
	"by": true, "other": true, "including": true, "includes": true, "monitor": true, "monitors": true,
	"monitoring": true, "pump": true, "pumps": true, "infusion": true, "ultrasound": true, "scanner": true,
	"machine": true, "machines": true, "equipment": true, "type": true, "no": true, "number": true,
}

var (
	// exclusionRe finds "not including X", "excluding X", "except X".
	exclusionRe = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`(?i)[,;(]?\s*\b(?:not including|excluding|except(?: for)?|other than)\b\s*(.*)$`)
	})
	// modelRangeRe is an explicit model range: "MX400-MX850", "MP2-MP90",
	// "MX400-550".
	modelRangeRe = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`(?i)\b([a-z]{1,4})(\d+)\s*(?:-|–|to|through)\s*([a-z]{1,4})?(\d+)\b`)
	})
	// codeRe is a word carrying a digit: a model code ("MX40", "8015",
	// "35700BAX3", "MMT-1715", "FM20/FM30").
	codeRe = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`(?i)[a-z0-9]*\d[a-z0-9]*(?:-[a-z0-9]*\d[a-z0-9]*|-[a-z]+\b)*`)
	})
)

var parenNote = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`\([^()0-9]*\)`) })

func allIn(ws []string, set map[string]bool) bool {
	for _, w := range ws {
		if !set[w] && !fillerWords[w] {
			return false
		}
	}
	return true
}

// modelRange is a run of model numbers sharing a letter prefix.
type modelRange struct {
	prefix string
	lo, hi int
}

// ident is the identity of a product or a device model: its words, its
// model codes, its type words and, for products, its exclusions and model
// ranges.
type ident struct {
	text   string
	words  []string // folded, without vendor and filler words
	codes  map[string]bool
	ranges []modelRange
	types  map[string]bool
	excl   []ident
}

// newIdent reads a name; vendorWords are dropped (a vendor written into
// the name: "Baxter Spectrum", "BD Alaris").
func newIdent(s string, vendorWords map[string]bool) ident {
	id := ident{text: s, codes: map[string]bool{}, types: map[string]bool{}}
	if m := exclusionRe().FindStringSubmatchIndex(s); m != nil {
		for _, e := range splitList(s[m[2]:m[3]]) {
			id.excl = append(id.excl, newIdent(e, vendorWords))
		}
		s = s[:m[0]]
	}
	for _, m := range modelRangeRe().FindAllStringSubmatch(s, -1) {
		if m[3] != "" && !strings.EqualFold(m[1], m[3]) {
			continue
		}
		lo, err1 := strconv.Atoi(m[2])
		hi, err2 := strconv.Atoi(m[4])
		if err1 != nil || err2 != nil || lo >= hi || len(m[2]) > 6 || len(m[4]) > 6 {
			continue
		}
		id.ranges = append(id.ranges, modelRange{prefix: strings.ToLower(m[1]), lo: lo, hi: hi})
	}
	// A parenthesis without a digit is an abbreviation or a remark:
	// "(CSCS)", "(PICiX)", "(WLAN only)"; one with a digit is a model
	// number ("(VLFT10GEN)", "(718095)") and stays.
	s = parenNote().ReplaceAllString(s, " ")
	ws := words(s)
	if allIn(ws, vendorWords) {
		// The product is named after its vendor ("OpenClinic GA").
		vendorWords = nil
	}
	for i, w := range ws {
		switch {
		case vendorWords[w] || fillerWords[w]:
		case typeWords[w]:
			id.types[w] = true
			id.words = append(id.words, w)
		default:
			id.words = append(id.words, w)
		}
		_ = i
	}
	// Codes: words with a digit, hyphens removed; a short bare number
	// ("LOGIQ 5", "Vivid 7") is a code only with the word before it.
	for _, c := range codeRe().FindAllString(fold(s), -1) {
		c = strings.ReplaceAll(c, "-", "")
		if c == "" {
			continue
		}
		id.codes[c] = true
	}
	for i, w := range ws {
		if isNumber(w) && len(w) < 4 {
			delete(id.codes, w)
			if i > 0 && !isNumber(ws[i-1]) && !fillerWords[ws[i-1]] {
				id.codes[ws[i-1]+w] = true
			}
		}
	}
	return id
}

func isNumber(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isDigitByte(s[i]) {
			return false
		}
	}
	return true
}

var listSep = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`(?i)\s*(?:,|;|\band\b|\bor\b)\s*`) })

// splitList splits "LOGIQ 100 Pro", "Venue 40 R1-3 and Venue 50 R4-5",
// "A, B or C" into its items.
func splitList(s string) []string {
	s = strings.Trim(s, " .;:()")
	var out []string
	for _, p := range listSep().Split(s, -1) {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// splitCode separates a code's letter prefix from its number: "mx450"
// is ("mx", 450).
func splitCode(c string) (string, int, bool) {
	i := 0
	for i < len(c) && !isDigitByte(c[i]) {
		i++
	}
	if i == len(c) {
		return "", 0, false
	}
	n, err := strconv.Atoi(c[i:])
	if err != nil {
		return "", 0, false
	}
	return c[:i], n, true
}

func sameWords(a, b []string) bool {
	if len(a) != len(b) || len(a) == 0 {
		return false
	}
	seen := map[string]int{}
	for _, w := range a {
		seen[w]++
	}
	for _, w := range b {
		if seen[w] == 0 {
			return false
		}
		seen[w]--
	}
	return true
}

// covers reports whether the product identity p names the device
// identity d, and how firmly.
func (p *ident) covers(d *ident) (Level, string) {
	if len(d.words) == 0 && len(d.codes) == 0 {
		return NoMatch, ""
	}
	for i := range p.excl {
		if lv, _ := p.excl[i].coversPlain(d); lv == Certain {
			return NoMatch, ""
		}
	}
	return p.coversPlain(d)
}

func (p *ident) coversPlain(d *ident) (Level, string) {
	// Product-type words separate products.
	for t := range p.types {
		if !d.types[t] {
			return NoMatch, ""
		}
	}
	for t := range d.types {
		if !p.types[t] {
			return NoMatch, ""
		}
	}
	if sameWords(p.words, d.words) {
		return Certain, "model " + quote(d.text) + " is product " + quote(p.text)
	}
	// Model codes: a shared code, or a device code inside a model range.
	for c := range d.codes {
		if p.codes[c] {
			return Certain, "model number " + quote(c) + " of " + quote(d.text) + " listed in product " + quote(p.text)
		}
		if pre, n, ok := splitCode(c); ok {
			for _, r := range p.ranges {
				if r.prefix == pre && n >= r.lo && n <= r.hi {
					return Certain, "model " + quote(d.text) + " inside model range " + quote(strings.ToUpper(r.prefix)+strconv.Itoa(r.lo)+"-"+strings.ToUpper(r.prefix)+strconv.Itoa(r.hi)) + " of product " + quote(p.text)
				}
			}
		}
	}
	// The device's name begins the product's, and the product only adds
	// descriptive words without a model code: "Q-Stress" and "Q-Stress
	// Cardiac Stress Testing System".
	if len(d.words) >= 2 && len(p.words) > len(d.words) && prefixOf(d.words, p.words) && len(d.codes) == 0 && len(p.codes) == 0 &&
		!repeats(p.words[len(d.words):], d.words) {
		return Certain, "model " + quote(d.text) + " begins product " + quote(p.text)
	}
	shared := 0
	for _, w := range d.words {
		if !typeWords[w] && len(w) >= 3 && !isNumber(w) && containsWord(p.words, w) {
			shared++
		}
	}
	if shared == 0 {
		return NoMatch, ""
	}
	// Different model codes on both sides: another model of the brand.
	if (len(p.codes) > 0 || len(p.ranges) > 0) && len(d.codes) > 0 {
		return NoMatch, ""
	}
	// A product line named alone ("LOGIQ, not including LOGIQ 100 Pro",
	// "Vivid products") covers every model of the line.
	if len(p.words) == 1 && len(p.codes) == 0 && len(p.types) == 0 && len(d.words) > 0 && d.words[0] == p.words[0] {
		return Certain, "product line " + quote(p.text) + " covers model " + quote(d.text)
	}
	return Possible, "model " + quote(d.text) + " shares the brand of product " + quote(p.text) + ", not its model"
}

// repeats reports whether added brings back base's first (brand) word:
// a second product name joined on, not a description.
func repeats(added, base []string) bool {
	return len(base) > 0 && containsWord(added, base[0])
}

func containsWord(ws []string, w string) bool {
	for _, x := range ws {
		if x == w {
			return true
		}
	}
	return false
}

// vendorWordSet is the words of a vendor name, with the words of the
// multi-word company names of its alias group ("Welch Allyn" for Baxter),
// which catalogs and CISA write into model and product names.
func vendorWordSet(vendor string) map[string]bool {
	set := map[string]bool{}
	for _, w := range words(vendor) {
		set[w] = true
	}
	if g, _ := aliasOf(NormalizeVendor(vendor)); g != nil {
		for m := range g.members {
			if ws := strings.Fields(m); len(ws) > 1 {
				for _, w := range ws {
					// "alaris" of "alaris medical systems" is a brand
					// (a member alone): it names products, keep it.
					if _, brand := g.members[w]; brand {
						continue
					}
					set[w] = true
				}
			}
		}
		for _, w := range words(g.canonical) {
			set[w] = true
		}
	}
	return set
}

func unionWords(a, b map[string]bool) map[string]bool {
	out := make(map[string]bool, len(a)+len(b))
	for k := range a {
		out[k] = true
	}
	for k := range b {
		out[k] = true
	}
	return out
}
