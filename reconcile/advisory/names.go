package advisory

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// legalSuffixes are words that name a company's legal form, dropped from
// the end of a vendor name before comparing.
var legalSuffixes = map[string]bool{
	"inc": true, "incorporated": true, "llc": true, "ltd": true, "limited": true, "gmbh": true,
	"co": true, "corp": true, "corporation": true, "company": true, "ag": true, "sa": true,
	"nv": true, "bv": true, "plc": true, "kg": true, "kgaa": true, "spa": true, "srl": true,
	"oy": true, "oyj": true, "ab": true, "as": true, "pty": true, "kk": true, "lp": true,
	"llp": true, "se": true, "sas": true, "sarl": true, "and": true, "&": true, "the": true,
	"holdings": true, "group": true, "international": true, "usa": true, "us": true,
}

// aliasGroup is a set of names under which one company's devices are
// published, with the corporate history that links them.
type aliasGroup struct {
	canonical string
	members   map[string]string // normalised name -> why it belongs
}

// genericVendorWords never make a vendor match on their own.
var genericVendorWords = map[string]bool{
	"general": true, "medical": true, "american": true, "national": true, "health": true, "healthcare": true,
	"systems": true, "system": true, "technologies": true, "devices": true, "global": true, "united": true,
}

// fold lower-cases s and replaces accented Latin letters with their base
// letter ("Dräger" -> "drager").
func fold(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range strings.ToLower(s) {
		switch r {
		case 'ä', 'à', 'á', 'â', 'ã', 'å':
			r = 'a'
		case 'ö', 'ò', 'ó', 'ô', 'õ', 'ø':
			r = 'o'
		case 'ü', 'ù', 'ú', 'û':
			r = 'u'
		case 'é', 'è', 'ê', 'ë':
			r = 'e'
		case 'í', 'ì', 'î', 'ï':
			r = 'i'
		case 'ç':
			r = 'c'
		case 'ñ':
			r = 'n'
		case 'ß':
			b.WriteString("ss")
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// words splits folded s on anything that is not a letter or digit, with
// ® and ™ dropped.
func words(s string) []string {
	return strings.FieldsFunc(fold(s), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '&'
	})
}

// NormalizeVendor returns the comparable form of a vendor name: lower
// case, accents folded, punctuation removed, legal suffixes ("Inc",
// "GmbH", "and Company") dropped. "Becton, Dickinson and Company" becomes
// "becton dickinson".
func NormalizeVendor(s string) string {
	w := words(s)
	for len(w) > 1 && legalSuffixes[w[len(w)-1]] {
		w = w[:len(w)-1]
	}
	for len(w) > 1 && w[0] == "the" {
		w = w[1:]
	}
	return strings.Join(w, " ")
}

// MatchVendor reports whether a and b name the same company and why.
func MatchVendor(a, b string) (bool, string) {
	na, nb := NormalizeVendor(a), NormalizeVendor(b)
	if na == "" || nb == "" {
		return false, ""
	}
	if na == nb {
		if a == b {
			return true, "same vendor name"
		}
		return true, "same vendor after normalising case, punctuation and legal suffixes"
	}
	ga, ma := aliasOf(na)
	gb, mb := aliasOf(nb)
	if ga != nil && ga == gb {
		return true, aliasReason(ga, ma, mb)
	}
	// "Baxter Healthcare" vs "Baxter", "Masimo Corporation" vs "Masimo":
	// one name's words start the other's.
	wa, wb := strings.Fields(na), strings.Fields(nb)
	if len(wa) > len(wb) {
		wa, wb = wb, wa
	}
	if len(wa[0]) >= 3 && !genericVendorWords[wa[0]] && prefixOf(wa, wb) {
		if ga != nil && gb != nil && ga != gb {
			return false, ""
		}
		return true, "vendor name " + quote(strings.Join(wa, " ")) + " begins " + quote(strings.Join(wb, " "))
	}
	return false, ""
}

// aliasOf returns the alias group of the longest member whose words begin
// n ("philips medical systems nederland" -> Philips), and that member.
func aliasOf(n string) (*aliasGroup, string) {
	w := strings.Fields(n)
	for k := len(w); k > 0; k-- {
		m := strings.Join(w[:k], " ")
		if g := loadedTables().aliasIndex[m]; g != nil {
			return g, m
		}
	}
	return nil, ""
}

func aliasReason(g *aliasGroup, na, nb string) string {
	var why []string
	for _, n := range []string{na, nb} {
		if w := g.members[n]; w != "" {
			why = append(why, w)
		}
	}
	r := "alias: " + quote(na) + " and " + quote(nb) + " are both " + g.canonical
	if len(why) > 0 {
		r += " (" + strings.Join(why, "; ") + ")"
	}
	return r
}

func prefixOf(a, b []string) bool {
	if len(a) > len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// quote writes an outside name into a reason, bounded: a product name
// in a CSAF file can be any length.
func quote(s string) string {
	const max = 160
	if len(s) > max {
		cut := max
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "…"
	}
	return "“" + s + "”"
}

// modelTokens splits a model or product name into comparable tokens:
// folded, punctuation removed, and letters split from digits so that
// "MX40", "MX 40" and "MX-40" agree.
func modelTokens(s string) []string {
	var out []string
	for _, w := range words(s) {
		start := 0
		for i := 1; i <= len(w); i++ {
			if i == len(w) || isDigitByte(w[i]) != isDigitByte(w[i-1]) {
				out = append(out, w[start:i])
				start = i
			}
		}
	}
	return out
}

func isDigitByte(c byte) bool { return c >= '0' && c <= '9' }

// genericProductWords describe rather than name a product; a match made
// only of them is no match.
var genericProductWords = map[string]bool{
	"system": true, "systems": true, "series": true, "all": true, "models": true, "model": true,
	"device": true, "devices": true, "patient": true, "monitor": true, "monitors": true, "monitoring": true,
	"pump": true, "pumps": true, "infusion": true, "software": true, "firmware": true, "products": true,
	"product": true, "family": true, "the": true, "and": true, "of": true, "for": true, "with": true,
	"unit": true, "units": true, "medical": true, "station": true, "central": true, "module": true, "modules": true,
	"version": true, "versions": true, "v": true,
}

// distinctive reports whether a token sequence names something: it holds
// a number, or a non-generic word of four letters or more.
func distinctive(ts []string) bool {
	for _, t := range ts {
		if genericProductWords[t] {
			continue
		}
		if isDigitByte(t[0]) || len(t) >= 4 {
			return true
		}
	}
	return false
}

func stripGeneric(ts []string) []string {
	var out []string
	for _, t := range ts {
		if !genericProductWords[t] {
			out = append(out, t)
		}
	}
	return out
}

// contiguous reports whether needle occurs as a run inside hay.
func contiguous(needle, hay []string) bool {
	if len(needle) == 0 || len(needle) > len(hay) {
		return false
	}
outer:
	for i := 0; i+len(needle) <= len(hay); i++ {
		for j := range needle {
			if hay[i+j] != needle[j] {
				continue outer
			}
		}
		return true
	}
	return false
}

// containsAll reports whether every token of needle occurs in hay, in
// any order ("Alaris 8015 PC Unit" in "Alaris System PC Unit 8015").
func containsAll(hay, needle []string) bool {
	for _, n := range needle {
		found := false
		for _, h := range hay {
			if h == n {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

// Tokens returns the comparable tokens of a model or product name, for
// callers that match one name against many (MatchTokens).
func Tokens(s string) []string { return modelTokens(s) }

// MatchTokens is MatchModel on names already split by Tokens; the names
// are only used in the reason.
func MatchTokens(productTokens, modelTokens []string, product, model string) (bool, string) {
	return matchModelTokens(productTokens, modelTokens, product, model)
}

// MatchModel reports whether an advisory's product name covers a catalog
// model, and why. The model's words must appear together in the product
// name ("MX40" in "IntelliVue MX40"), or the product name (less generic
// words) must appear in the model ("Alaris System" covers "Alaris 8015":
// an advisory for a whole product family).
func MatchModel(product, model string) (bool, string) {
	return matchModelTokens(modelTokens(product), modelTokens(model), product, model)
}

func matchModelTokens(pt, mt []string, product, model string) (bool, string) {
	if len(mt) == 0 || len(pt) == 0 {
		return false, ""
	}
	if contiguous(mt, pt) && distinctive(mt) {
		if len(mt) == len(pt) {
			return true, "model " + quote(model) + " is product " + quote(product)
		}
		return true, "model " + quote(model) + " named in product " + quote(product)
	}
	core, mcore := stripGeneric(pt), stripGeneric(mt)
	if len(mcore) > 0 && distinctive(mcore) && containsAll(core, mcore) {
		return true, "model " + quote(model) + " words all in product " + quote(product)
	}
	if len(core) > 0 && distinctive(core) && contiguous(core, mt) {
		return true, "product family " + quote(product) + " covers model " + quote(model)
	}
	return false, ""
}

// vendorMentioned reports whether a product name written without a vendor
// ("Philips IntelliVue MX40 versions prior to B.06") starts with or
// contains a name of vendor, and returns the rest of the name.
func vendorMentioned(name, vendor string) (bool, string) {
	nv := NormalizeVendor(vendor)
	cands := []string{nv}
	if g, _ := aliasOf(nv); g != nil {
		for m := range g.members {
			cands = append(cands, m)
		}
	}
	nt := words(name)
	for _, c := range cands {
		ct := strings.Fields(c)
		if len(ct) == 0 || (len(ct) == 1 && len(ct[0]) < 2) {
			continue
		}
		if contiguous(ct, nt) {
			return true, "product name " + quote(name) + " names vendor " + quote(c)
		}
	}
	return false, ""
}
