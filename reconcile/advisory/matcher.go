package advisory

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/biomed-rounds/rounds/inventory"
)

// Document is what one file held: an advisory or a set of recalls.
type Document struct {
	Kind     Kind
	Advisory *Advisory
	Recalls  []Recall
	// Skipped says which records of a recall file were skipped and why;
	// the others were read.
	Skipped []string
}

// Parse detects the kind of data and parses it; name labels errors.
func Parse(name string, data []byte) (Document, error) {
	if len(data) > MaxDocument {
		return Document{}, fmt.Errorf("%s: %w: over the limit of %s", name, ErrTooLarge, inventory.FormatSize(MaxDocument))
	}
	k, err := Detect(data)
	if err != nil {
		// Report where the JSON breaks, if it does.
		var v any
		if jerr := json.Unmarshal(bytes.TrimSpace(data), &v); jerr != nil {
			return Document{}, jsonError(name, data, jerr)
		}
		return Document{}, fmt.Errorf("%s: %w", name, err)
	}
	switch k {
	case KindCSAF:
		a, err := ParseCSAF(name, data)
		return Document{Kind: k, Advisory: a}, err
	default:
		rs, skipped, err := ParseRecallsReport(name, data)
		return Document{Kind: k, Recalls: rs, Skipped: skipped}, err
	}
}

// Target is what a device offers for matching.
type Target struct {
	Vendor   string
	Model    string
	Firmware string
	Serial   string
	// Aliases are other names of the model for advisory matching (its
	// marketing name, its model number: "Spectrum IQ" and "35700BAX3"),
	// as a catalog may carry them; each is tried like the model.
	Aliases []string
}

// Hit is one advisory or recall that applies (or may apply) to a device.
type Hit struct {
	Kind     Kind   `json:"kind"`
	Document string `json:"document"`
	Title    string `json:"title,omitempty"`
	URL      string `json:"url,omitempty"`
	// CVEs lists the vulnerabilities of an advisory that apply.
	CVEs []string `json:"cves,omitempty"`
	CVSS float64  `json:"cvss,omitempty"`
	// Product is the product as the document names it, with its vendor.
	Product string `json:"product"`
	// Version is the document's version expression as written.
	Version string `json:"version,omitempty"`
	// Certain is false for a possible match: the device's firmware is
	// unknown, or the document's version expression was not understood.
	Certain bool `json:"certain"`
	// Severity grades the hit: a recall by its FDA class ("critical" for
	// Class I, "warning" for II, "notice" for III); an advisory by its
	// highest CVSS base score ("critical" from 9.0, "high" from 7.0,
	// "medium" from 4.0, else "low").
	Severity string `json:"severity,omitempty"`
	// Reason says why the document applies: vendor, model and version.
	Reason string `json:"reason"`
	// Remediation is the whole of the vendor's fixes and mitigations for
	// the product, paragraphs joined by newlines.
	Remediation string `json:"remediation,omitempty"`
	// Range is the affected range as understood, canonically written.
	Range string `json:"range,omitempty"`
	// Fixed is the version the advisory lists as fixed, when it does.
	Fixed string `json:"fixed,omitempty"`
}

// Matcher matches devices against a set of advisories and recalls. It is
// safe for concurrent use; results per vendor and model are cached so
// that a large inventory costs one product scan per distinct model.
type Matcher struct {
	prods   []prodRef
	byVend  map[string][]int // normalised vendor -> prods
	noVend  []int            // prods named without a vendor
	recalls []recallRef

	mu     sync.RWMutex
	vcache map[string]vendorHits // by normalised vendor
	rcache map[string]vendorHits // by vendor as given
	mcache map[[2]string][]cand
	// hcache holds the advisory hits per vendor, model and firmware: the
	// same model at the same firmware meets the same advisories.
	hcache map[[3]string][]Hit
}

type prodRef struct {
	adv *Advisory
	p   *Product
	// vendorWords are the words of the product's vendor, dropped from
	// names that repeat it ("Baxter Spectrum").
	vendorWords map[string]bool
	// vulns affecting this product, and the fixed/not-affected products
	// of those vulnerabilities.
	vulns []int
}

type recallRef struct {
	r      *Recall
	vendor string
	desc   []string
	codes  []string
}

type vendorHits struct {
	prods   []int
	reasons []string
	recalls []int
	rreason []string
}

type cand struct {
	prod   int
	level  Level
	reason string
}

// NewMatcher indexes advisories and recalls for matching.
func NewMatcher(advs []*Advisory, recalls []Recall) *Matcher {
	m := &Matcher{byVend: map[string][]int{}, vcache: map[string]vendorHits{}, rcache: map[string]vendorHits{}, mcache: map[[2]string][]cand{}, hcache: map[[3]string][]Hit{}}
	for _, a := range advs {
		// Parse every range now, so that matching never writes to the
		// products (Match runs concurrently).
		for i := range a.Products {
			if p := &a.Products[i]; p.rng.Text == "" && p.rngErr == nil {
				p.parseRange()
			}
		}
		affecting := map[string][]int{}
		for vi, v := range a.Vulnerabilities {
			for _, id := range v.Affected {
				affecting[id] = append(affecting[id], vi)
			}
		}
		for i := range a.Products {
			p := &a.Products[i]
			vs := affecting[p.ID]
			if len(vs) == 0 {
				continue // only affected products raise flags
			}
			ref := prodRef{adv: a, p: p, vulns: vs, vendorWords: vendorWordSet(p.Vendor)}
			idx := len(m.prods)
			m.prods = append(m.prods, ref)
			if nv := NormalizeVendor(p.Vendor); nv != "" {
				m.byVend[nv] = append(m.byVend[nv], idx)
			} else {
				m.noVend = append(m.noVend, idx)
			}
		}
	}
	for i := range recalls {
		r := &recalls[i]
		m.recalls = append(m.recalls, recallRef{r: r, vendor: r.Firm, desc: stripGeneric(modelTokens(r.Product)), codes: modelTokens(r.Codes)})
	}
	return m
}

// vendorsFor returns the products and recalls whose vendor matches, with
// the reason, cached per normalised vendor.
func (m *Matcher) vendorsFor(vendor string) vendorHits {
	m.mu.RLock()
	vh, ok := m.rcache[vendor]
	m.mu.RUnlock()
	if ok {
		return vh
	}
	nv := NormalizeVendor(vendor)
	m.mu.RLock()
	vh, ok = m.vcache[nv]
	m.mu.RUnlock()
	if ok {
		m.mu.Lock()
		m.rcache[vendor] = vh
		m.mu.Unlock()
		return vh
	}
	for pv, idxs := range m.byVend {
		if ok, why := MatchVendor(pv, vendor); ok {
			for _, i := range idxs {
				vh.prods = append(vh.prods, i)
				vh.reasons = append(vh.reasons, why)
			}
		}
	}
	for _, i := range m.noVend {
		if ok, why := vendorMentioned(m.prods[i].p.Name, vendor); ok {
			vh.prods = append(vh.prods, i)
			vh.reasons = append(vh.reasons, why)
		}
	}
	for i, r := range m.recalls {
		if ok, why := MatchVendor(r.vendor, vendor); ok {
			vh.recalls = append(vh.recalls, i)
			vh.rreason = append(vh.rreason, why)
		}
	}
	m.mu.Lock()
	m.vcache[nv] = vh
	m.rcache[vendor] = vh
	m.mu.Unlock()
	return vh
}

// candidates returns the affected products naming vendor and model,
// with how firmly each names it.
func (m *Matcher) candidates(vendor, model string) []cand {
	key := [2]string{vendor, model}
	m.mu.RLock()
	cs, ok := m.mcache[key]
	m.mu.RUnlock()
	if ok {
		return cs
	}
	vh := m.vendorsFor(vendor)
	devVendor := vendorWordSet(vendor)
	for k, i := range vh.prods {
		ref := &m.prods[i]
		vw := unionWords(devVendor, ref.vendorWords)
		dev := newIdent(model, vw)
		lv, why := productLevel(ref.p, &dev, vw)
		if lv > NoMatch {
			cs = append(cs, cand{prod: i, level: lv, reason: vh.reasons[k] + "; " + why})
		}
	}
	m.mu.Lock()
	m.mcache[key] = cs
	m.mu.Unlock()
	return cs
}

// aliasCandidates adds the products named by the model's other names
// (names[i], noted by notes[i] in the reason, at least min[i] firmly),
// keeping for each product the firmest level.
func (m *Matcher) aliasCandidates(t Target, cs []cand, names, notes []string, min []Level) []cand {
	best := map[int]int{}
	out := append([]cand(nil), cs...)
	for i, c := range out {
		best[c.prod] = i
	}
	for k, al := range names {
		if strings.TrimSpace(al) == "" {
			continue
		}
		for _, c := range m.candidates(t.Vendor, al) {
			if c.level < min[k] {
				continue
			}
			c.reason += " (" + notes[k] + ")"
			if i, seen := best[c.prod]; seen {
				if c.level > out[i].level {
					out[i] = c
				}
				continue
			}
			best[c.prod] = len(out)
			out = append(out, c)
		}
	}
	return out
}

// otherNames lists a target's catalog aliases and the reviewed renames of
// its model, with a note for each saying where the name comes from and
// the least level it may give. A rename is a statement of identity: it
// may make a product certain, but the brand words of the other name
// ("IntelliVue" of IntelliVue Information Center iX) add no possible
// flags the device's own name does not give.
func otherNames(t Target) (names, notes []string, min []Level) {
	for _, al := range t.Aliases {
		names = append(names, al)
		notes = append(notes, "catalog alias "+quote(al)+" of model "+quote(t.Model))
		min = append(min, Possible)
	}
	for _, n := range append([]string{t.Model}, t.Aliases...) {
		rn, why := renamedAs(t.Vendor, n)
		names = append(names, rn...)
		notes = append(notes, why...)
		for range rn {
			min = append(min, Certain)
		}
	}
	return names, notes, min
}

// productLevel is how firmly a product (its name, the model numbers and
// variants CISA lists for it) names a device model. The family branch
// above the product never makes a match on its own.
func productLevel(p *Product, dev *ident, vw map[string]bool) (Level, string) {
	best, why := NoMatch, ""
	name := newIdent(p.Name, vw)
	if lv, w := name.covers(dev); lv > best {
		best, why = lv, w
	}
	for _, alt := range append(append([]string(nil), p.Models...), p.Variants...) {
		if best == Certain {
			break
		}
		// A bare number ("100" under "GE Aespire") means nothing alone.
		if isNumber(strings.Join(words(alt), "")) {
			alt = p.Name + " " + alt
		}
		id := newIdent(alt, vw)
		// A variant or model number inherits the product's type words:
		// "MMT-1715" under "MiniMed 630G" is the pump.
		for t := range name.types {
			id.types[t] = true
		}
		id.excl = append(id.excl, name.excl...)
		if lv, w := id.covers(dev); lv > best {
			best, why = lv, w
		}
	}
	return best, why
}

func equalTokens(a, b []string) bool {
	if len(a) != len(b) || len(a) == 0 {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// Match returns the advisories and recalls that apply to the device, one
// hit per document, certain ones first. The returned slice may be shared
// with other calls: do not modify it.
func (m *Matcher) Match(t Target) []Hit {
	if t.Vendor == "" || t.Model == "" {
		return nil
	}
	hits := m.advisoryHits(t)
	if rs := m.matchRecalls(t); len(rs) > 0 {
		hits = append(append([]Hit(nil), hits...), rs...)
		sortHits(hits)
	}
	return hits
}

func sortHits(hits []Hit) {
	sort.SliceStable(hits, func(i, j int) bool {
		if hits[i].Certain != hits[j].Certain {
			return hits[i].Certain
		}
		return hits[i].CVSS > hits[j].CVSS
	})
}
