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
	// re is compiled for single-line text (no (?m): an anchored pattern
	// is then tried at the start only, which makes lookups fast); reM,
	// compiled on first need, for text with newlines.
	re    *regexp.Regexp
	reM   *regexp.Regexp
	mOnce sync.Once
}

func (f *fp) multi() *regexp.Regexp {
	f.mOnce.Do(func() {
		f.reM, _ = compile(f.Pattern, f.Flags, true)
	})
	return f.reM
}

type db struct {
	name    string
	fps     []fp
	once    sync.Once
	skipped int
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
			re, err := compile(d.fps[i].Pattern, d.fps[i].Flags, false)
			if err != nil {
				d.skipped++
				continue
			}
			d.fps[i].re = re
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
		re := f.re
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
		out[name] = [2]int{len(d.fps) - d.skipped, d.skipped}
	}
	return out
}

// Err reports a failure to load the embedded table (a build defect).
func Err() error {
	loadOnce.Do(load)
	return loadErr
}
