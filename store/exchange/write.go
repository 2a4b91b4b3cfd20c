package exchange

import (
	"bufio"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/biomed-rounds/rounds/inert"
	"github.com/biomed-rounds/rounds/store"
)

// deviceRow renders a device as the device columns' values.
func deviceRow(d *store.Device, row []string) []string {
	var b, f, r string
	if d.LocationKey != "" {
		parts := strings.SplitN(d.LocationKey, "/", 3)
		if len(parts) == 3 {
			b, f, r = parts[0], parts[1], parts[2]
		}
	}
	return append(row[:0], d.AssetTag, d.Serial, d.Manufacturer, d.Model, d.DeviceClass, b, f, r,
		d.MAC, d.BLEAddress, d.IP, d.Hostname, d.FirmwareVersion, d.OS, d.OSVersion,
		store.FormatDate(d.LastPM), store.FormatDate(d.NextPMDue), store.FormatDate(d.NextAuditDue),
		string(d.Status), d.CMDBID, store.FormatDate(d.LastAudited), store.FormatInstant(d.LastSeen),
		d.Owner, d.CMDBVersion)
}

func modelRow(m *store.Model) []string {
	return []string{m.Manufacturer, m.Model, m.DeviceClass, m.FDAClass, m.MinFirmware, m.LatestFirmware,
		m.OS, store.FormatDate(m.OSEOL), store.FormatDate(m.SupportEnd), formatTags(m.AllowedTags),
		strings.Join(m.AdvisoryAliases, "|")}
}

func locationRow(l *store.Location) []string {
	rf := "false"
	if l.RFShielded {
		rf = "true"
	}
	return []string{l.Key, l.Site, l.Building, l.Floor, l.Room, l.Name, rf, l.Barcode, formatSegments(l.Segments)}
}

// Writer writes one inventory file: CSV (one kind) or JSON (one or more
// kinds, each an array under its name). Call Devices, Models or Locations
// in that file's order, then Close.
type Writer struct {
	bw       *bufio.Writer
	cw       *csv.Writer
	f        Format
	sections int
	row      []string
	cells    []string
}

// NewWriter starts a file in format f on w.
func NewWriter(w io.Writer, f Format) *Writer {
	bw := bufio.NewWriterSize(w, 64<<10)
	x := &Writer{bw: bw, f: f}
	if f == CSV {
		x.cw = csv.NewWriter(bw)
	}
	return x
}

func (x *Writer) begin(k Kind) error {
	x.sections++
	if x.f == CSV {
		if x.sections > 1 {
			return fmt.Errorf("exchange: a CSV file holds one kind; export %s to its own file", k)
		}
		return x.cw.Write(CanonicalHeader(k))
	}
	if x.sections == 1 {
		x.bw.WriteString("{\n")
	} else {
		x.bw.WriteString(",\n")
	}
	fmt.Fprintf(x.bw, "%q: [", k)
	return nil
}

func (x *Writer) end(n int) {
	if x.f == JSON {
		if n > 0 {
			x.bw.WriteString("\n")
		}
		x.bw.WriteString("]")
	}
}

// jsonRecord writes one record as an object on its own line, with the
// kind's columns in order and empty values left out.
func (x *Writer) jsonRecord(i int, k Kind, vals []string, extra func(f field) (json.RawMessage, bool)) error {
	if i > 0 {
		x.bw.WriteString(",")
	}
	x.bw.WriteString("\n{")
	first := true
	for j, f := range columns[k] {
		var v []byte
		if raw, ok := extra(f); ok {
			if raw == nil {
				continue
			}
			v = raw
		} else {
			if vals[j] == "" {
				continue
			}
			var err error
			if v, err = json.Marshal(vals[j]); err != nil {
				return err
			}
		}
		if !first {
			x.bw.WriteString(",")
		}
		first = false
		x.bw.WriteString(`"` + f.String() + `":`)
		x.bw.Write(v)
	}
	x.bw.WriteString("}")
	return nil
}

// csvRow writes one CSV record with every cell guarded by inert.CSVCell,
// so that no exported value runs as a spreadsheet formula or hides text;
// import undoes the guard (inert.ParseCSVCell), so that a round trip
// restores each value.
func (x *Writer) csvRow(row []string) error {
	x.cells = x.cells[:0]
	for _, v := range row {
		x.cells = append(x.cells, inert.CSVCell(v))
	}
	return x.cw.Write(x.cells)
}

func noExtra(field) (json.RawMessage, bool) { return nil, false }

// Devices writes the devices each yields.
func (x *Writer) Devices(each func(func(store.Device) error) error) error {
	if err := x.begin(Devices); err != nil {
		return err
	}
	n := 0
	err := each(func(d store.Device) error {
		x.row = deviceRow(&d, x.row)
		var err error
		if x.f == CSV {
			err = x.csvRow(x.row)
		} else {
			err = x.jsonRecord(n, Devices, x.row, noExtra)
		}
		n++
		return err
	})
	x.end(n)
	return err
}

// Models writes catalog entries.
func (x *Writer) Models(ms []store.Model) error {
	if err := x.begin(Models); err != nil {
		return err
	}
	for i := range ms {
		m := &ms[i]
		var err error
		if x.f == CSV {
			err = x.csvRow(modelRow(m))
		} else {
			err = x.jsonRecord(i, Models, modelRow(m), func(f field) (json.RawMessage, bool) {
				list := m.AllowedTags
				switch f {
				case fAllowedTags:
				case fAdvisoryAliases:
					list = m.AdvisoryAliases
				default:
					return nil, false
				}
				if len(list) == 0 {
					return nil, true
				}
				b, _ := json.Marshal(list)
				return b, true
			})
		}
		if err != nil {
			return err
		}
	}
	x.end(len(ms))
	return nil
}

// Locations writes rooms.
func (x *Writer) Locations(ls []store.Location) error {
	if err := x.begin(Locations); err != nil {
		return err
	}
	type seg struct {
		CIDR string   `json:"cidr"`
		Tags []string `json:"tags,omitempty"`
	}
	for i := range ls {
		l := &ls[i]
		var err error
		if x.f == CSV {
			err = x.csvRow(locationRow(l))
		} else {
			err = x.jsonRecord(i, Locations, locationRow(l), func(f field) (json.RawMessage, bool) {
				switch f {
				case fRFShielded:
					if !l.RFShielded {
						return nil, true
					}
					return json.RawMessage("true"), true
				case fSegments:
					if len(l.Segments) == 0 {
						return nil, true
					}
					ss := make([]seg, len(l.Segments))
					for i, s := range l.Segments {
						ss[i] = seg{s.CIDR.String(), s.Tags}
					}
					b, _ := json.Marshal(ss)
					return b, true
				}
				return nil, false
			})
		}
		if err != nil {
			return err
		}
	}
	x.end(len(ls))
	return nil
}

// Close finishes the file and flushes it.
func (x *Writer) Close() error {
	if x.f == CSV {
		x.cw.Flush()
		if err := x.cw.Error(); err != nil {
			return err
		}
	} else {
		if x.sections == 0 {
			x.bw.WriteString("{")
		}
		x.bw.WriteString("\n}\n")
	}
	return x.bw.Flush()
}

// Export writes the given kinds from st to w: one kind for CSV, any for
// JSON, in bundle order (locations, models, devices). Output is sorted
// (rooms by key, models by manufacturer and model, devices by asset tag),
// so that the same inventory always gives the same bytes.
func Export(ctx context.Context, st *store.Store, w io.Writer, f Format, kinds ...Kind) error {
	if len(kinds) == 0 {
		kinds = []Kind{Devices}
	}
	if f == CSV && len(kinds) > 1 {
		return fmt.Errorf("exchange: a CSV file holds one kind; export each to its own file or use JSON")
	}
	x := NewWriter(w, f)
	for _, k := range Kinds {
		if !containsKind(kinds, k) {
			continue
		}
		var err error
		switch k {
		case Locations:
			var ls []store.Location
			if ls, err = st.Locations(ctx); err == nil {
				err = x.Locations(ls)
			}
		case Models:
			var ms []store.Model
			if ms, err = st.Models(ctx); err == nil {
				err = x.Models(ms)
			}
		case Devices:
			err = x.Devices(func(yield func(store.Device) error) error {
				return st.EachDevice(ctx, store.Filter{}, yield)
			})
		}
		if err != nil {
			return fmt.Errorf("export %s: %w", k, err)
		}
	}
	return x.Close()
}

func containsKind(ks []Kind, k Kind) bool {
	for _, have := range ks {
		if have == k {
			return true
		}
	}
	return false
}
