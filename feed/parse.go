package feed

import (
	"bytes"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
)

// Sentinel errors.
var (
	// ErrFormat reports provider metadata, a ROLIE feed, a changes.csv or
	// a hash file that does not follow the CSAF 2.0 standard.
	ErrFormat = errors.New("feed: malformed")
	// ErrOffline reports that a feed's server could not be reached at all.
	ErrOffline = errors.New("feed: offline")
	// ErrNotFound reports an HTTP 404 or 410 answer.
	ErrNotFound = errors.New("feed: not found")
	// ErrKeyChanged reports that a provider's OpenPGP keys no longer match
	// the fingerprints pinned on first use.
	ErrKeyChanged = errors.New("feed: provider keys changed")
)

// Size limits for what a server may send; beyond them the answer is
// refused rather than read.
const (
	maxMetadata = 4 << 20
	maxIndex    = 64 << 20
	maxSmall    = 64 << 10
	maxLines    = 1 << 20
)

// ProviderMetadata is a CSAF 2.0 provider-metadata.json (section 7.1.20
// of the standard), the parts an update needs.
type ProviderMetadata struct {
	CanonicalURL    string         `json:"canonical_url"`
	Distributions   []Distribution `json:"distributions"`
	LastUpdated     string         `json:"last_updated"`
	MetadataVersion string         `json:"metadata_version"`
	PublicKeys      []PublicKey    `json:"public_openpgp_keys"`
	Publisher       struct {
		Category  string `json:"category"`
		Name      string `json:"name"`
		Namespace string `json:"namespace"`
	} `json:"publisher"`
	Role string `json:"role"`
}

// Distribution is one way a provider distributes its documents: a
// directory (with index.txt and changes.csv) or ROLIE feeds.
type Distribution struct {
	DirectoryURL string `json:"directory_url,omitempty"`
	ROLIE        *struct {
		Feeds []FeedRef `json:"feeds"`
	} `json:"rolie,omitempty"`
}

// FeedRef names one ROLIE feed and the TLP label of what it holds.
type FeedRef struct {
	Summary  string `json:"summary"`
	TLPLabel string `json:"tlp_label"`
	URL      string `json:"url"`
}

// PublicKey is an OpenPGP key the provider signs with: its fingerprint
// and where to get it.
type PublicKey struct {
	Fingerprint string `json:"fingerprint"`
	URL         string `json:"url"`
}

// ParseProviderMetadata parses and checks a provider-metadata.json. name
// (the URL) prefixes errors.
func ParseProviderMetadata(name string, data []byte) (*ProviderMetadata, error) {
	var m ProviderMetadata
	if err := strictJSON(data, &m); err != nil {
		return nil, fmt.Errorf("%s: %w: %v", name, ErrFormat, err)
	}
	if m.MetadataVersion != "2.0" {
		return nil, fmt.Errorf("%s: %w: metadata_version %q, want \"2.0\"", name, ErrFormat, clip(m.MetadataVersion))
	}
	if len(m.Distributions) == 0 {
		return nil, fmt.Errorf("%s: %w: no distributions", name, ErrFormat)
	}
	for i, d := range m.Distributions {
		if d.DirectoryURL == "" && (d.ROLIE == nil || len(d.ROLIE.Feeds) == 0) {
			return nil, fmt.Errorf("%s: %w: distributions[%d] has neither directory_url nor rolie feeds", name, ErrFormat, i)
		}
		if d.ROLIE != nil {
			for j, f := range d.ROLIE.Feeds {
				if f.URL == "" {
					return nil, fmt.Errorf("%s: %w: distributions[%d].rolie.feeds[%d].url is empty", name, ErrFormat, i, j)
				}
			}
		}
	}
	for i, k := range m.PublicKeys {
		fp := NormalizeFingerprint(k.Fingerprint)
		if k.Fingerprint != "" && !isHex(fp) {
			return nil, fmt.Errorf("%s: %w: public_openpgp_keys[%d].fingerprint %q is not hex", name, ErrFormat, i, clip(k.Fingerprint))
		}
		if k.URL == "" {
			return nil, fmt.Errorf("%s: %w: public_openpgp_keys[%d].url is empty", name, ErrFormat, i)
		}
	}
	return &m, nil
}

// NormalizeFingerprint upper-cases a fingerprint and drops spaces and a
// 0x prefix, as fingerprints are written in many ways.
func NormalizeFingerprint(s string) string {
	s = strings.TrimPrefix(strings.TrimPrefix(strings.TrimSpace(s), "0x"), "0X")
	return strings.ToUpper(strings.ReplaceAll(s, " ", ""))
}

// ROLIEFeed is a ROLIE feed document (RFC 8322) as CSAF providers write
// it.
type ROLIEFeed struct {
	Feed struct {
		ID      string       `json:"id"`
		Title   string       `json:"title"`
		Updated string       `json:"updated"`
		Entry   []ROLIEEntry `json:"entry"`
	} `json:"feed"`
}

// ROLIEEntry is one document of a ROLIE feed.
type ROLIEEntry struct {
	ID        string `json:"id"`
	Title     string `json:"title"`
	Link      []Link `json:"link"`
	Published string `json:"published"`
	Updated   string `json:"updated"`
	Content   struct {
		Type string `json:"type"`
		Src  string `json:"src"`
	} `json:"content"`
}

// Link is an Atom link: rel is self, hash or signature for CSAF.
type Link struct {
	Rel  string `json:"rel"`
	Href string `json:"href"`
}

// ParseROLIE parses a ROLIE feed. An entry without a document URL
// (content.src or a self link) is an error naming its index.
func ParseROLIE(name string, data []byte) (*ROLIEFeed, error) {
	var f ROLIEFeed
	if err := strictJSON(data, &f); err != nil {
		return nil, fmt.Errorf("%s: %w: %v", name, ErrFormat, err)
	}
	for i := range f.Feed.Entry {
		if f.Feed.Entry[i].DocURL() == "" {
			return nil, fmt.Errorf("%s: %w: feed.entry[%d] (%q) has no content.src or self link", name, ErrFormat, i, clip(f.Feed.Entry[i].ID))
		}
	}
	return &f, nil
}

// DocURL is the entry's document: content.src, else its self link.
func (e *ROLIEEntry) DocURL() string {
	if e.Content.Src != "" {
		return e.Content.Src
	}
	return e.links("self").first()
}

// Links returns the hrefs of the entry's links with the given rel.
func (e *ROLIEEntry) Links(rel string) []string { return e.links(rel) }

type hrefs []string

func (h hrefs) first() string {
	if len(h) == 0 {
		return ""
	}
	return h[0]
}

func (e *ROLIEEntry) links(rel string) hrefs {
	var out hrefs
	for _, l := range e.Link {
		if strings.EqualFold(l.Rel, rel) && l.Href != "" {
			out = append(out, l.Href)
		}
	}
	return out
}

// Change is one line of a changes.csv: a document path relative to the
// directory and the time it last changed.
type Change struct {
	Path    string
	Changed time.Time
	// Stamp is the time as written, used to tell a changed document.
	Stamp string
}

// ParseChanges parses a directory distribution's changes.csv: two
// columns, the path (relative to the directory) and an RFC 3339 time.
// Quoted (as the standard shows) and unquoted (as CISA writes) both
// parse; a bad line is an error naming it.
func ParseChanges(name string, data []byte) ([]Change, error) {
	r := csv.NewReader(bytes.NewReader(data))
	r.FieldsPerRecord = -1
	r.ReuseRecord = true
	var out []Change
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			// csv.ParseError names the line; FieldPos has no record here.
			return nil, fmt.Errorf("%s: %w: %v", name, ErrFormat, err)
		}
		line, _ := r.FieldPos(0)
		if len(out) >= maxLines {
			return nil, fmt.Errorf("%s: %w: more than %d lines", name, ErrFormat, maxLines)
		}
		if len(rec) != 2 {
			return nil, fmt.Errorf("%s:%d: %w: %d fields, want 2 (path,time)", name, line, ErrFormat, len(rec))
		}
		p, stamp := strings.TrimSpace(rec[0]), strings.TrimSpace(rec[1])
		if p == "" || !strings.HasSuffix(strings.ToLower(p), ".json") {
			return nil, fmt.Errorf("%s:%d: %w: path %q is not a .json file", name, line, ErrFormat, clip(p))
		}
		t, err := time.Parse(time.RFC3339Nano, stamp)
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %w: time %q is not RFC 3339", name, line, ErrFormat, clip(stamp))
		}
		out = append(out, Change{Path: p, Changed: t, Stamp: stamp})
	}
	return out, nil
}

// ParseIndex parses an index.txt: one document path per line.
func ParseIndex(name string, data []byte) ([]string, error) {
	var out []string
	for i, l := range strings.Split(string(data), "\n") {
		l = strings.TrimSpace(l)
		if l == "" {
			continue
		}
		if !strings.HasSuffix(strings.ToLower(l), ".json") {
			return nil, fmt.Errorf("%s:%d: %w: %q is not a .json path", name, i+1, ErrFormat, clip(l))
		}
		if len(out) >= maxLines {
			return nil, fmt.Errorf("%s: %w: more than %d lines", name, ErrFormat, maxLines)
		}
		out = append(out, l)
	}
	return out, nil
}

// ParseHash reads a hash file as sha256sum/sha512sum write it ("HEX
// NAME", or the hex alone) and returns the digest bytes; want is the
// digest length (32 or 64).
func ParseHash(name string, data []byte, want int) ([]byte, error) {
	fields := strings.Fields(string(data))
	if len(fields) == 0 {
		return nil, fmt.Errorf("%s: %w: empty hash file", name, ErrFormat)
	}
	h := strings.TrimPrefix(fields[0], "\\")
	b, err := hex.DecodeString(h)
	if err != nil || len(b) != want {
		return nil, fmt.Errorf("%s: %w: %q is not a %d-bit hex digest", name, ErrFormat, clip(fields[0]), want*8)
	}
	return b, nil
}

// csafHead is the part of a CSAF document read before the full parse:
// its TLP label and tracking id.
type csafHead struct {
	Document struct {
		Distribution *struct {
			TLP *struct {
				Label string `json:"label"`
			} `json:"tlp"`
		} `json:"distribution"`
		Tracking struct {
			ID string `json:"id"`
		} `json:"tracking"`
	} `json:"document"`
}

// TLPLabel returns a CSAF document's TLP label, upper-case, or "" when it
// has none.
func TLPLabel(data []byte) (string, error) {
	var h csafHead
	if err := json.Unmarshal(data, &h); err != nil {
		return "", err
	}
	if h.Document.Distribution == nil || h.Document.Distribution.TLP == nil {
		return "", nil
	}
	return strings.ToUpper(strings.TrimSpace(h.Document.Distribution.TLP.Label)), nil
}

// PublicTLP reports whether a TLP label allows the document onto the
// laptop without an agreement: CLEAR (TLP 2.0) or WHITE (TLP 1.0, which
// CSAF 2.0 uses).
func PublicTLP(label string) bool {
	switch strings.TrimPrefix(strings.ToUpper(label), "TLP:") {
	case "CLEAR", "WHITE":
		return true
	}
	return false
}

func strictJSON(data []byte, v any) error {
	if len(data) == 0 {
		return errors.New("empty")
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(v); err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			l, c := position(data, se.Offset)
			return fmt.Errorf("line %d column %d: %v", l, c, err)
		}
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			l, c := position(data, te.Offset)
			return fmt.Errorf("line %d column %d: field %s: want %s, got %s", l, c, te.Field, te.Type, te.Value)
		}
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("trailing data after the JSON value")
	}
	return nil
}

func position(data []byte, off int64) (line, col int) {
	if off > int64(len(data)) {
		off = int64(len(data))
	}
	line = 1 + bytes.Count(data[:off], []byte("\n"))
	col = int(off) - bytes.LastIndexByte(data[:off], '\n')
	return line, col
}

func isHex(s string) bool {
	if s == "" {
		return false
	}
	_, err := hex.DecodeString(s)
	return err == nil
}

// clip bounds an outside string quoted in an error; callers render errors
// through inert.
func clip(s string) string {
	r := []rune(s)
	if len(r) > 80 {
		return string(r[:79]) + "…"
	}
	return s
}
