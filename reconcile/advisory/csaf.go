package advisory

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/biomed-rounds/rounds/inventory"
	"github.com/biomed-rounds/rounds/reconcile/version"
)

// Sentinel errors.
var (
	// ErrFormat reports bytes that are neither a CSAF document nor an
	// openFDA recall file.
	ErrFormat = errors.New("advisory: not a CSAF 2.0 document or openFDA recall file")
	// ErrTooLarge reports a document over MaxDocument bytes.
	ErrTooLarge = errors.New("advisory: document too large")
)

// MaxDocument bounds the size of one document. CISA's largest ICSMA
// documents are well under a megabyte.
const MaxDocument = 32 << 20

// maxDepth bounds product tree nesting; real trees are three or four deep.
const maxDepth = 32

// Advisory is a security advisory flattened for matching.
type Advisory struct {
	// ID is the CSAF tracking id, for example "ICSMA-24-123-01".
	ID        string    `json:"id"`
	Title     string    `json:"title"`
	Publisher string    `json:"publisher,omitempty"`
	Revision  string    `json:"revision,omitempty"`
	Status    string    `json:"status,omitempty"`
	Released  time.Time `json:"released,omitzero"`
	Initial   time.Time `json:"initial,omitzero"`
	// URL links the advisory (the "self" reference, else the first
	// external one).
	URL             string          `json:"url,omitempty"`
	Products        []Product       `json:"products"`
	Vulnerabilities []Vulnerability `json:"vulnerabilities"`
}

// Product is one leaf of the product tree (or a full product name, or a
// relationship), with the vendor and product names of its branches.
type Product struct {
	ID     string `json:"id"`
	Vendor string `json:"vendor,omitempty"`
	// Name joins the product family and product name branches.
	Name string `json:"name"`
	// Version is the version expression as written ("<= 4.2", "2.X",
	// "All versions"); empty when the tree gives none (all versions).
	Version string `json:"version,omitempty"`
	// Models are the product identification helper's model numbers.
	Models []string `json:"models,omitempty"`
	// Variants are model names or numbers CISA wrote in the version
	// branch ("MMT-1715 | MMT-1754", "882300 Gemini 16 Slice"): each names
	// the product as exactly as its name does.
	Variants []string `json:"variants,omitempty"`
	// Family is the product family branch above the product name, kept
	// apart: a family-level overlap is only a possible match.
	Family string `json:"family,omitempty"`
	// Note says how the product was formed ("Windows 7 installed on ...").
	Note string `json:"note,omitempty"`

	rng    version.Range
	rngErr error
	// full is the CSAF full product name ("InTouch ICU Bed (enabled with
	// Bed Wireless): Models 2131 and 2141"), read by splitVersion.
	full string
}

// Range returns the product's version range and whether it was
// understood. A product without a version expression covers all versions.
func (p *Product) Range() (version.Range, bool) {
	if p.Version == "" {
		return version.Range{All: true, Text: "all versions"}, true
	}
	if p.rng.Text == "" && p.rngErr == nil {
		p.parseRange()
	}
	return p.rng, p.rngErr == nil
}

var (
	// modelInVersion is "v6.x model 35700BAX": a version and the model
	// number it applies to.
	modelInVersion = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`(?i)^(.*\S)\s+models?\s+([A-Za-z0-9][A-Za-z0-9\-]*)$`)
	})
	// trailingNote is a parenthesis or clause after the version: "<= 1.54
	// (integrated into GE MobileLink)", "<= 11.2 on Windows 8.1".
	trailingNote = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`(?i)^(.*?\S)\s*(\(.*|\s(?:on|running on|running|with)\s.*)$`)
	})
	// proseWords mark a sentence, not model names: "see vendor notice for
	// affected builds" stays a version expression not understood.
	proseWords = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`(?i)\b(see|refer|contact|notice|affected|vendor|builds?|versions?|releases?|prior|before|after|later|earlier|all|any|unknown|latest|current|supported|only|from|until|since)\b`)
	})
	dateWords = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`(?i)\b(jan(uary)?|feb(ruary)?|march|april|may|june|july|aug(ust)?|sept?(ember)?|oct(ober)?|nov(ember)?|dec(ember)?|shipped|distributed|manufactured|windows|option)\b`)
	})
)

var (
	// modelLabel finds "Model 3002" / "Models 2131 and 2141" in a full
	// product name: what follows the label are model numbers.
	modelLabel = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`(?i)\bmodels?\s+(.+)$`) })
	// modelNumber is a bare model number: four or more digits and at most
	// one letter after them ("24950", "2490C"). Firmware versions CISA
	// writes carry dots, letters first or few digits ("8", "A10", "BT06").
	modelNumber = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[0-9]{4,}[A-Za-z]?$`) })
	// versionValueSep splits a list of values in a version branch.
	versionValueSep = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`(?i)\s*(?:\||,|;|/|\band\b)\s*`) })
)

// modelsInVersion returns the model numbers CISA wrote in a version
// branch, or nil when it holds versions. The values are models when the
// full product name labels them so ("Model 3002", "Models 2131 and
// 2141", "Models 3002 S3 and 3005 S3"), or, whatever the label, when
// every one is a bare model number of four or more digits ("24950 |
// 24952" under "MyCareLink Monitor: Versions 24950 and 24952"; "2490C").
// A value with a range operator, a dot or prose is never a model.
func modelsInVersion(v, full string) []string {
	if v == "" || strings.ContainsAny(v, "<>=*.") || proseWords().MatchString(v) || dateWords().MatchString(v) {
		return nil
	}
	var vs []string
	for _, part := range versionValueSep().Split(v, -1) {
		if part = strings.TrimSpace(part); part != "" {
			vs = append(vs, part)
		}
	}
	if len(vs) == 0 {
		return nil
	}
	bare := true
	for _, x := range vs {
		bare = bare && modelNumber().MatchString(x)
	}
	if bare {
		return vs
	}
	m := modelLabel().FindStringSubmatch(full)
	if m == nil {
		return nil
	}
	label := words(m[1])
	for _, x := range vs {
		// Each value must be written after the label, and carry a digit.
		if !contiguous(words(x), label) || !strings.ContainsAny(x, "0123456789") {
			return nil
		}
	}
	return vs
}

// splitVersion separates what CISA puts in a version branch besides the
// version: a model number ("v6.x model 35700BAX"), a trailing note, or,
// when the branch holds no version at all but model names
// ("MMT-1715 | MMT-1754"), the variants of the product.
func (p *Product) splitVersion() {
	v := strings.TrimSpace(p.Version)
	if v == "" {
		return
	}
	if m := modelInVersion().FindStringSubmatch(v); m != nil {
		v = m[1]
		p.Models = append(p.Models, m[2])
	}
	if ms := modelsInVersion(v, p.full); ms != nil {
		// Model numbers, not versions: they name the product, and no
		// firmware range is given.
		p.Variants, p.Version = append(p.Variants, ms...), ""
		return
	}
	if _, err := version.ParseRange(v); err != nil {
		if m := trailingNote().FindStringSubmatch(v); m != nil {
			if _, err := version.ParseRange(m[1]); err == nil {
				p.Note = strings.TrimSpace(strings.Trim(strings.TrimSpace(m[2]), "()"))
				v = m[1]
			}
		}
	}
	if _, err := version.ParseRange(v); err != nil && !strings.ContainsAny(v, "<>=*") && !dateWords().MatchString(v) {
		// No version in it: model names or numbers.
		var vs []string
		for _, part := range strings.FieldsFunc(v, func(r rune) bool { return r == '|' || r == '/' }) {
			if part = strings.TrimSpace(part); part != "" {
				vs = append(vs, part)
			}
		}
		if len(vs) > 0 && !proseWords().MatchString(v) {
			p.Variants, v = vs, ""
		}
	}
	p.Version = v
}

func (p *Product) parseRange() {
	p.rng, p.rngErr = version.ParseRange(p.Version)
	if p.rngErr != nil {
		p.rng.Text = p.Version
	}
}

// Vulnerability is one CVE (or unnamed issue) with the products it touches.
type Vulnerability struct {
	CVE      string  `json:"cve,omitempty"`
	Title    string  `json:"title,omitempty"`
	CWE      string  `json:"cwe,omitempty"`
	CVSS     float64 `json:"cvss,omitempty"`
	Severity string  `json:"severity,omitempty"`
	Vector   string  `json:"vector,omitempty"`
	// Affected lists product ids from known_affected, first_affected and
	// last_affected; Fixed from fixed and first_fixed.
	Affected           []string      `json:"affected,omitempty"`
	Fixed              []string      `json:"fixed,omitempty"`
	NotAffected        []string      `json:"not_affected,omitempty"`
	UnderInvestigation []string      `json:"under_investigation,omitempty"`
	Remediations       []Remediation `json:"remediations,omitempty"`
}

// Remediation is a vendor fix, mitigation or workaround.
type Remediation struct {
	Category   string   `json:"category"`
	Details    string   `json:"details"`
	URL        string   `json:"url,omitempty"`
	ProductIDs []string `json:"product_ids,omitempty"`
}

// MaxCVSS returns the highest CVSS base score of the advisory.
func (a *Advisory) MaxCVSS() float64 {
	var m float64
	for _, v := range a.Vulnerabilities {
		m = max(m, v.CVSS)
	}
	return m
}

// The CSAF 2.0 wire shapes, only the parts matching needs.
type csafDoc struct {
	Document *struct {
		Category    string `json:"category"`
		CSAFVersion string `json:"csaf_version"`
		Title       string `json:"title"`
		Publisher   struct {
			Name string `json:"name"`
		} `json:"publisher"`
		Tracking struct {
			ID                 string `json:"id"`
			Version            string `json:"version"`
			Status             string `json:"status"`
			CurrentReleaseDate string `json:"current_release_date"`
			InitialReleaseDate string `json:"initial_release_date"`
		} `json:"tracking"`
		References []struct {
			Category string `json:"category"`
			URL      string `json:"url"`
		} `json:"references"`
	} `json:"document"`
	ProductTree *struct {
		Branches         []csafBranch      `json:"branches"`
		FullProductNames []csafFullProduct `json:"full_product_names"`
		Relationships    []struct {
			Category                  string          `json:"category"`
			ProductReference          string          `json:"product_reference"`
			RelatesToProductReference string          `json:"relates_to_product_reference"`
			FullProductName           csafFullProduct `json:"full_product_name"`
		} `json:"relationships"`
	} `json:"product_tree"`
	Vulnerabilities []struct {
		CVE   string `json:"cve"`
		Title string `json:"title"`
		CWE   *struct {
			ID   string `json:"id"`
			Name string `json:"name"`
		} `json:"cwe"`
		ProductStatus map[string][]string `json:"product_status"`
		Scores        []struct {
			Products []string `json:"products"`
			CVSSv3   *struct {
				BaseScore    float64 `json:"baseScore"`
				BaseSeverity string  `json:"baseSeverity"`
				VectorString string  `json:"vectorString"`
			} `json:"cvss_v3"`
			CVSSv2 *struct {
				BaseScore float64 `json:"baseScore"`
			} `json:"cvss_v2"`
		} `json:"scores"`
		Remediations []struct {
			Category   string   `json:"category"`
			Details    string   `json:"details"`
			URL        string   `json:"url"`
			ProductIDs []string `json:"product_ids"`
		} `json:"remediations"`
	} `json:"vulnerabilities"`
}

type csafBranch struct {
	Category string           `json:"category"`
	Name     string           `json:"name"`
	Branches []csafBranch     `json:"branches"`
	Product  *csafFullProduct `json:"product"`
}

type csafFullProduct struct {
	Name      string `json:"name"`
	ProductID string `json:"product_id"`
	Helper    *struct {
		ModelNumbers []string `json:"model_numbers"`
		CPE          string   `json:"cpe"`
	} `json:"product_identification_helper"`
}

// icsmaID is a CISA medical advisory id, whose page address it gives.
var icsmaID = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^(?i)icsma-\d{2}-\d{3}-\d{2}[a-z]?$`) })

func isRawJSON(u string) bool { return strings.HasSuffix(strings.ToLower(u), ".json") }

// ParseCSAF parses one CSAF 2.0 document. name labels errors (usually the
// file name). Unknown fields are ignored; missing required ones
// (document.category, document.tracking.id, product_tree) are errors that
// name the field.
func ParseCSAF(name string, data []byte) (*Advisory, error) {
	if len(data) > MaxDocument {
		return nil, fmt.Errorf("%s: %w: over the limit of %s", name, ErrTooLarge, inventory.FormatSize(MaxDocument))
	}
	var d csafDoc
	if err := json.Unmarshal(data, &d); err != nil {
		return nil, jsonError(name, data, err)
	}
	if d.Document == nil {
		return nil, fmt.Errorf("%s: document: missing (%w)", name, ErrFormat)
	}
	if !strings.HasPrefix(d.Document.Category, "csaf_") {
		return nil, fmt.Errorf("%s: document.category: %q is not a CSAF profile", name, clip(d.Document.Category))
	}
	if v := d.Document.CSAFVersion; v != "" && !strings.HasPrefix(v, "2.") {
		return nil, fmt.Errorf("%s: document.csaf_version: %q not supported (want 2.x)", name, clip(v))
	}
	tr := d.Document.Tracking
	if strings.TrimSpace(tr.ID) == "" {
		return nil, fmt.Errorf("%s: document.tracking.id: missing", name)
	}
	if d.ProductTree == nil {
		return nil, fmt.Errorf("%s: product_tree: missing", name)
	}
	a := &Advisory{ID: strings.TrimSpace(tr.ID), Title: d.Document.Title, Publisher: d.Document.Publisher.Name,
		Revision: tr.Version, Status: tr.Status, Released: parseTime(tr.CurrentReleaseDate), Initial: parseTime(tr.InitialReleaseDate)}
	// The advisory's own page: CISA lists two "self" references, the raw
	// JSON and the web page; a technician wants the page.
	for _, r := range d.Document.References {
		if r.Category == "self" && (a.URL == "" || isRawJSON(a.URL) && !isRawJSON(r.URL)) {
			a.URL = r.URL
		}
	}
	if (a.URL == "" || isRawJSON(a.URL)) && icsmaID().MatchString(a.ID) {
		a.URL = "https://www.cisa.gov/news-events/ics-medical-advisories/" + strings.ToLower(a.ID)
	}
	if a.URL == "" && len(d.Document.References) > 0 {
		a.URL = d.Document.References[0].URL
	}
	byID := map[string]int{}
	add := func(p Product) {
		if p.ID == "" {
			return
		}
		if _, dup := byID[p.ID]; dup {
			return
		}
		byID[p.ID] = len(a.Products)
		a.Products = append(a.Products, p)
	}
	for i := range d.ProductTree.Branches {
		if err := walk(&d.ProductTree.Branches[i], branchCtx{}, 1, add); err != nil {
			return nil, fmt.Errorf("%s: product_tree.branches[%d]: %w", name, i, err)
		}
	}
	for _, f := range d.ProductTree.FullProductNames {
		add(fromFullName(f))
	}
	for _, r := range d.ProductTree.Relationships {
		comp, okc := byID[r.ProductReference]
		plat, okp := byID[r.RelatesToProductReference]
		p := Product{ID: r.FullProductName.ProductID, Name: r.FullProductName.Name}
		if okp {
			pp := a.Products[plat]
			p.Vendor, p.Name, p.Version, p.Models = pp.Vendor, pp.Name, pp.Version, pp.Models
		}
		if okc {
			cp := a.Products[comp]
			p.Note = strings.TrimSpace(cp.Vendor+" "+cp.Name+" "+cp.Version) + " " + strings.ReplaceAll(r.Category, "_", " ")
			if okp {
				p.Note += " " + a.Products[plat].Name
			}
		}
		if !okp {
			p = fromFullName(r.FullProductName)
		}
		add(p)
	}
	for _, v := range d.Vulnerabilities {
		vu := Vulnerability{CVE: v.CVE, Title: v.Title}
		if v.CWE != nil {
			vu.CWE = strings.TrimSpace(v.CWE.ID + " " + v.CWE.Name)
		}
		for k, ids := range v.ProductStatus {
			switch k {
			case "known_affected", "first_affected", "last_affected":
				vu.Affected = append(vu.Affected, ids...)
			case "fixed", "first_fixed":
				vu.Fixed = append(vu.Fixed, ids...)
			case "known_not_affected":
				vu.NotAffected = append(vu.NotAffected, ids...)
			case "under_investigation":
				vu.UnderInvestigation = append(vu.UnderInvestigation, ids...)
			}
		}
		for _, s := range v.Scores {
			if s.CVSSv3 != nil && s.CVSSv3.BaseScore > vu.CVSS {
				vu.CVSS, vu.Severity, vu.Vector = s.CVSSv3.BaseScore, s.CVSSv3.BaseSeverity, s.CVSSv3.VectorString
			} else if s.CVSSv3 == nil && s.CVSSv2 != nil && vu.CVSS == 0 {
				vu.CVSS = s.CVSSv2.BaseScore
			}
		}
		if vu.CVSS < 0 || vu.CVSS > 10 {
			return nil, fmt.Errorf("%s: vulnerabilities[%s].scores: base score %v outside 0-10", name, v.CVE, vu.CVSS)
		}
		for _, r := range v.Remediations {
			vu.Remediations = append(vu.Remediations, Remediation{Category: r.Category, Details: r.Details, URL: r.URL, ProductIDs: r.ProductIDs})
		}
		a.Vulnerabilities = append(a.Vulnerabilities, vu)
	}
	for i := range a.Products {
		a.Products[i].splitVersion()
		a.Products[i].parseRange()
	}
	return a, nil
}

type branchCtx struct {
	vendor  string
	family  []string
	names   []string
	version string
}

func walk(b *csafBranch, c branchCtx, depth int, add func(Product)) error {
	if depth > maxDepth {
		return fmt.Errorf("branches nested deeper than %d", maxDepth)
	}
	c.names = append([]string(nil), c.names...)
	switch b.Category {
	case "vendor":
		c.vendor = strings.TrimSpace(b.Name)
	case "product_family":
		c.family = append(append([]string(nil), c.family...), strings.TrimSpace(b.Name))
	case "product_name":
		c.names = append(c.names, strings.TrimSpace(b.Name))
	case "product_version", "product_version_range":
		c.version = strings.TrimSpace(b.Name)
	}
	if b.Product != nil {
		// The deepest product name is the product; names above it are
		// its family ("Alaris Gateway Workstation" above "Alaris GS").
		fam, name := c.family, ""
		if n := len(c.names); n > 0 {
			fam, name = append(append([]string(nil), fam...), c.names[:n-1]...), c.names[n-1]
		}
		if f, n := splitJoined(name); f != "" {
			fam, name = append(fam, f), n
		}
		p := Product{ID: b.Product.ProductID, Vendor: c.vendor, Name: name, Version: c.version,
			Family: strings.Join(fam, " "), full: b.Product.Name}
		if p.Name == "" {
			// A family with no product name under it: the family is the
			// product ("Alaris Gateway Workstation" alone).
			p.Name, p.Family = p.Family, ""
		}
		if p.Name == "" {
			p.Name = b.Product.Name
		}
		if b.Product.Helper != nil {
			p.Models = b.Product.Helper.ModelNumbers
		}
		add(p)
	}
	for i := range b.Branches {
		if err := walk(&b.Branches[i], c, depth+1, add); err != nil {
			return err
		}
	}
	return nil
}

// splitJoined splits a product name in which CISA joined a family and a
// product ("Alaris Gateway Workstation Alaris GS": the brand word comes
// back): the family, then the product. It returns "" when the name is
// not joined.
func splitJoined(name string) (family, product string) {
	f := strings.Fields(name)
	if len(f) < 3 {
		return "", name
	}
	for k := 2; k < len(f); k++ {
		if strings.EqualFold(f[k], f[0]) && len(f[0]) >= 3 {
			return strings.Join(f[:k], " "), strings.Join(f[k:], " ")
		}
	}
	return "", name
}

// versionMarkers start the version part of a product name written in
// prose ("Philips IntelliVue MX40 versions prior to B.06").
var versionMarkers = []string{" versions ", " version ", " prior to ", " before ", " all versions", " <=", " <", " >=", " v"}

// fromFullName splits a full product name into name and version
// expression where a marker shows one.
func fromFullName(f csafFullProduct) Product {
	p := Product{ID: f.ProductID, Name: strings.TrimSpace(f.Name)}
	if f.Helper != nil {
		p.Models = f.Helper.ModelNumbers
	}
	lower := strings.ToLower(p.Name)
	cut := -1
	for _, m := range versionMarkers {
		if i := strings.Index(lower, m); i > 0 && (cut < 0 || i < cut) {
			if m == " v" && (i+2 >= len(lower) || lower[i+2] < '0' || lower[i+2] > '9') {
				continue
			}
			cut = i
		}
	}
	if cut > 0 {
		p.Version = strings.TrimSpace(p.Name[cut:])
		p.Name = strings.TrimSpace(p.Name[:cut])
	}
	return p
}

func parseTime(s string) time.Time {
	for _, l := range []string{time.RFC3339Nano, time.RFC3339, "2006-01-02T15:04:05", "2006-01-02"} {
		if t, err := time.Parse(l, strings.TrimSpace(s)); err == nil {
			return t.UTC()
		}
	}
	return time.Time{}
}

func clip(s string) string {
	if len(s) > 60 {
		return s[:60] + "..."
	}
	return s
}

// jsonError names the line and column of a syntax error, or the field of
// a type error.
func jsonError(name string, data []byte, err error) error {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		line, col := position(data, se.Offset)
		return fmt.Errorf("%s:%d:%d: %v", name, line, col, se)
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		line, col := position(data, te.Offset)
		return fmt.Errorf("%s:%d:%d: field %s: want %s, got JSON %s", name, line, col, te.Field, jsonKind(te.Type), te.Value)
	}
	return fmt.Errorf("%s: %w", name, err)
}

// jsonKind names the JSON a Go type reads, so that an error speaks of
// the document ("want an object") and not of this package's structs.
func jsonKind(t reflect.Type) string {
	if t == nil {
		return "another value"
	}
	switch t.Kind() {
	case reflect.Struct, reflect.Map:
		return "an object"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64, reflect.Uint, reflect.Uint8,
		reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Pointer:
		return jsonKind(t.Elem())
	}
	return "another value"
}

func position(data []byte, off int64) (line, col int) {
	if off > int64(len(data)) {
		off = int64(len(data))
	}
	before := data[:off]
	line = bytes.Count(before, []byte("\n")) + 1
	col = int(off) - bytes.LastIndexByte(before, '\n')
	return line, col
}
