package advisory

import (
	"errors"
	"strings"

	"github.com/biomed-rounds/rounds/reconcile/version"
)

// advisoryHits returns the CSAF hits of a device, cached per vendor,
// model and firmware. The slice is shared: callers must not modify it.
func (m *Matcher) advisoryHits(t Target) []Hit {
	key := [3]string{t.Vendor, t.Model, t.Firmware}
	if len(t.Aliases) > 0 {
		key[1] += "\x00" + strings.Join(t.Aliases, "\x00")
	}
	m.mu.RLock()
	hs, ok := m.hcache[key]
	m.mu.RUnlock()
	if ok {
		return hs
	}
	var hits []Hit
	cs := m.candidates(t.Vendor, t.Model)
	if names, notes, min := otherNames(t); len(names) > 0 {
		cs = m.aliasCandidates(t, cs, names, notes, min)
	}
	if len(cs) > 0 {
		fw, fwOK := version.Parse(t.Firmware)
		byDoc := map[*Advisory]int{}
		for _, c := range cs {
			ref := &m.prods[c.prod]
			h, ok := m.checkProduct(ref, c, t, fw, fwOK)
			if !ok {
				continue
			}
			if j, seen := byDoc[ref.adv]; seen {
				merge(&hits[j], h)
				continue
			}
			byDoc[ref.adv] = len(hits)
			hits = append(hits, h)
		}
	}
	sortHits(hits)
	m.mu.Lock()
	m.hcache[key] = hits
	m.mu.Unlock()
	return hits
}

func (m *Matcher) checkProduct(ref *prodRef, c cand, t Target, fw version.Version, fwOK bool) (Hit, bool) {
	a, p := ref.adv, ref.p
	h := Hit{Kind: KindCSAF, Document: a.ID, Title: a.Title, URL: a.URL, Product: strings.TrimSpace(p.Vendor + " " + p.Name), Version: p.Version}
	if len(p.Variants) > 0 {
		h.Product += " (" + strings.Join(p.Variants, " | ") + ")"
	}
	rng, understood := p.Range()
	if understood {
		h.Range = rng.String()
	}
	var vwhy string
	certainVersion := false
	switch {
	case !understood:
		vwhy = "version expression " + quote(p.Version) + " not understood: check by hand"
	case rng.All:
		certainVersion = true
		vwhy = "all versions affected"
	case !fwOK:
		vwhy = "firmware unknown; affected versions " + rng.String()
	case rng.Contains(fw):
		certainVersion = true
		vwhy = "firmware " + quote(t.Firmware) + " in " + quote(p.Version)
	default:
		return Hit{}, false
	}
	// Certain needs the product itself and a version inside the range;
	// a brand-level overlap stays possible whatever the version.
	h.Certain = c.level == Certain && certainVersion
	var rem []string
	seenRem := map[string]bool{}
	for _, vi := range ref.vulns {
		v := &a.Vulnerabilities[vi]
		if fwOK && fixedFor(a, v, t, fw) {
			continue
		}
		if v.CVE != "" {
			h.CVEs = append(h.CVEs, v.CVE)
		}
		h.CVSS = max(h.CVSS, v.CVSS)
		// The whole remediation, in the advisory's order: CISA splits one
		// paragraph ("... recommends the following:") from its list items.
		for _, r := range v.Remediations {
			if !appliesTo(r.ProductIDs, p.ID) || seenRem[r.Details] || strings.TrimSpace(r.Details) == "" {
				continue
			}
			seenRem[r.Details] = true
			rem = append(rem, strings.TrimSpace(r.Details))
		}
		if h.Fixed == "" {
			h.Fixed = fixedVersion(a, v, p)
		}
	}
	h.Remediation = strings.Join(rem, "\n")
	if strings.HasSuffix(h.Remediation, ":") && h.URL != "" {
		// CISA's CSAF extraction sometimes keeps a lead-in and drops the
		// list after it: say where the list is rather than end mid-sentence.
		h.Remediation += " (the list is on the advisory's page: " + h.URL + ")"
	}
	h.Severity = cvssSeverity(h.CVSS)
	if len(h.CVEs) == 0 && len(ref.vulns) > 0 && fwOK {
		// Every vulnerability lists this device's version as fixed.
		all := true
		for _, vi := range ref.vulns {
			if !fixedFor(a, &a.Vulnerabilities[vi], t, fw) {
				all = false
			}
		}
		if all {
			return Hit{}, false
		}
	}
	h.Reason = c.reason + "; " + vwhy
	if c.level == Possible {
		h.Reason += "; possible: the product is not named exactly"
	}
	if p.Note != "" {
		h.Reason += " (" + p.Note + ")"
	}
	return h, true
}

// cvssSeverity is the CVSS v3 qualitative rating of a base score.
func cvssSeverity(score float64) string {
	switch {
	case score >= 9:
		return "critical"
	case score >= 7:
		return "high"
	case score >= 4:
		return "medium"
	case score > 0:
		return "low"
	}
	return ""
}

func appliesTo(ids []string, id string) bool {
	if len(ids) == 0 {
		return true
	}
	for _, x := range ids {
		if x == id {
			return true
		}
	}
	return false
}

// fixedVersion returns the version a vulnerability lists as fixed for a
// product of the same name, if any.
func fixedVersion(a *Advisory, v *Vulnerability, p *Product) string {
	for _, id := range v.Fixed {
		for i := range a.Products {
			q := &a.Products[i]
			if q.ID == id && q.Name == p.Name && q.Version != "" {
				return q.Version
			}
		}
	}
	return ""
}

// fixedFor reports whether the vulnerability lists the device's version
// as fixed or not affected for a product naming the same model.
func fixedFor(a *Advisory, v *Vulnerability, t Target, fw version.Version) bool {
	for _, ids := range [][]string{v.Fixed, v.NotAffected} {
		for _, id := range ids {
			for i := range a.Products {
				p := &a.Products[i]
				if p.ID != id {
					continue
				}
				if ok, _ := MatchModel(p.Name, t.Model); !ok {
					continue
				}
				if rng, ok := p.Range(); ok && !rng.All && p.Version != "" {
					// A fixed product_version "3.1" means 3.1 and later
					// are fixed; ranges are taken as written.
					if fv, ok := version.Parse(p.Version); ok && fw.Compare(fv) >= 0 {
						return true
					}
					if rng.Contains(fw) {
						return true
					}
				}
			}
		}
	}
	return false
}

func merge(dst *Hit, h Hit) {
	if h.Certain && !dst.Certain {
		dst.Certain, dst.Reason, dst.Product, dst.Version, dst.Range = true, h.Reason, h.Product, h.Version, h.Range
	}
	seen := map[string]bool{}
	for _, c := range dst.CVEs {
		seen[c] = true
	}
	for _, c := range h.CVEs {
		if !seen[c] {
			dst.CVEs = append(dst.CVEs, c)
			seen[c] = true
		}
	}
	dst.CVSS = max(dst.CVSS, h.CVSS)
	if dst.Remediation == "" {
		dst.Remediation = h.Remediation
	}
	if dst.Fixed == "" {
		dst.Fixed = h.Fixed
	}
}

// matchRecalls checks the recalls of the device's vendor: the model must
// be named in the product description; a serial listed in the code
// information makes the match certain, a serial list without it makes the
// match possible.
func (m *Matcher) matchRecalls(t Target) []Hit {
	vh := m.vendorsFor(t.Vendor)
	if len(vh.recalls) == 0 {
		return nil
	}
	mt := stripGeneric(modelTokens(t.Model))
	if len(mt) == 0 || !distinctive(mt) {
		return nil
	}
	serial := modelTokens(t.Serial)
	var hits []Hit
	for k, i := range vh.recalls {
		ref := &m.recalls[i]
		if !containsAll(ref.desc, mt) {
			continue
		}
		h := Hit{Kind: KindRecall, Document: ref.r.ID, Title: ref.r.Reason, URL: ref.r.URL, Product: ref.r.Firm + ": " + clip(ref.r.Product), Certain: true, Severity: ref.r.Severity()}
		why := vh.rreason[k] + "; model " + quote(t.Model) + " words all in the product description"
		codesNameSerials := strings.Contains(strings.ToLower(ref.r.Codes), "serial") || strings.Contains(strings.ToLower(ref.r.Codes), "s/n")
		switch {
		case len(serial) > 0 && contiguous(serial, ref.codes):
			why += "; serial " + quote(t.Serial) + " listed in the code information"
		case codesNameSerials:
			h.Certain = false
			why += "; the recall lists serial numbers and this device's is not among them: check by hand"
		}
		h.Reason = why
		hits = append(hits, h)
	}
	return hits
}

// ErrNoDocuments reports an import with nothing to import.
var ErrNoDocuments = errors.New("advisory: no documents")
