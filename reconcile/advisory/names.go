package advisory

import (
	"strings"
	"unicode"
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

// aliasGroups are checked corporate relationships (acquisitions and
// brands). Baxter and Hospira are deliberately not linked: Hospira came
// from Abbott (2004), was bought by Pfizer (2015), and its infusion
// systems went to ICU Medical (2017).
var aliasGroups = []aliasGroup{
	{"GE HealthCare", map[string]string{
		"ge": "GE is the short name of General Electric", "general electric": "GE HealthCare was General Electric's healthcare business (spun off 2023)",
		"ge healthcare": "", "ge healthcare technologies": "", "ge medical systems": "GE Medical Systems is GE HealthCare's former name",
		"ge medical systems information technologies": "GE HealthCare's monitoring business", "ge medical": "",
		"datex ohmeda": "Datex-Ohmeda was acquired by GE in 2003",
	}},
	{"BD", map[string]string{
		"bd": "BD is Becton, Dickinson and Company", "becton dickinson": "", "bd carefusion": "",
		"carefusion":             "CareFusion was acquired by BD in 2015",
		"alaris":                 "Alaris infusion products passed to CareFusion (2009), acquired by BD in 2015",
		"alaris medical systems": "Alaris infusion products passed to CareFusion (2009), acquired by BD in 2015",
	}},
	{"Philips", map[string]string{
		"philips": "", "koninklijke philips": "Koninklijke Philips N.V. is Philips' legal name", "royal philips": "",
		"philips healthcare": "", "philips medical systems": "", "philips electronics": "",
		"philips respironics": "", "respironics": "Respironics was acquired by Philips in 2008",
		"phillips": "CISA misspells Philips as Phillips in ICSMA advisories",
	}},
	{"ICU Medical", map[string]string{
		"icu medical": "", "hospira": "Hospira's infusion systems were acquired by ICU Medical in 2017",
		"smiths medical": "Smiths Medical was acquired by ICU Medical in 2022",
	}},
	{"Baxter", map[string]string{
		"baxter": "", "baxter healthcare": "", "hill rom": "Hill-Rom (Hillrom) was acquired by Baxter in 2021",
		"hillrom":     "Hillrom was acquired by Baxter in 2021",
		"welch allyn": "Welch Allyn was acquired by Hill-Rom in 2015, which Baxter acquired in 2021",
		"gambro":      "Gambro was acquired by Baxter in 2013",
	}},
	{"Medtronic", map[string]string{
		"medtronic": "", "covidien": "Covidien was acquired by Medtronic in 2015",
		"nellcor": "Nellcor is a Covidien (now Medtronic) brand", "puritan bennett": "Puritan Bennett is a Covidien (now Medtronic) brand",
	}},
	{"Siemens Healthineers", map[string]string{
		"siemens": "", "siemens healthineers": "", "siemens healthcare": "Siemens Healthcare is Siemens Healthineers' former name",
		"siemens medical solutions": "Siemens Medical Solutions is Siemens Healthineers' US name",
	}},
	{"Drägerwerk", map[string]string{
		"drager": "", "draeger": "Draeger is the transliteration of Dräger", "dragerwerk": "", "draegerwerk": "",
		"drager medical": "", "draeger medical": "",
	}},
	{"B. Braun", map[string]string{"b braun": "", "b braun melsungen": "", "b braun medical": ""}},
	{"Canon Medical Systems", map[string]string{
		"canon medical systems": "", "canon medical": "", "toshiba medical systems": "Toshiba Medical Systems was acquired by Canon in 2016",
		"toshiba medical": "Toshiba Medical Systems was acquired by Canon in 2016",
	}},
	{"Fujifilm Healthcare", map[string]string{
		"fujifilm": "", "fujifilm healthcare": "", "fujifilm medical systems": "",
		"hitachi healthcare": "Hitachi's diagnostic imaging business was acquired by Fujifilm in 2021",
		"fujifilm sonosite":  "", "sonosite": "SonoSite was acquired by Fujifilm in 2012",
	}},
	{"Stryker", map[string]string{"stryker": "", "physio control": "Physio-Control was acquired by Stryker in 2016"}},
	{"Abbott", map[string]string{"abbott": "", "abbott laboratories": "", "st jude medical": "St. Jude Medical was acquired by Abbott in 2017"}},
	{"Alcon", map[string]string{
		"alcon": "", "alcon laboratories": "Alcon Laboratories, Inc. is the US operating company of Alcon",
		"alcon research": "Alcon Research, LLC (formerly Alcon Research, Ltd.) is Alcon's US R&D and manufacturing company, which files FDA recalls",
		"alcon vision":   "Alcon Vision, LLC is Alcon's US company (renamed from Alcon Laboratories in 2019)",
	}},
	{"Getinge", map[string]string{"getinge": "", "maquet": "Maquet is part of the Getinge group"}},
	{"Mindray", map[string]string{"mindray": "", "shenzhen mindray bio medical electronics": "", "mindray ds": "", "mindray north america": ""}},
	{"Spacelabs Healthcare", map[string]string{"spacelabs": "", "spacelabs healthcare": "", "spacelabs medical": ""}},
}

var aliasIndex = func() map[string]*aliasGroup {
	m := map[string]*aliasGroup{}
	for i := range aliasGroups {
		for name := range aliasGroups[i].members {
			m[name] = &aliasGroups[i]
		}
	}
	return m
}()

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
		if g := aliasIndex[m]; g != nil {
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

func quote(s string) string { return "“" + s + "”" }

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
