package exchange_test

import (
	"context"
	"errors"
	"io"
	"runtime"
	"strings"
	"testing"

	"github.com/biomed-rounds/rounds/store/exchange"
)

// TestFieldLimits: each field's limit (inventory's table) is enforced by
// import with the file, line and field; a value at the limit passes.
// Before, a 100,000-character asset tag was stored.
func TestFieldLimits(t *testing.T) {
	for _, tc := range []struct {
		name, data string
		wantLine   int
		wantField  string
	}{
		{"asset tag 65", "asset_tag,status\nOK,in_service\n" + strings.Repeat("A", 65) + ",in_service\n", 3, "asset_tag"},
		{"asset tag 100000", "asset_tag\n" + strings.Repeat("A", 100000) + "\n", 2, "asset_tag"},
		{"manufacturer 257", "asset_tag,manufacturer,model\nT1," + strings.Repeat("m", 257) + ",X\n", 2, "manufacturer"},
		{"room name 257", "key,name\nMAIN/1/1," + strings.Repeat("n", 257) + "\n", 2, "name"},
		{"model os 129", "manufacturer,model,os\nBD,Alaris," + strings.Repeat("o", 129) + "\n", 2, "os"},
		{"json serial", `[{"asset_tag":"T1","serial":"` + strings.Repeat("s", 129) + `"}]`, 1, "serial"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := open(t)
			_, err := importString(t, st, "in", tc.data, exchange.Options{})
			var re *exchange.RowError
			if !errors.As(err, &re) || re.Line != tc.wantLine || re.Field != tc.wantField {
				t.Fatalf("import: %v; want a RowError at line %d field %s", err, tc.wantLine, tc.wantField)
			}
			if len(err.Error()) > 300 {
				t.Errorf("the error quotes the value: %d bytes", len(err.Error()))
			}
		})
	}
	st := open(t)
	mustImport(t, st, "ok.csv", "asset_tag,owner\n"+strings.Repeat("A", 64)+","+strings.Repeat("é", 256)+"\n", exchange.Options{})
}

// hugeField streams a CSV or JSON file whose second record holds a field
// of size bytes, without holding it in memory.
type hugeField struct {
	head, tail string
	size, off  int64
	stage      int
}

func (h *hugeField) Read(p []byte) (int, error) {
	switch h.stage {
	case 0:
		n := copy(p, h.head)
		h.head = h.head[n:]
		if h.head == "" {
			h.stage++
		}
		return n, nil
	case 1:
		n := int64(len(p))
		if rest := h.size - h.off; n > rest {
			n = rest
		}
		for i := range p[:n] {
			p[i] = 'x'
		}
		h.off += n
		if h.off == h.size {
			h.stage++
		}
		return int(n), nil
	case 2:
		n := copy(p, h.tail)
		h.tail = h.tail[n:]
		if h.tail == "" {
			h.stage++
		}
		return n, nil
	}
	return 0, io.EOF
}

// TestHugeFieldIsRefusedEarly: a 100 MB field is refused at its line
// after about a megabyte has been read, allocating a bounded amount
// (before: about 12 times the field, 1.2 GB resident).
func TestHugeFieldIsRefusedEarly(t *testing.T) {
	const size = 100 << 20
	for _, tc := range []struct {
		name, head, tail, field string
	}{
		{"csv quoted", "asset_tag,owner\nT1,ok\nT2,\"", "\"\n", "row"},
		{"csv bare", "asset_tag,owner\nT1,ok\nT2,", "\n", "row"},
		{"json", "[\n{\"asset_tag\":\"T1\"},\n{\"asset_tag\":\"T2\",\"owner\":\"", "\"}]\n", "json"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := open(t)
			src := &hugeField{head: tc.head, tail: tc.tail, size: size}
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			_, err := exchange.Import(context.Background(), st, src, exchange.Options{Name: "big"})
			runtime.ReadMemStats(&after)
			var re *exchange.RowError
			if !errors.As(err, &re) || re.Line != 3 || re.Field != tc.field {
				t.Fatalf("import: %v; want a RowError at line 3 (%s)", err, tc.field)
			}
			if !strings.Contains(err.Error(), "1.0 MiB") {
				t.Errorf("error does not give the limit in readable units: %v", err)
			}
			if src.off > 4<<20 {
				t.Errorf("read %d bytes of the field before refusing it", src.off)
			}
			if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 64<<20 {
				t.Errorf("allocated %d MB to refuse a 100 MB field", alloc>>20)
			}
		})
	}
}

// TestJSONDuplicateKeys: a record that names a key twice is refused at the
// line of the second one; encoding/json would keep the last silently.
func TestJSONDuplicateKeys(t *testing.T) {
	for _, tc := range []struct {
		name, data string
		line       int
	}{
		{"one line", `[{"asset_tag":"T1","owner":"a","owner":"b"}]`, 1},
		{"pretty", "[\n  {\n    \"asset_tag\": \"T1\",\n    \"owner\": \"a\",\n    \"owner\": \"b\"\n  }\n]\n", 5},
		{"second record", "{\"devices\": [\n{\"asset_tag\":\"T1\"},\n{\"asset_tag\":\"T2\",\n\"asset_tag\":\"T3\"}\n]}", 4},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := open(t)
			_, err := importString(t, st, "dup.json", tc.data, exchange.Options{})
			var re *exchange.RowError
			if !errors.As(err, &re) || re.Line != tc.line || !strings.Contains(re.Reason, "twice") {
				t.Fatalf("import: %v; want a duplicate-key error at line %d", err, tc.line)
			}
		})
	}
}

// TestJSONErrorLines: syntax errors name the line they are on, not line 1.
func TestJSONErrorLines(t *testing.T) {
	for _, tc := range []struct {
		name, data string
		line       int
	}{
		{"missing comma", "[\n{\"asset_tag\":\"T1\"}\n{\"asset_tag\":\"T2\"}\n]", 3},
		{"bad value", "[\n{\"asset_tag\":\"T1\"},\n{\"asset_tag\": tru}\n]", 3},
		{"truncated", "[\n{\"asset_tag\":\"T1\"},\n{\"asset_tag\":", 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := open(t)
			_, err := importString(t, st, "bad.json", tc.data, exchange.Options{})
			var re *exchange.RowError
			if !errors.As(err, &re) || re.Line != tc.line {
				t.Fatalf("import: %v; want an error at line %d", err, tc.line)
			}
		})
	}
}
