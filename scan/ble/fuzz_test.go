package ble

import (
	"bytes"
	"slices"
	"testing"
	"time"

	"github.com/go-ble/ble/linux/adv"

	"github.com/biomed-rounds/rounds/scan/ble/blesim"
)

func FuzzDecode(f *testing.F) {
	_, evts := blesim.Events(blesim.Capture{Duration: 3 * time.Second, Seed: 1}, blesim.Room(time.Second))
	for _, ev := range evts[:min(len(evts), 40)] {
		f.Add(ev)
	}
	for _, m := range malformedEvents {
		f.Add(m.ev)
	}
	f.Add(blesim.LegacyEvent(
		blesim.Legacy{Type: 0, Addr: addrGlucose, Data: adGlucose, RSSI: -58},
		blesim.Legacy{Type: 4, AddrType: 1, Addr: addrOxi, Data: adFull[:20], RSSI: -60}))
	f.Add(blesim.ExtendedEvent(
		blesim.Extended{Props: 0x20, Addr: addrGlucose, TxPower: 127, RSSI: -50, Data: adFull[:20]},
		blesim.Extended{Props: 0x00, Addr: addrGlucose, TxPower: 127, RSSI: -50, Data: adFull[20:]}))
	f.Fuzz(func(t *testing.T, ev []byte) {
		var d Decoder
		r := NewRoom(RoomConfig{})
		now := capStart
		n := 0
		for range 2 { // twice, so fragments and rotating features meet again
			d.Event(ev, func(rep *Report) {
				n++
				if !rep.Extended && len(rep.Data) > maxLegacyData {
					t.Fatalf("legacy report with %d bytes", len(rep.Data))
				}
				if len(rep.Data) > maxExtData {
					t.Fatalf("report with %d bytes", len(rep.Data))
				}
				now = now.Add(time.Second)
				r.Add(now, rep)
			})
		}
		if n != d.Stats.Reports {
			t.Fatalf("%d callbacks, %d reports counted", n, d.Stats.Reports)
		}
		obs := r.Snapshot(now)
		if len(obs) > r.Len() {
			t.Fatalf("%d observations from %d addresses", len(obs), r.Len())
		}
		for _, o := range obs {
			if o.BLE.Count == 0 || o.BLE.RSSIMax < o.BLE.RSSIMedian {
				t.Fatalf("observation %+v", *o.BLE)
			}
		}
	})
}

// FuzzAD checks that AD.Parse never panics and, on data it finds well
// formed, agrees with go-ble's adv.Packet where go-ble is sound.
func FuzzAD(f *testing.F) {
	f.Add(adFull)
	f.Add(adGlucose)
	for _, d := range blesim.Room(0) {
		f.Add(d.AD(3))
	}
	f.Add([]byte{0x02, 0x01, 0x06, 0x00, 0x00})
	f.Add([]byte{0x04, 0x03, 0x10, 0x18, 0x22})
	f.Add([]byte{0x02, 0x21, 0x10})
	f.Add([]byte{0x05, 0x16, 0x0a, 0x18, 0x01, 0x02, 0x09, 0x20, 1, 2, 3, 4, 5, 6, 7, 8})
	f.Fuzz(fuzzADBody)
}

func fuzzADBody(t *testing.T, b []byte) {
	{
		var ad AD
		ad.Parse(b)
		for _, e := range ad.Manufacturer[:ad.NManufacturer] {
			if len(e) < 2 {
				t.Fatalf("manufacturer entry % x", e)
			}
			_ = CompanyName(CompanyID(e))
		}
		for _, l := range ad.UUIDs[:ad.NUUIDs] {
			if len(l.B)%l.Width != 0 || len(l.B) == 0 {
				t.Fatalf("uuid list %d/% x", l.Width, l.B)
			}
			_ = UUIDString(l.B[:l.Width])
		}
		for _, s := range ad.ServiceData[:ad.NServiceData] {
			_ = UUIDString(s.UUID())
			_ = s.Data()
		}
		if ad.Bad != 0 || ad.terminated || len(b) > adv.MaxEIRPacketLength {
			// go-ble loops forever on a zero or overrunning length in
			// UUIDs, panics on ragged lists: no comparison there.
			return
		}
		p := adv.NewRawPacket(b)
		if cn := p.Field(adCompleteName); len(cn) > 0 && !bytes.Equal(ad.Name, cn) {
			t.Fatalf("complete name %q, go-ble %q", ad.Name, cn)
		}
		if md := p.ManufacturerData(); md != nil && (ad.NManufacturer == 0 || !bytes.Equal(md, ad.Manufacturer[0])) {
			t.Fatalf("manufacturer data % x, go-ble % x", ad.Manufacturer[0], md)
		}
		var ours, theirs []string
		for _, l := range ad.UUIDs[:ad.NUUIDs] {
			for i := 0; i < len(l.B); i += l.Width {
				ours = append(ours, UUIDString(l.B[i:i+l.Width]))
			}
		}
		func() {
			defer func() { recover() }() // go-ble may still panic; that is its fault, not ours
			for _, u := range p.UUIDs() {
				theirs = append(theirs, UUIDString(u))
			}
		}()
		slices.Sort(ours)
		slices.Sort(theirs)
		if theirs != nil && !slices.Equal(ours, theirs) {
			t.Fatalf("uuids %v, go-ble %v", ours, theirs)
		}
	}
}
