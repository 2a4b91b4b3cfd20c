package reconcile

import (
	"sort"
	"strings"
	"sync"

	"github.com/biomed-rounds/rounds/inventory"
	"github.com/biomed-rounds/rounds/reconcile/advisory"
	"github.com/biomed-rounds/rounds/scan"
)

// Catalog is the model catalog prepared for lookups. Build it once with
// NewCatalog; it is safe for concurrent use.
type Catalog struct {
	byID   map[int64]*inventory.Model
	byName map[[2]string]*inventory.Model
	// vendors groups models by normalised manufacturer.
	vendors map[string][]*inventory.Model
	// tokens holds each model name split for matching.
	tokens map[*inventory.Model][]string

	mu     sync.Mutex
	vcache map[string][]vendorRef
}

type vendorRef struct {
	key    string
	reason string
}

// NewCatalog prepares models for lookups.
func NewCatalog(models []inventory.Model) *Catalog {
	c := &Catalog{byID: map[int64]*inventory.Model{}, byName: map[[2]string]*inventory.Model{},
		vendors: map[string][]*inventory.Model{}, vcache: map[string][]vendorRef{}, tokens: map[*inventory.Model][]string{}}
	for i := range models {
		m := &models[i]
		if m.ID != 0 {
			c.byID[m.ID] = m
		}
		nv := advisory.NormalizeVendor(m.Manufacturer)
		c.byName[[2]string{nv, strings.ToLower(m.Model)}] = m
		c.vendors[nv] = append(c.vendors[nv], m)
		c.tokens[m] = advisory.Tokens(m.Model)
	}
	return c
}

// Model returns the catalog entry of a device, by model id or else by
// manufacturer and model name; nil when the catalog lacks it.
func (c *Catalog) Model(d *inventory.Device) *inventory.Model {
	if c == nil {
		return nil
	}
	if m, ok := c.byID[d.ModelID]; ok && d.ModelID != 0 {
		return m
	}
	if d.Model == "" {
		return nil
	}
	return c.byName[[2]string{advisory.NormalizeVendor(d.Manufacturer), strings.ToLower(d.Model)}]
}

// vendorModels returns the catalog vendors matching a vendor name seen on
// the wire (OUI organisation, BLE company, reported manufacturer).
func (c *Catalog) vendorModels(name string) []vendorRef {
	nv := advisory.NormalizeVendor(name)
	if nv == "" {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if r, ok := c.vcache[nv]; ok {
		return r
	}
	var out []vendorRef
	for k, ms := range c.vendors {
		if ok, why := advisory.MatchVendor(ms[0].Manufacturer, name); ok {
			out = append(out, vendorRef{k, why})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].key < out[j].key })
	c.vcache[nv] = out
	return out
}

// serviceClasses maps BLE health service UUIDs to words of the device
// classes that offer them.
var serviceClasses = map[string]string{
	"1808": "glucose", "1809": "thermometer", "180d": "heart rate", "1810": "blood pressure",
	"181f": "glucose", "181d": "scale", "1822": "oximeter", "183a": "insulin",
}

// Candidates guesses the catalog model of an unknown device from the
// vendor names it gave (reported manufacturer, OUI, BLE company), the
// model it reported or its BLE name and fingerprints mention, and the
// health services it advertises. It returns at most n guesses, best
// first, each with its reason.
func (c *Catalog) Candidates(o *scan.Observation, n int) []Candidate {
	if c == nil {
		return nil
	}
	type vsrc struct {
		name   string
		weight float64
		what   string
	}
	var vs []vsrc
	if o.Hints.Manufacturer != "" {
		vs = append(vs, vsrc{o.Hints.Manufacturer, 0.5, "reported manufacturer"})
	}
	if o.Vendor != "" {
		w, what := 0.35, "MAC OUI registered to"
		if o.Source == scan.SourceBLE {
			w, what = 0.3, "BLE company"
		}
		vs = append(vs, vsrc{o.Vendor, w, what})
	}
	if o.BLE != nil {
		for _, md := range o.BLE.ManufacturerData {
			if md.Company != "" && md.Company != o.Vendor {
				vs = append(vs, vsrc{md.Company, 0.3, "BLE company"})
			}
		}
	}
	text := modelText(o)
	scores := map[*inventory.Model]*Candidate{}
	consider := func(m *inventory.Model, score float64, reason string) {
		cd := scores[m]
		if cd == nil {
			cd = &Candidate{Manufacturer: m.Manufacturer, Model: m.Model}
			scores[m] = cd
		}
		if score > 0 {
			cd.Score += score
			if cd.Reason != "" {
				cd.Reason += "; "
			}
			cd.Reason += reason
		}
	}
	vendorSeen := map[*inventory.Model]bool{}
	for _, v := range vs {
		for _, ref := range c.vendorModels(v.name) {
			for _, m := range c.vendors[ref.key] {
				if vendorSeen[m] {
					continue
				}
				vendorSeen[m] = true
				consider(m, v.weight, v.what+" "+quote(v.name)+" ("+ref.reason+")")
			}
		}
	}
	// Model evidence: from the reported model, against every model when
	// no vendor narrowed the field, else against the vendor's models.
	pool := make([]*inventory.Model, 0, len(scores))
	if len(scores) == 0 && o.Hints.Model != "" {
		for _, ms := range c.vendors {
			pool = append(pool, ms...)
		}
	} else {
		for m := range scores {
			pool = append(pool, m)
		}
		sort.Slice(pool, func(i, j int) bool {
			return pool[i].Manufacturer+"\x00"+pool[i].Model < pool[j].Manufacturer+"\x00"+pool[j].Model
		})
	}
	hintTokens := advisory.Tokens(o.Hints.Model)
	textTokens := make([][]string, len(text))
	for i, t := range text {
		textTokens[i] = advisory.Tokens(t)
	}
	for _, m := range pool {
		mt := c.tokens[m]
		if len(hintTokens) > 0 {
			if ok, why := advisory.MatchTokens(hintTokens, mt, o.Hints.Model, m.Model); ok {
				consider(m, 0.45, "reported model: "+why)
				scores[m].ReportedModel = true
				continue
			}
		}
		for i, tt := range textTokens {
			if ok, why := advisory.MatchTokens(tt, mt, text[i], m.Model); ok {
				consider(m, 0.25, why)
				break
			}
		}
	}
	if o.BLE != nil {
		for _, s := range o.BLE.Services {
			word, ok := serviceClasses[strings.ToLower(s)]
			if !ok {
				continue
			}
			for m, cd := range scores {
				if strings.Contains(strings.ToLower(m.DeviceClass), word) {
					cd.Score += 0.15
					cd.Reason += "; advertises the " + word + " service (0x" + strings.ToUpper(s) + ")"
				}
			}
		}
	}
	out := make([]Candidate, 0, len(scores))
	for _, cd := range scores {
		if cd.Score >= 0.3 {
			cd.Score = min(cd.Score, 0.95)
			out = append(out, *cd)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Score != out[j].Score {
			return out[i].Score > out[j].Score
		}
		return out[i].Manufacturer+out[i].Model < out[j].Manufacturer+out[j].Model
	})
	if len(out) > n {
		out = out[:n]
	}
	return out
}

// signature is what Candidates looks at, so that identical unknown
// devices share one computation.
func signature(o *scan.Observation) string {
	var b strings.Builder
	b.WriteString(o.Hints.Manufacturer)
	b.WriteByte(0)
	b.WriteString(o.Hints.Model)
	b.WriteByte(0)
	b.WriteString(o.Vendor)
	b.WriteByte(0)
	if o.BLE != nil {
		for _, md := range o.BLE.ManufacturerData {
			b.WriteString(md.Company)
			b.WriteByte(1)
		}
		b.WriteString(strings.Join(o.BLE.Services, ","))
	}
	for _, t := range modelText(o) {
		b.WriteByte(0)
		b.WriteString(t)
	}
	return b.String()
}

// modelText gathers the strings an observation offers that may name its
// model: BLE name, hostname, fingerprint titles and product fields.
func modelText(o *scan.Observation) []string {
	var out []string
	if o.BLE != nil && o.BLE.Name != "" {
		out = append(out, o.BLE.Name)
	}
	if o.Hostname != "" {
		out = append(out, o.Hostname)
	}
	for _, f := range o.Fingerprints {
		for _, k := range []string{"modelName", "model", "title", "friendlyName", "product", "server", "sysDescr"} {
			if v := f.Fields[k]; v != "" {
				out = append(out, v)
			}
		}
	}
	return out
}

func quote(s string) string { return "“" + s + "”" }
