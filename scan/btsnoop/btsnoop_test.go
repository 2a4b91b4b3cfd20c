package btsnoop

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"testing"
	"time"
)

var t0 = time.Date(2026, 3, 14, 9, 26, 53, 589000000, time.UTC)

// advEvent is a one-report LE Advertising Report from C4:7C:8D:6A:12:34.
var advEvent = []byte{0x3e, 0x13, 0x02, 0x01, 0x00, 0x00, 0x34, 0x12, 0x6a, 0x8d, 0x7c, 0xc4,
	0x07, 0x06, 0x09, 'M', 'e', 't', 'e', 'r', 0xc5}

func TestRoundTrip(t *testing.T) {
	for _, dl := range []Datalink{H4, Monitor} {
		t.Run(dl.String(), func(t *testing.T) {
			var buf bytes.Buffer
			w, err := NewWriter(&buf, dl)
			if err != nil {
				t.Fatal(err)
			}
			w.Adapter = 1
			if err := w.WriteNewIndex(t0, [6]byte{1, 2, 3, 4, 5, 6}, "hci1"); err != nil {
				t.Fatal(err)
			}
			if err := w.WriteCommand(t0, []byte{0x0c, 0x20, 0x02, 0x01, 0x00}); err != nil {
				t.Fatal(err)
			}
			for i := range 3 {
				if err := w.WriteEvent(t0.Add(time.Duration(i)*time.Second), advEvent); err != nil {
					t.Fatal(err)
				}
			}
			if err := w.Flush(); err != nil {
				t.Fatal(err)
			}

			r, err := NewReader(&buf)
			if err != nil {
				t.Fatal(err)
			}
			if r.Datalink() != dl {
				t.Fatalf("datalink %v, want %v", r.Datalink(), dl)
			}
			var events []time.Time
			for {
				rec, err := r.Next()
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				if evt, ok := rec.Event(dl); ok {
					if !bytes.Equal(evt, advEvent) {
						t.Errorf("event % x, want % x", evt, advEvent)
					}
					if dl == Monitor && rec.Adapter() != 1 {
						t.Errorf("adapter %d, want 1", rec.Adapter())
					}
					events = append(events, rec.Time())
				}
			}
			if len(events) != 3 {
				t.Fatalf("%d events, want 3", len(events))
			}
			for i, ts := range events {
				if want := t0.Add(time.Duration(i) * time.Second); !ts.Equal(want) {
					t.Errorf("event %d at %v, want %v", i, ts, want)
				}
			}
			wantRecords := 4
			if dl == Monitor {
				wantRecords = 5 // plus NEW_INDEX
			}
			if r.Count() != wantRecords {
				t.Errorf("count %d, want %d", r.Count(), wantRecords)
			}
		})
	}
}

func TestEpoch(t *testing.T) {
	rec := Record{Timestamp: 0x00dcddb30f2f8000}
	if !rec.Time().Equal(time.Unix(0, 0)) {
		t.Fatalf("epoch is %v", rec.Time())
	}
	if Stamp(t0) != Stamp(Record{Timestamp: Stamp(t0)}.Time()) {
		t.Fatal("Stamp and Time do not round-trip")
	}
}

func header(version, dl uint32) []byte {
	b := append([]byte("btsnoop\x00"), 0, 0, 0, 0, 0, 0, 0, 0)
	binary.BigEndian.PutUint32(b[8:], version)
	binary.BigEndian.PutUint32(b[12:], dl)
	return b
}

func TestBadHeader(t *testing.T) {
	tests := []struct {
		name string
		in   []byte
		want error
	}{
		{"empty", nil, ErrFormat},
		{"short", []byte("btsnoop\x00\x00"), ErrFormat},
		{"magic", append([]byte("pcapfile"), header(1, 1002)[8:]...), ErrFormat},
		{"version", header(2, 1002), ErrVersion},
		{"datalink", header(1, 1001), ErrDatalink},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewReader(bytes.NewReader(tt.in))
			if !errors.Is(err, tt.want) {
				t.Fatalf("err %v, want %v", err, tt.want)
			}
		})
	}
}

func record(incl uint32, data []byte) []byte {
	b := make([]byte, 24)
	binary.BigEndian.PutUint32(b[0:], incl)
	binary.BigEndian.PutUint32(b[4:], incl)
	binary.BigEndian.PutUint32(b[8:], 3)
	return append(b, data...)
}

func TestBadRecords(t *testing.T) {
	good := record(uint32(1+len(advEvent)), append([]byte{4}, advEvent...))
	tests := []struct {
		name string
		body []byte
		want error
	}{
		{"header cut", append(good, good[:10]...), ErrTruncated},
		{"data cut", append(good, good[:len(good)-3]...), ErrTruncated},
		{"huge", append(good, record(1<<30, nil)...), ErrTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := NewReader(bytes.NewReader(append(header(1, 1002), tt.body...)))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := r.Next(); err != nil {
				t.Fatalf("first record: %v", err)
			}
			_, err = r.Next()
			if !errors.Is(err, tt.want) {
				t.Fatalf("err %v, want %v", err, tt.want)
			}
			if want := "record 2 at offset"; !bytes.Contains([]byte(err.Error()), []byte(want)) {
				t.Errorf("error %q does not name the record (%q)", err, want)
			}
		})
	}
}

func TestEventFilter(t *testing.T) {
	tests := []struct {
		dl   Datalink
		rec  Record
		want bool
	}{
		{H4, Record{Data: []byte{H4Event, 0x0e, 0x00}}, true},
		{H4, Record{Data: []byte{H4ACL, 0x00}}, false},
		{H4, Record{Data: nil}, false},
		{Monitor, Record{Flags: OpEvent, Data: []byte{0x0e, 0x00}}, true},
		{Monitor, Record{Flags: 2<<16 | OpEvent, Data: []byte{0x0e, 0x00}}, true},
		{Monitor, Record{Flags: OpCommand, Data: []byte{0x01}}, false},
	}
	for i, tt := range tests {
		if _, ok := tt.rec.Event(tt.dl); ok != tt.want {
			t.Errorf("%d: Event ok=%v, want %v", i, ok, tt.want)
		}
	}
}

func TestWriterRejectsDatalink(t *testing.T) {
	if _, err := NewWriter(io.Discard, 1001); !errors.Is(err, ErrDatalink) {
		t.Fatalf("err %v", err)
	}
}

func FuzzReader(f *testing.F) {
	for _, dl := range []Datalink{H4, Monitor} {
		var buf bytes.Buffer
		w, _ := NewWriter(&buf, dl)
		_ = w.WriteNewIndex(t0, [6]byte{}, "hci0")
		_ = w.WriteEvent(t0, advEvent)
		_ = w.WriteCommand(t0, []byte{0x0c, 0x20, 0x02, 0x00, 0x00})
		_ = w.Flush()
		f.Add(buf.Bytes())
		f.Add(buf.Bytes()[:buf.Len()-5])
	}
	f.Add(header(1, 2001))
	f.Add(append(header(1, 1002), record(1<<20, nil)...))
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := NewReader(bytes.NewReader(b))
		if err != nil {
			return
		}
		for range 10000 {
			rec, err := r.Next()
			if err != nil {
				if err != io.EOF && !errors.Is(err, ErrTruncated) && !errors.Is(err, ErrTooLarge) {
					t.Fatalf("unexpected error kind: %v", err)
				}
				return
			}
			if len(rec.Data) > MaxRecord {
				t.Fatalf("record of %d bytes", len(rec.Data))
			}
			_, _ = rec.Event(r.Datalink())
			_ = rec.Time()
		}
	})
}
