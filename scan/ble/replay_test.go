package ble

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/biomed-rounds/rounds/scan"
	"github.com/biomed-rounds/rounds/scan/ble/blesim"
	"github.com/biomed-rounds/rounds/scan/btsnoop"
)

// malformedEvents are broken advertising events of every kind the tests
// know: truncated events, bad AD lengths, zero-length fields and report
// counts that do not fit. Each entry says what the decoder must count.
var malformedEvents = []struct {
	name      string
	ev        []byte
	malformed int
	badAD     int
}{
	{"truncated event", blesim.LegacyEvent(blesim.Legacy{Addr: addrOxi, AddrType: 1, Data: adGlucose})[:14], 1, 0},
	{"AD length past end", blesim.LegacyEvent(blesim.Legacy{Addr: [6]byte{1, 1, 1, 1, 1, 0xc1}, AddrType: 1,
		Data: []byte{0x02, 0x01, 0x06, 0x1f, 0x09, 'x'}, RSSI: -50}), 0, 1},
	{"zero-length fields", blesim.LegacyEvent(blesim.Legacy{Addr: [6]byte{2, 2, 2, 2, 2, 0xc2}, AddrType: 1,
		Data: []byte{0x01, 0xff, 0x01, 0x0a, 0x00, 0x07}, RSSI: -50}), 0, 3},
	{"wrong count", func() []byte {
		b := blesim.LegacyEvent(blesim.Legacy{Addr: [6]byte{3, 3, 3, 3, 3, 0xc3}, AddrType: 1, Data: []byte{0x02, 0x01, 0x06}, RSSI: -50})
		b[3] = 4
		return b
	}(), 3, 0},
	{"extended wrong count", func() []byte {
		b := blesim.ExtendedEvent(blesim.Extended{Addr: [6]byte{4, 4, 4, 4, 4, 0xc4}, AddrType: 1, TxPower: 127, RSSI: -50})
		b[3] = 2
		return b
	}(), 1, 0},
}

// TestMalformedCapture replays captures in both datalinks in which broken
// events sit between good advertisements and the last record is cut
// short: the broken parts are counted and skipped, the good devices are
// all reported, and nothing panics.
func TestMalformedCapture(t *testing.T) {
	devs := blesim.Room(10 * time.Second)
	at, evts := blesim.Events(blesim.Capture{Duration: 20 * time.Second, Seed: 3}, devs)
	for _, dl := range []btsnoop.Datalink{btsnoop.H4, btsnoop.Monitor} {
		t.Run(dl.String(), func(t *testing.T) {
			var buf bytes.Buffer
			w, err := btsnoop.NewWriter(&buf, dl)
			if err != nil {
				t.Fatal(err)
			}
			for i, ev := range evts {
				if err := w.WriteEvent(capStart.Add(at[i]), ev); err != nil {
					t.Fatal(err)
				}
				if i%40 == 20 {
					m := malformedEvents[(i/40)%len(malformedEvents)]
					if err := w.WriteEvent(capStart.Add(at[i]), m.ev); err != nil {
						t.Fatal(err)
					}
				}
			}
			if err := w.Flush(); err != nil {
				t.Fatal(err)
			}
			// A last record cut short, as when power fails mid-capture.
			whole := buf.Bytes()
			cut := append(bytes.Clone(whole), whole[16:16+30]...)
			p := filepath.Join(t.TempDir(), "damaged.btsnoop")
			if err := os.WriteFile(p, cut, 0o600); err != nil {
				t.Fatal(err)
			}
			obs, _, rp := replay(t, p)
			st := rp.Stats()
			n := 0
			for i := range evts {
				if i%40 == 20 {
					n++
				}
			}
			if n < len(malformedEvents) {
				t.Fatalf("only %d broken events written", n)
			}
			// Each kind appears n/len times, at least once.
			if st.Malformed == 0 || st.BadAD == 0 || !st.Damaged || !strings.Contains(st.Damage, "truncated") {
				t.Errorf("stats %+v", st)
			}
			var expMal, expBad int
			for j := 0; j < n; j++ {
				m := malformedEvents[j%len(malformedEvents)]
				expMal += m.malformed
				expBad += m.badAD
			}
			if st.Malformed != expMal || st.BadAD != expBad {
				t.Errorf("malformed %d bad AD %d, want %d %d", st.Malformed, st.BadAD, expMal, expBad)
			}
			named := byName(obs)
			for _, name := range []string{"meter+06417251", "MightySat", "BLEsmart_01", "INFUSION-PUMP 2231", "tslim X2 ***781", "A&D_UT201BLE_5C2D"} {
				if _, ok := named[name]; !ok {
					t.Errorf("%s missing", name)
				}
			}
		})
	}
}

func TestReplayErrors(t *testing.T) {
	dir := t.TempDir()
	notSnoop := filepath.Join(dir, "notes.txt")
	os.WriteFile(notSnoop, []byte("this is not a capture at all"), 0o600)
	tests := []struct {
		path string
		want error
	}{
		{filepath.Join(dir, "absent.btsnoop"), os.ErrNotExist},
		{notSnoop, btsnoop.ErrFormat},
	}
	for _, tt := range tests {
		err := (&Replay{Path: tt.path, Fast: true}).Sweep(context.Background(), make(chan scan.Observation, 1))
		if !errors.Is(err, tt.want) || !strings.Contains(err.Error(), filepath.Base(tt.path)) {
			t.Errorf("%s: %v", tt.path, err)
		}
	}
}

// TestReplayPace checks that a paced replay waits out the capture's time
// and reports devices as they appear, before the end.
func TestReplayPace(t *testing.T) {
	path := writeCapture(t, btsnoop.Monitor, 10*time.Second, blesim.Room(0)[:2])
	var slept time.Duration
	base := time.Now()
	p := &Replay{Path: path,
		now: func() time.Time { return base.Add(slept) },
		sleep: func(ctx context.Context, d time.Duration) error {
			slept += d
			return nil
		}}
	out := make(chan scan.Observation, 100)
	if err := p.Sweep(context.Background(), out); err != nil {
		t.Fatal(err)
	}
	close(out)
	if slept < 9*time.Second || slept > 11*time.Second {
		t.Errorf("slept %v for a 10 s capture", slept)
	}
	firsts := map[string]scan.Observation{}
	lasts := map[string]scan.Observation{}
	for o := range out {
		if _, ok := firsts[o.Key()]; !ok {
			firsts[o.Key()] = o
		}
		lasts[o.Key()] = o
	}
	if len(firsts) != 2 {
		t.Fatalf("%d advertisers", len(firsts))
	}
	for k, o := range firsts {
		if o.BLE.Count > 3 || o.BLE.Placement != scan.Nearby {
			t.Errorf("%s first reported after %d advertisements, %s", k, o.BLE.Count, o.BLE.Placement)
		}
		if l := lasts[k]; l.BLE.Count < 9 || l.BLE.Placement != scan.InRoom {
			t.Errorf("%s last reported with %d advertisements, %s", k, l.BLE.Count, l.BLE.Placement)
		}
	}
}

// TestReplayCancel checks that a paced replay stops promptly when its
// context ends, and leaves no goroutine behind (TestMain checks).
func TestReplayCancel(t *testing.T) {
	path := writeCapture(t, btsnoop.H4, 60*time.Second, blesim.Room(0))
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	err := (&Replay{Path: path}).Sweep(ctx, make(chan scan.Observation, 100))
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err %v", err)
	}
	if d := time.Since(start); d > 300*time.Millisecond+200*time.Millisecond {
		t.Errorf("took %v to stop", d)
	}
	// A consumer that stops reading does not block the replay either.
	ctx2, cancel2 := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel2()
	if err := (&Replay{Path: path, Fast: true}).Sweep(ctx2, make(chan scan.Observation)); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("blocked consumer: %v", err)
	}
}
