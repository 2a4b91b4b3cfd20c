package recog

import (
	"bytes"
	"compress/gzip"
	"embed"
	"encoding/json"
	"fmt"
	"io"
	"regexp"
	"strings"
	"sync"
)

//go:generate go run ./internal/recoggen -src /tmp/recog/xml -commit 14fa1a7211e7fb5707c7a1b421a07d6c2cf4eec5 -o data/fingerprints.json.gz

//go:embed data/fingerprints.json.gz data/dicom.json
var dataFS embed.FS

// The databases, by the name Recog gives what they match.
const (
	HTTPServer      = "http_header.server"
	HTMLTitle       = "html_title"
	WWWAuth         = "http_header.wwwauth"
	SSHBanner       = "ssh.banner"
	TelnetBanner    = "telnet.banner"
	SNMPSysDescr    = "snmp.sys_description"
	SNMPSysObjectID = "snmp.sys_object_id"
	// DICOMVersion is rounds' own database of DICOM implementation
	// version names, in Recog's format.
	DICOMVersion = "dicom.implementation_version"
)

// MaxInput bounds the text matched: banners and titles that matter are
// short, and RE2's time is linear in the input.
const MaxInput = 2048

// Match is what a fingerprint says of a text.
type Match struct {
	// DB is the database that matched, Description the fingerprint's.
	DB          string
	Description string
	// Params are Recog's parameters ("service.vendor", "hw.product",
	// "os.version", ...), fixed values and captured groups, interpolated.
	Params map[string]string
}

type table struct {
	DBs []struct {
		Matches      string `json:"matches"`
		Fingerprints []fp   `json:"fps"`
	} `json:"dbs"`
}

type fp struct {
	Pattern     string `json:"p"`
	Flags       string `json:"f"`
	Description string `json:"d"`
	Params      []struct {
		Pos   int    `json:"i"`
		Name  string `json:"n"`
		Value string `json:"v"`
	} `json:"a"`
	Examples []struct {
		Text   string            `json:"t"`
		Expect map[string]string `json:"x"`
	} `json:"e"`
	// lit is a literal the text must start with for the pattern to match
	// a single line (from a leading "^literal"), compared without case
	// when fold; it spares compiling and running most patterns.
	lit  string
	fold bool
	// re is compiled on first need for single-line text (no (?m): an
	// anchored pattern is then tried at the start only); bad is set when
	// RE2 cannot express the pattern; reM is for text with newlines.
	once  sync.Once
	re    *regexp.Regexp
	bad   bool
	reM   *regexp.Regexp
	mOnce sync.Once
}

func (f *fp) regexp() *regexp.Regexp {
	f.once.Do(func() {
		re, err := compile(f.Pattern, f.Flags, false)
		f.re, f.bad = re, err != nil
	})
	return f.re
}

func (f *fp) multi() *regexp.Regexp {
	f.mOnce.Do(func() {
		f.reM, _ = compile(f.Pattern, f.Flags, true)
	})
	return f.reM
}

// prefix returns the literal a "^literal..." pattern requires at the
// start of the text, and whether it is compared without case. Anything
// short or doubtful yields "" (no filter).
func prefix(pattern, flags string) (string, bool) {
	fold := strings.Contains(flags, "REG_ICASE")
	if rest, ok := strings.CutPrefix(pattern, "(?i)"); ok {
		pattern, fold = rest, true
	}
	rest, ok := strings.CutPrefix(pattern, "^")
	if !ok || topLevelAlt(pattern) {
		return "", false
	}
	var b strings.Builder
	for i := 0; i < len(rest); i++ {
		c := rest[i]
		switch {
		case c == '\\' && i+1 < len(rest) && strings.IndexByte(`./-_ :;,=@#%&'"<>~`, rest[i+1]) >= 0:
			if i+2 < len(rest) && strings.IndexByte("?*{", rest[i+2]) >= 0 {
				return trimLit(b.String()), fold
			}
			i++
			b.WriteByte(rest[i])
			continue
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', strings.IndexByte(` -_/:;,=@#%&'"<>~`, c) >= 0:
			// A quantifier after it makes the last one optional.
			if i+1 < len(rest) && strings.IndexByte("?*{", rest[i+1]) >= 0 {
				return trimLit(b.String()), fold
			}
			b.WriteByte(c)
			continue
		}
		break
	}
	return trimLit(b.String()), fold
}

// topLevelAlt reports whether pattern has an alternation outside any
// group ("^a|b"), where a leading literal proves nothing.
func topLevelAlt(pattern string) bool {
	depth, class := 0, false
	for i := 0; i < len(pattern); i++ {
		switch c := pattern[i]; {
		case c == '\\':
			i++
		case class:
			class = c != ']'
		case c == '[':
			class = true
		case c == '(':
			depth++
		case c == ')':
			depth--
		case c == '|' && depth <= 0:
			return true
		}
	}
	return false
}

func trimLit(s string) string {
	if len(s) < 3 {
		return ""
	}
	return s
}

// may reports whether text can match f, by its literal prefix.
func (f *fp) may(text string) bool {
	switch {
	case f.lit == "":
		return true
	case f.fold:
		return len(text) >= len(f.lit) && strings.EqualFold(text[:len(f.lit)], f.lit)
	}
	return strings.HasPrefix(text, f.lit)
}

type db struct {
	name string
	fps  []fp
	once sync.Once
}

var (
	loadOnce sync.Once
	dbs      map[string]*db
	loadErr  error
)

func load() {
	dbs = map[string]*db{}
	read := func(name string, gz bool) error {
		b, err := dataFS.ReadFile(name)
		if err != nil {
			return err
		}
		var r io.Reader = bytes.NewReader(b)
		if gz {
			zr, err := gzip.NewReader(r)
			if err != nil {
				return err
			}
			r = zr
		}
		var t table
		if err := json.NewDecoder(r).Decode(&t); err != nil {
			return fmt.Errorf("recog: %s: %w", name, err)
		}
		for _, d := range t.DBs {
			x := dbs[d.Matches]
			if x == nil {
				x = &db{name: d.Matches}
				dbs[d.Matches] = x
			}
			x.fps = append(x.fps, d.Fingerprints...)
		}
		return nil
	}
	if loadErr = read("data/fingerprints.json.gz", true); loadErr == nil {
		loadErr = read("data/dicom.json", false)
	}
}

// get returns the named database with its patterns compiled (once).
func get(name string) *db {
	loadOnce.Do(load)
	d := dbs[name]
	if d == nil {
		return nil
	}
	d.once.Do(func() {
		for i := range d.fps {
			d.fps[i].lit, d.fps[i].fold = prefix(d.fps[i].Pattern, d.fps[i].Flags)
		}
	})
	return d
}

// compile translates a Recog (Ruby) pattern to RE2. Ruby's ^ and $ always
// match at line ends, so (?m) is on when the text has lines; Ruby's
// MULTILINE flag is RE2's (?s).
func compile(pattern, flags string, lines bool) (*regexp.Regexp, error) {
	mode := ""
	if lines {
		mode = "m"
	}
	for _, f := range strings.Split(flags, "|") {
		switch strings.TrimSpace(f) {
		case "REG_ICASE":
			mode += "i"
		case "REG_MULTILINE", "REG_DOT_NEWLINE":
			mode += "s"
		}
	}
	var b strings.Builder
	if mode != "" {
		b.WriteString("(?" + mode + ")")
	}
	for i := 0; i < len(pattern); i++ {
		c := pattern[i]
		if c != '\\' || i+1 == len(pattern) {
			b.WriteByte(c)
			continue
		}
		i++
		switch pattern[i] {
		case 'Z': // end, or before a final newline
			b.WriteString(`(?:\n?\z)`)
		case 'h':
			b.WriteString(`[0-9a-fA-F]`)
		case 'H':
			b.WriteString(`[^0-9a-fA-F]`)
		default:
			b.WriteByte('\\')
			b.WriteByte(pattern[i])
		}
	}
	return regexp.Compile(b.String())
}

// Lookup matches text against the named database and returns the first
// fingerprint that matches, in Recog's order of preference.
func Lookup(dbName, text string) (Match, bool) {
	d := get(dbName)
	if d == nil || text == "" {
		return Match{}, false
	}
	if len(text) > MaxInput {
		text = text[:MaxInput]
	}
	lines := strings.IndexByte(text, '\n') >= 0
	for i := range d.fps {
		f := &d.fps[i]
		if !lines && !f.may(text) {
			continue
		}
		re := f.regexp()
		if re == nil {
			continue
		}
		if lines {
			re = f.multi()
		}
		if m := re.FindStringSubmatch(text); m != nil {
			return Match{DB: d.name, Description: f.Description, Params: params(f, m)}, true
		}
	}
	return Match{}, false
}

// params fills a fingerprint's parameters from a match: fixed values
// first, then captured groups, then {name} interpolations.
func params(f *fp, m []string) map[string]string {
	out := map[string]string{}
	for _, p := range f.Params {
		switch {
		case p.Pos == 0:
			if p.Value != "" {
				out[p.Name] = p.Value
			}
		case p.Pos < len(m):
			if v := m[p.Pos]; v != "" {
				out[p.Name] = v
			}
		}
	}
	for k, v := range out {
		if !strings.Contains(v, "{") {
			continue
		}
		for n, w := range out {
			if !strings.Contains(w, "{") {
				v = strings.ReplaceAll(v, "{"+n+"}", w)
			}
		}
		if strings.Contains(v, "{") {
			delete(out, k) // a value naming a parameter the match lacks
			continue
		}
		out[k] = v
	}
	return out
}

// Loaded returns, per database, how many fingerprints are in use and how
// many were skipped because RE2 cannot express them.
func Loaded() map[string][2]int {
	loadOnce.Do(load)
	out := map[string][2]int{}
	for name := range dbs {
		d := get(name)
		skipped := 0
		for i := range d.fps {
			if d.fps[i].regexp() == nil {
				skipped++
			}
		}
		out[name] = [2]int{len(d.fps) - skipped, skipped}
	}
	return out
}

// Err reports a failure to load the embedded table (a build defect).
func Err() error {
	loadOnce.Do(load)
	return loadErr
}
