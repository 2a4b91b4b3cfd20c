package blesim

import (
	"bytes"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/biomed-rounds/rounds/scan"
	"github.com/biomed-rounds/rounds/scan/btsnoop"
)

func TestWriteDeterministic(t *testing.T) {
	c := Capture{Start: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), Duration: 10 * time.Second, Seed: 4}
	var a, b bytes.Buffer
	na, err := Write(&a, c, Room(3*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	nb, _ := Write(&b, c, Room(3*time.Second))
	if na != nb || !bytes.Equal(a.Bytes(), b.Bytes()) || na < 150 {
		t.Fatalf("%d and %d advertisements; equal=%v", na, nb, bytes.Equal(a.Bytes(), b.Bytes()))
	}
	r, err := btsnoop.NewReader(&a)
	if err != nil || r.Datalink() != btsnoop.Monitor {
		t.Fatalf("%v %v", err, r.Datalink())
	}
	events := 0
	var last time.Time
	for {
		rec, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := rec.Event(r.Datalink()); ok {
			events++
			if rec.Time().Before(last) {
				t.Fatal("records out of time order")
			}
			last = rec.Time()
		}
	}
	if events != na {
		t.Fatalf("%d events for %d advertisements", events, na)
	}
}

func TestRotation(t *testing.T) {
	d := Room(10 * time.Second)[4] // the insulin pump, resolvable
	a0, t0 := d.AddrAt(0)
	a1, _ := d.AddrAt(9 * time.Second)
	a2, _ := d.AddrAt(10 * time.Second)
	if a0 != a1 || a0 == a2 || t0 != 1 || a0[5]>>6 != 0b01 || a2[5]>>6 != 0b01 {
		t.Fatalf("addresses %x %x %x type %d", a0, a1, a2, t0)
	}
	tag := Room(10 * time.Second)[5]
	if a, _ := tag.AddrAt(0); a[5]>>6 != 0 {
		t.Fatalf("non-resolvable address %x", a)
	}
	if tag.AD(1)[len(tag.AD(1))-1] == tag.AD(2)[len(tag.AD(2))-1] {
		t.Fatal("the sequence number does not count")
	}
	static := Room(0)[1]
	if a, at := static.AddrAt(time.Hour); at != 1 || a[5]>>6 != 0b11 {
		t.Fatalf("static address %x type %d", a, at)
	}
}

func TestWriteRefusesOversizedLegacy(t *testing.T) {
	d := Device{Label: "chatty", Addr: "00:11:22:33:44:55", AddrType: scan.AddrPublic, Name: strings.Repeat("x", 40)}
	if _, err := Write(io.Discard, Capture{Duration: time.Second}, []Device{d}); err == nil || !strings.Contains(err.Error(), "chatty") {
		t.Fatalf("err %v", err)
	}
	d.Extended = true
	if _, err := Write(io.Discard, Capture{Duration: time.Second}, []Device{d}); err != nil {
		t.Fatal(err)
	}
}

func TestWard(t *testing.T) {
	w := Ward(300, 100*time.Millisecond, time.Minute)
	seen := map[string]bool{}
	for _, d := range w {
		k := string(d.Manufacturer[0].Data[:4])
		if seen[k] {
			t.Fatalf("duplicate tag identifier % x", k)
		}
		seen[k] = true
	}
}
