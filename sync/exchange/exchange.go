package exchange

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/biomed-rounds/rounds/atomicfile"
	"github.com/biomed-rounds/rounds/inert"
	"github.com/biomed-rounds/rounds/sync"
)

// ErrFormat reports an export that cannot be read; the message names the
// file, line and column or field.
var ErrFormat = errors.New("exchange: unreadable export")

// Config configures a Connector.
type Config struct {
	// Dir receives change files. Empty disables push.
	Dir string
	// Format of change files: "csv" (default) or "json".
	Format string
	// Import is the central export a pull reads. Empty disables pull.
	Import string
	// BatchSize is the number of devices per change file (default 5000).
	BatchSize int
	// Now is the clock for file timestamps (default time.Now).
	Now func() time.Time
}

// Connector is a file-exchange target.
type Connector struct{ cfg Config }

var _ sync.Connector = (*Connector)(nil)
var _ sync.Describer = (*Connector)(nil)

// New returns a connector.
func New(cfg Config) (*Connector, error) {
	switch cfg.Format {
	case "":
		cfg.Format = "csv"
	case "csv", "json":
	default:
		return nil, fmt.Errorf("exchange: format %q: want csv or json", cfg.Format)
	}
	if cfg.BatchSize <= 0 {
		cfg.BatchSize = 5000
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Connector{cfg: cfg}, nil
}

// MaxBatch is the number of ops per change file.
func (c *Connector) MaxBatch() int { return c.cfg.BatchSize }

// Header is the column order of CSV change files.
var Header = []string{"change_id", "asset_tag", "remote_id", "action", "field", "value", "at", "actor"}

// rows flattens ops into change rows: one per field set, one per audit,
// one per note.
func rows(ops []sync.Op) [][]string {
	var out [][]string
	for _, op := range ops {
		action := "update"
		if op.Create {
			action = "create"
		}
		fields := make([]string, 0, len(op.Set))
		for f := range op.Set {
			fields = append(fields, f)
		}
		sort.Strings(fields)
		for _, f := range fields {
			out = append(out, []string{op.ID, op.AssetTag, op.RemoteID, action, f, op.Set[f], "", ""})
		}
		if a := op.Audit; a != nil {
			out = append(out, []string{a.ID, op.AssetTag, op.RemoteID, "audit", "location", a.Location,
				a.At.UTC().Format(time.RFC3339), ""})
		}
		for _, n := range op.Notes {
			out = append(out, []string{n.ID, op.AssetTag, op.RemoteID, "note", "note", n.Text,
				n.At.UTC().Format(time.RFC3339), n.Actor})
		}
	}
	return out
}

// render writes the change file for ops.
func (c *Connector) render(w io.Writer, ops []sync.Op) error {
	if c.cfg.Format == "json" {
		type change struct {
			ID       string            `json:"change_id"`
			AssetTag string            `json:"asset_tag"`
			RemoteID string            `json:"remote_id,omitempty"`
			Create   bool              `json:"create,omitempty"`
			Set      map[string]string `json:"set,omitempty"`
			Audit    *sync.Audit       `json:"audit,omitempty"`
			Notes    []sync.Note       `json:"notes,omitempty"`
		}
		var cs []change
		for _, op := range ops {
			cs = append(cs, change{op.ID, op.AssetTag, op.RemoteID, op.Create, op.Set, op.Audit, op.Notes})
		}
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(map[string]any{"format": "rounds-changes/1", "changes": cs})
	}
	cw := csv.NewWriter(w)
	cw.Write(Header)
	for _, r := range rows(ops) {
		for i, v := range r {
			r[i] = inert.CSVCell(v)
		}
		cw.Write(r)
	}
	cw.Flush()
	return cw.Error()
}

// Push writes ops to one change file, durably, and acknowledges them.
func (c *Connector) Push(ctx context.Context, ops []sync.Op) ([]sync.Result, error) {
	if c.cfg.Dir == "" {
		return nil, errors.New("exchange: no drop directory configured (option dir)")
	}
	if len(ops) == 0 {
		return nil, nil
	}
	var buf bytes.Buffer
	if err := c.render(&buf, ops); err != nil {
		return nil, err
	}
	name := filepath.Join(c.cfg.Dir, "rounds-changes-"+safe(ops[0].ID)+"."+c.cfg.Format)
	if err := writeAtomic(name, buf.Bytes()); err != nil {
		return nil, err
	}
	res := make([]sync.Result, len(ops))
	for i, op := range ops {
		res[i] = sync.Result{ID: op.ID, Outcome: sync.Acked, RemoteID: op.RemoteID}
	}
	return res, ctx.Err()
}

func safe(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' {
			return r
		}
		return '_'
	}, s)
}

// writeAtomic writes a 0600 change file durably (atomicfile): a reader
// sees the old file or the whole new one.
func writeAtomic(name string, b []byte) error {
	if err := atomicfile.WriteFile(name, b); err != nil {
		return fmt.Errorf("exchange: %w", err)
	}
	return nil
}

// Describe prints the change file Push would write.
func (c *Connector) Describe(w io.Writer, ops []sync.Op) error {
	if len(ops) == 0 {
		return nil
	}
	fmt.Fprintf(w, "write %s\n", filepath.Join(c.cfg.Dir, "rounds-changes-"+safe(ops[0].ID)+"."+c.cfg.Format))
	return c.render(w, ops)
}

// Pull reads the central export unless it is the one read last time.
func (c *Connector) Pull(ctx context.Context, from sync.Mark, emit func(context.Context, sync.Page) error) error {
	if c.cfg.Import == "" {
		return nil
	}
	b, err := os.ReadFile(c.cfg.Import)
	if err != nil {
		return fmt.Errorf("exchange: %w", err)
	}
	sum := sha256.Sum256(b)
	mark := sync.Mark("sha256:" + hex.EncodeToString(sum[:]))
	if mark == from {
		return nil
	}
	var recs []sync.Record
	if strings.HasSuffix(strings.ToLower(c.cfg.Import), ".json") {
		recs, err = ParseJSON(c.cfg.Import, b)
	} else {
		recs, err = ParseCSV(c.cfg.Import, b)
	}
	if err != nil {
		return err
	}
	for len(recs) > 1000 {
		if err := emit(ctx, sync.Page{Records: recs[:1000]}); err != nil {
			return err
		}
		recs = recs[1000:]
	}
	return emit(ctx, sync.Page{Records: recs, Mark: mark})
}

// aliases maps export column names to canonical fields.
var aliases = map[string]string{"serial_number": sync.FieldSerial, "location_key": sync.FieldLocation,
	"firmware": sync.FieldFirmware, "mac_address": sync.FieldMAC, "ip_address": sync.FieldIP,
	"host_name": sync.FieldHostname, "comments": sync.FieldNotes}

func column(h string) string {
	h = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))
	if a, ok := aliases[h]; ok {
		return a
	}
	return h
}

func known(f string) bool {
	if f == sync.FieldNotes {
		return true
	}
	for _, x := range sync.Fields {
		if x == f {
			return true
		}
	}
	return false
}

// version fingerprints a record's content, so that a row the engine
// stored before is skipped.
func version(r sync.Record) string {
	keys := make([]string, 0, len(r.Fields))
	for k := range r.Fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	h := sha256.New()
	io.WriteString(h, r.RemoteID+"\x00"+r.AssetTag)
	for _, k := range keys {
		io.WriteString(h, "\x00"+k+"\x00"+r.Fields[k])
	}
	return hex.EncodeToString(h.Sum(nil)[:12])
}

// ParseCSV reads a central export: a header row naming asset_tag and any
// canonical fields (other columns are ignored), then one row per device.
func ParseCSV(name string, b []byte) ([]sync.Record, error) {
	r := csv.NewReader(bytes.NewReader(b))
	r.FieldsPerRecord = -1
	r.ReuseRecord = false
	head, err := r.Read()
	if err != nil {
		return nil, fmt.Errorf("%w: %s: header: %v", ErrFormat, name, err)
	}
	cols := make([]string, len(head))
	tagCol, idCol := -1, -1
	for i, h := range head {
		cols[i] = column(h)
		switch cols[i] {
		case "asset_tag":
			tagCol = i
		case "remote_id", "sys_id", "id":
			idCol = i
		}
	}
	if tagCol < 0 {
		return nil, fmt.Errorf("%w: %s:1: no asset_tag column", ErrFormat, name)
	}
	var out []sync.Record
	for {
		row, err := r.Read()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				return nil, fmt.Errorf("%w: %s:%d:%d: %v", ErrFormat, name, pe.Line, pe.Column, pe.Err)
			}
			return nil, fmt.Errorf("%w: %s: %v", ErrFormat, name, err)
		}
		line, _ := r.FieldPos(0)
		if len(row) != len(head) {
			return nil, fmt.Errorf("%w: %s:%d: %d values for %d columns", ErrFormat, name, line, len(row), len(head))
		}
		rec := sync.Record{AssetTag: strings.TrimSpace(row[tagCol]), Fields: map[string]string{}}
		if idCol >= 0 {
			rec.RemoteID = strings.TrimSpace(row[idCol])
		}
		for i, v := range row {
			if known(cols[i]) {
				rec.Fields[cols[i]] = strings.TrimSpace(v)
			}
		}
		rec.Version = version(rec)
		out = append(out, rec)
	}
}

// ParseJSON reads a central export: an array of objects (or {"devices":
// [...]}) whose string values are keyed by asset_tag and canonical fields.
func ParseJSON(name string, b []byte) ([]sync.Record, error) {
	var rows []map[string]any
	if err := json.Unmarshal(b, &rows); err != nil {
		var wrapped struct {
			Devices []map[string]any `json:"devices"`
		}
		if err2 := json.Unmarshal(b, &wrapped); err2 != nil || wrapped.Devices == nil {
			var se *json.SyntaxError
			if errors.As(err, &se) {
				line := 1 + bytes.Count(b[:min(int(se.Offset), len(b))], []byte("\n"))
				return nil, fmt.Errorf("%w: %s:%d: %v", ErrFormat, name, line, se)
			}
			return nil, fmt.Errorf("%w: %s: want an array of device objects: %v", ErrFormat, name, err)
		}
		rows = wrapped.Devices
	}
	out := make([]sync.Record, 0, len(rows))
	for i, row := range rows {
		rec := sync.Record{Fields: map[string]string{}}
		for k, v := range row {
			var s string
			switch x := v.(type) {
			case string:
				s = x
			case float64, bool:
				s = fmt.Sprint(x)
			case nil:
			default:
				return nil, fmt.Errorf("%w: %s: device %d: field %q is not a plain value", ErrFormat, name, i+1, k)
			}
			switch f := column(k); {
			case f == "asset_tag":
				rec.AssetTag = strings.TrimSpace(s)
			case f == "remote_id" || f == "sys_id" || f == "id":
				rec.RemoteID = strings.TrimSpace(s)
			case known(f):
				rec.Fields[f] = strings.TrimSpace(s)
			}
		}
		rec.Version = version(rec)
		out = append(out, rec)
	}
	return out, nil
}
