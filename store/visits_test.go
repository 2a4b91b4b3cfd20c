package store

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"
)

func TestSaveVisit(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	if err := s.Write(ctx, "t", func(w *Writer) error {
		_, err := w.PutDevice(Device{AssetTag: "BME-1", Manufacturer: "BD", Model: "Alaris 8015", LocationKey: "MAIN/3/3W-12", MAC: "00:09:fb:00:00:01"})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	d, _ := s.Device(ctx, "BME-1")
	at := time.Date(2026, 6, 1, 10, 0, 0, 0, time.UTC)
	v := VisitRecord{LocationKey: "MAIN/3/3W-12", StartedAt: at, FinishedAt: at.Add(time.Minute), IPSwept: true,
		Observations: []VisitObservation{
			{Key: "ip:10.3.12.11", Source: "ip", SeenAt: at, Data: json.RawMessage(`{"ip":"10.3.12.11","v":1}`)},
			{Key: "ble:AA", Source: "ble", SeenAt: at, Data: json.RawMessage(`{}`)},
			{Key: "ip:10.3.12.11", Source: "ip", SeenAt: at.Add(time.Second), Data: json.RawMessage(`{"ip":"10.3.12.11","v":2}`)},
		},
		Findings: []VisitFinding{
			{Kind: "verified", DeviceID: d.ID, ObservationKey: "ip:10.3.12.11", Data: json.RawMessage(`{"kind":"verified"}`)},
			{Kind: "unknown", ObservationKey: "ble:AA", Data: json.RawMessage(`{"kind":"unknown"}`)},
		}}
	id, err := s.SaveVisit(ctx, v)
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.VisitRecord(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != VisitSwept || !got.IPSwept || got.BLESwept || !got.StartedAt.Equal(at) || got.LocationKey != "MAIN/3/3W-12" {
		t.Errorf("visit = %+v", got)
	}
	if len(got.Observations) != 2 || string(got.Observations[0].Data) != `{"ip":"10.3.12.11","v":2}` {
		t.Errorf("observations = %+v", got.Observations)
	}
	if len(got.Findings) != 2 || got.Findings[0].DeviceID != d.ID || got.Findings[0].ObservationKey != "ip:10.3.12.11" || got.Findings[1].ObservationKey != "ble:AA" {
		t.Errorf("findings = %+v", got.Findings)
	}

	// A bad finding rolls back the whole visit.
	bad := v
	bad.Findings = append([]VisitFinding(nil), v.Findings...)
	bad.Findings = append(bad.Findings, VisitFinding{Kind: "unknown", ObservationKey: "ip:nowhere", Data: json.RawMessage(`{}`)})
	if _, err := s.SaveVisit(ctx, bad); !errors.Is(err, ErrConstraint) {
		t.Errorf("dangling observation key: %v", err)
	}
	var n int
	s.db.QueryRow("SELECT count(*) FROM visits").Scan(&n)
	if n != 1 {
		t.Errorf("%d visits stored, want 1 (the failed one rolled back)", n)
	}
	if _, err := s.SaveVisit(ctx, VisitRecord{LocationKey: "NOPE/1/1"}); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown room: %v", err)
	}
	if _, err := s.VisitRecord(ctx, 999); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown visit: %v", err)
	}
}

func TestDevicesByIdentifiers(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	if err := s.Write(ctx, "t", func(w *Writer) error {
		for _, d := range []Device{
			{AssetTag: "BME-1", Serial: "SN1", MAC: "00:09:fb:00:00:01", LocationKey: "MAIN/3/3W-12"},
			{AssetTag: "BME-2", Serial: "SN2", Identifiers: []Identifier{{Kind: IdentBLEName, Value: "Nonin3230_*"}, {Kind: IdentUDI, Value: "(01)123"}}},
			{AssetTag: "BME-3", Serial: "SN3"},
			{AssetTag: "BME-4", Serial: "SN4", Hostname: "mon-4.ward.example"},
			{AssetTag: "BME-5", Serial: "SN5", Hostname: "mon-40.ward.example"},
		} {
			if _, err := w.PutDevice(d); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	ds, err := s.DevicesByIdentifiers(ctx, []Identifier{{Kind: IdentMAC, Value: "00-09-FB-00-00-01"}, {Kind: IdentSerial, Value: "nope"},
		{Kind: IdentHostname, Value: "MON-4"}})
	if err != nil {
		t.Fatal(err)
	}
	tags := map[string][]Identifier{}
	for _, d := range ds {
		tags[d.AssetTag] = d.Identifiers
	}
	_, four := tags["BME-4"]
	if len(tags) != 3 || tags["BME-2"] == nil || len(tags["BME-2"]) != 2 || !four {
		t.Errorf("devices = %v (want BME-1 by MAC, BME-4 by short hostname and BME-2 for its name pattern, with its extra identifiers)", tags)
	}
	var got []string
	if err := s.EachIdentifier(ctx, func(id int64, k IdentKind, v string) error {
		got = append(got, string(k)+"="+v)
		return nil
	}); err != nil || len(got) != 10 {
		t.Errorf("EachIdentifier = %v, %v", got, err)
	}
}

func TestVisitLifecycle(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	if err := s.Write(ctx, "t", func(w *Writer) error {
		_, err := w.PutLocation(Location{Building: "MAIN", Floor: "3", Room: "3W-12"})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	var id int64
	write := func(fn func(w *Writer) error) error { return s.Write(ctx, "t", fn) }
	if err := write(func(w *Writer) (err error) { id, err = w.BeginVisit(0, "MAIN/3/3W-12"); return err }); err != nil {
		t.Fatal(err)
	}
	if v, _ := s.VisitRecord(ctx, id); v.Status != VisitOpen {
		t.Fatalf("begun visit status = %q, want open", v.Status)
	}
	sweep := func(key string, n int) VisitRecord {
		v := VisitRecord{ID: id, LocationKey: "MAIN/3/3W-12", IPSwept: true}
		for i := 0; i < n; i++ {
			k := key + string(rune('a'+i))
			v.Observations = append(v.Observations, VisitObservation{Key: k, Source: "ip", Data: json.RawMessage(`{}`)})
			v.Findings = append(v.Findings, VisitFinding{Kind: "unknown", ObservationKey: k, Data: json.RawMessage(`{}`)})
		}
		return v
	}
	// A sweep, then a re-sweep: the second replaces the first's rows.
	for _, rec := range []VisitRecord{sweep("ip:first-", 3), sweep("ip:second-", 2)} {
		if err := write(func(w *Writer) error { _, err := w.SaveVisit(rec); return err }); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.VisitRecord(ctx, id)
	if err != nil || got.Status != VisitSwept || len(got.Observations) != 2 || len(got.Findings) != 2 ||
		got.Observations[0].Key != "ip:second-a" {
		t.Fatalf("after re-sweep: %+v, %v", got, err)
	}
	fid := got.Findings[0].ID
	if err := write(func(w *Writer) error {
		return w.SetFindingAction(fid, "confirmed", json.RawMessage(`{"kind":"verified"}`))
	}); err != nil {
		t.Fatal(err)
	}
	if err := write(func(w *Writer) error { return w.SetFindingAction(fid, "x", json.RawMessage(`{`)) }); !errors.Is(err, ErrConstraint) {
		t.Errorf("invalid finding JSON: err = %v, want ErrConstraint", err)
	}
	if err := write(func(w *Writer) error { return w.SetFindingAction(99999, "x", json.RawMessage(`{}`)) }); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown finding: err = %v, want ErrNotFound", err)
	}
	if err := write(func(w *Writer) error { return w.CloseVisit(id) }); err != nil {
		t.Fatal(err)
	}
	got, _ = s.VisitRecord(ctx, id)
	if got.Status != VisitDone || got.FinishedAt.IsZero() || got.Findings[0].Action != "confirmed" {
		t.Fatalf("closed visit = %+v", got)
	}
	if err := write(func(w *Writer) error {
		_, err := w.SaveVisit(VisitRecord{ID: 424242, LocationKey: "MAIN/3/3W-12"})
		return err
	}); !errors.Is(err, ErrNotFound) {
		t.Errorf("re-sweep of an unknown visit: err = %v, want ErrNotFound", err)
	}
}
