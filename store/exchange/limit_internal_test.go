package exchange

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
)

// FuzzLimitReader: the limit reader passes a prefix of its input through
// unchanged, ends with io.EOF or a *RowError, and refuses only input that
// holds a record (or JSON string) over the bound.
func FuzzLimitReader(f *testing.F) {
	for _, s := range []string{"a,b\n1,2\n", "a\n\"x\ny\"\n", `[{"a":"b"},{"c":[{"d":1}]}]`, `{"devices":[{"x":"\"}"}]}`, "[[[[[[[["} {
		f.Add(s, false)
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, in string, json bool) {
		l := newLimitReader(strings.NewReader(in), "f", json)
		l.max = 16
		var out bytes.Buffer
		_, err := io.Copy(&out, l)
		if !strings.HasPrefix(in, out.String()) {
			t.Fatalf("output %q is not a prefix of %q", out.String(), in)
		}
		if err == nil {
			if out.String() != in {
				t.Fatalf("no error but output %q differs from %q", out.String(), in)
			}
			return
		}
		var re *RowError
		if !errors.As(err, &re) || re.Line < 1 {
			t.Fatalf("error %v is not a RowError with a line", err)
		}
		if !json && !strings.Contains(re.Reason, "row") {
			t.Fatalf("csv error %q", re.Reason)
		}
	})
}

func TestLimitReaderCSVRows(t *testing.T) {
	short := strings.Repeat("a,b\n", 100)
	l := newLimitReader(strings.NewReader(short), "f", false)
	l.max = 8
	if b, err := io.ReadAll(l); err != nil || string(b) != short {
		t.Fatalf("many short rows: %v", err)
	}
	// A quoted field's line breaks belong to its row.
	long := "h\n\"" + strings.Repeat("x\n", 10) + "\"\n"
	l = newLimitReader(strings.NewReader(long), "f", false)
	l.max = 8
	_, err := io.ReadAll(l)
	var re *RowError
	if !errors.As(err, &re) || re.Line != 2 {
		t.Fatalf("long quoted row: %v, want a RowError at line 2", err)
	}
}
