package ble

import (
	"bytes"
	"io"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/go-ble/ble/linux/adv"
	"github.com/go-ble/ble/linux/hci/evt"

	"github.com/biomed-rounds/rounds/scan/ble/blesim"
	"github.com/biomed-rounds/rounds/scan/btsnoop"
)

// The benchmark capture: a ward of 2,000 RTLS tags advertising at 10 Hz
// with rotating addresses (15-minute rotation, as RPAs default to), plus the medical devices of a room, for two
// seconds of capture time (about 40,000 advertisements).
var (
	benchOnce sync.Once
	benchCap  []byte
	benchAdvs int
)

const (
	wardTags = 2000
	wardHz   = 10
	wardSpan = 2 * time.Second
)

func benchCapture(b testing.TB) ([]byte, int) {
	benchOnce.Do(func() {
		devs := append(blesim.Ward(wardTags, time.Second/wardHz, 15*time.Minute), blesim.Room(15*time.Minute)...)
		var buf bytes.Buffer
		n, err := blesim.Write(&buf, blesim.Capture{Start: capStart, Duration: wardSpan, Datalink: btsnoop.Monitor, Seed: 9}, devs)
		if err != nil {
			panic(err)
		}
		benchCap, benchAdvs = buf.Bytes(), n
	})
	return benchCap, benchAdvs
}

// measure runs pass b.N times over the capture and reports
// advertisements per second and allocations per advertisement.
func measure(b *testing.B, pass func(cap []byte)) {
	capture, n := benchCapture(b)
	b.SetBytes(int64(len(capture)))
	b.ReportAllocs()
	var ms0, ms1 runtime.MemStats
	runtime.ReadMemStats(&ms0)
	b.ResetTimer()
	for range b.N {
		pass(capture)
	}
	b.StopTimer()
	runtime.ReadMemStats(&ms1)
	total := float64(n) * float64(b.N)
	b.ReportMetric(total/b.Elapsed().Seconds(), "adv/s")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/total, "ns/adv")
	b.ReportMetric(float64(ms1.Mallocs-ms0.Mallocs)/total, "allocs/adv")
}

func eachEvent(capture []byte, fn func([]byte)) {
	r, err := btsnoop.NewReader(bytes.NewReader(capture))
	if err != nil {
		panic(err)
	}
	dl := r.Datalink()
	for {
		rec, err := r.Next()
		if err == io.EOF {
			return
		}
		if err != nil {
			panic(err)
		}
		if ev, ok := rec.Event(dl); ok {
			fn(ev)
		}
	}
}

// BenchmarkDecode is replay decoding: btsnoop reading, event decoding and
// AD parsing of every advertisement.
func BenchmarkDecode(b *testing.B) {
	var d Decoder
	var ad AD
	var names int
	fn := func(r *Report) {
		ad.Parse(r.Data)
		if ad.Name != nil {
			names++
		}
	}
	measure(b, func(capture []byte) {
		eachEvent(capture, func(ev []byte) { d.Event(ev, fn) })
	})
	if d.Stats.Malformed != 0 {
		b.Fatalf("stats %+v", d.Stats)
	}
}

// BenchmarkReplay is the whole replay path without pacing: decoding, the
// room aggregation with rotating-address learning, and one snapshot at
// the end.
func BenchmarkReplay(b *testing.B) {
	measure(b, func(capture []byte) {
		var d Decoder
		room := NewRoom(RoomConfig{})
		var cur time.Time
		add := func(r *Report) { room.Add(cur, r) }
		rd, _ := btsnoop.NewReader(bytes.NewReader(capture))
		for {
			rec, err := rd.Next()
			if err != nil {
				break
			}
			if ev, ok := rec.Event(rd.Datalink()); ok {
				cur = rec.Time()
				d.Event(ev, add)
			}
		}
		if obs := room.Snapshot(cur); len(obs) < wardTags {
			b.Fatalf("%d observations", len(obs))
		}
	})
}

// BenchmarkGoBLE decodes the same capture with go-ble's own decoders used
// as its Linux scanner uses them: evt.LEAdvertisingReport for the event,
// then adv.NewRawPacket and the packet's accessors for the fields, each
// call guarded against panics.
func BenchmarkGoBLE(b *testing.B) {
	var names int
	measure(b, func(capture []byte) {
		eachEvent(capture, func(ev []byte) {
			if len(ev) < 3 || ev[0] != evtLEMeta || ev[2] != subLEAdvReport {
				return
			}
			func() {
				defer func() { recover() }()
				e := evt.LEAdvertisingReport(ev[2:])
				for i := 0; i < int(e.NumReports()); i++ {
					_ = e.EventType(i)
					_ = e.AddressType(i)
					_ = e.Address(i)
					_ = e.RSSI(i)
					p := adv.NewRawPacket(e.Data(i))
					if p.LocalName() != "" {
						names++
					}
					_ = p.ManufacturerData()
					_ = p.UUIDs()
					_ = p.ServiceData()
					_, _ = p.TxPower()
				}
			}()
		})
	})
}

// BenchmarkWardSecond is one second of a 2,000-tag ward at 10 Hz as the
// live source handles it: 20,000 advertisements added to the room and the
// snapshot the source takes every second (tick). Its ns/op is the CPU cost of
// one second of the ward (divide by 1e7 for percent of a core).
func BenchmarkWardSecond(b *testing.B) {
	capture, _ := benchCapture(b)
	var evts [][]byte
	var at []time.Time
	eachEvent(capture, func(ev []byte) { evts = append(evts, bytes.Clone(ev)) })
	rd, _ := btsnoop.NewReader(bytes.NewReader(capture))
	for {
		rec, err := rd.Next()
		if err != nil {
			break
		}
		if _, ok := rec.Event(rd.Datalink()); ok {
			at = append(at, rec.Time())
		}
	}
	// Warm the room with the first second, measure the second one.
	half := len(evts) / 2
	var d Decoder
	room := NewRoom(RoomConfig{})
	var cur time.Time
	add := func(r *Report) { room.Add(cur, r) }
	for i := range half {
		cur = at[i]
		d.Event(evts[i], add)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		for i := half; i < len(evts); i++ {
			cur = at[i]
			d.Event(evts[i], add)
		}
		room.Snapshot(cur)
	}
	b.StopTimer()
	perSecond := float64(b.Elapsed().Nanoseconds()) / float64(b.N) / (wardSpan.Seconds() / 2)
	b.ReportMetric(perSecond/1e7, "%core")
}

// benchEvents returns the capture's events, extracted once, so that the
// decoders can be compared without the file reading they share.
func benchEvents(b testing.TB) [][]byte {
	capture, _ := benchCapture(b)
	var evts [][]byte
	eachEvent(capture, func(ev []byte) { evts = append(evts, bytes.Clone(ev)) })
	return evts
}

func measureEvents(b *testing.B, evts [][]byte, n int, fn func(ev []byte)) {
	b.ReportAllocs()
	var ms0, ms1 runtime.MemStats
	runtime.ReadMemStats(&ms0)
	b.ResetTimer()
	for range b.N {
		for _, ev := range evts {
			fn(ev)
		}
	}
	b.StopTimer()
	runtime.ReadMemStats(&ms1)
	total := float64(n) * float64(b.N)
	b.ReportMetric(total/b.Elapsed().Seconds(), "adv/s")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/total, "ns/adv")
	b.ReportMetric(float64(ms1.Mallocs-ms0.Mallocs)/total, "allocs/adv")
}

// legacyOnly keeps the legacy advertising events, which both decoders
// handle, and counts their reports.
func legacyOnly(evts [][]byte) ([][]byte, int) {
	var out [][]byte
	n := 0
	for _, ev := range evts {
		if len(ev) > 3 && ev[0] == evtLEMeta && ev[2] == subLEAdvReport {
			out = append(out, ev)
			n += int(ev[3])
		}
	}
	return out, n
}

// BenchmarkEventsOurs decodes legacy advertising events and parses their
// AD: the decoding work alone, for comparison with BenchmarkEventsGoBLE.
func BenchmarkEventsOurs(b *testing.B) {
	evts, n := legacyOnly(benchEvents(b))
	var d Decoder
	var ad AD
	fn := func(r *Report) { ad.Parse(r.Data) }
	measureEvents(b, evts, n, func(ev []byte) { d.Event(ev, fn) })
}

// BenchmarkEventsGoBLE is the same work through go-ble's decoders used
// naively (evt.LEAdvertisingReport, adv.NewRawPacket and its accessors),
// guarded against panics.
func BenchmarkEventsGoBLE(b *testing.B) {
	evts, n := legacyOnly(benchEvents(b))
	var names int
	measureEvents(b, evts, n, func(ev []byte) {
		defer func() { recover() }()
		e := evt.LEAdvertisingReport(ev[2:])
		for i := 0; i < int(e.NumReports()); i++ {
			_, _, _, _ = e.EventType(i), e.AddressType(i), e.Address(i), e.RSSI(i)
			p := adv.NewRawPacket(e.Data(i))
			if p.LocalName() != "" {
				names++
			}
			_ = p.ManufacturerData()
			_ = p.UUIDs()
			_ = p.ServiceData()
			_, _ = p.TxPower()
		}
	})
}

// BenchmarkRoomAdd is the steady-state aggregation of one advertisement
// into a room that already knows the advertiser (the hot path of a sweep).
func BenchmarkRoomAdd(b *testing.B) {
	evts := benchEvents(b)
	var d Decoder
	room := NewRoom(RoomConfig{})
	var reps []Report
	d2 := Decoder{}
	for _, ev := range evts {
		d2.Event(ev, func(r *Report) {
			c := *r
			c.Data = bytes.Clone(r.Data)
			reps = append(reps, c)
		})
	}
	_ = d
	t := capStart
	for i := range reps {
		room.Add(t, &reps[i])
	}
	measureEvents(b, [][]byte{nil}, len(reps), func([]byte) {
		for i := range reps {
			room.Add(t, &reps[i])
		}
	})
}
