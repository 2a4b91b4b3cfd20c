package servicenow_test

import (
	"context"
	"testing"
	"time"

	"github.com/biomed-rounds/rounds/store"
	"github.com/biomed-rounds/rounds/sync"
)

func TestRoundTrip(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	for i, tag := range []string{"BME-1", "BME-2", "BME-3", "BME-4", "BME-5", "BME-6", "BME-7"} {
		e.ci(tag, "SN"+tag, []string{"MAIN/3/3W-12", "MAIN/3/3W-14"}[i%2])
	}
	t0 := time.Now()
	pr, _ := e.sync()
	t.Log("first sync", time.Since(t0), e.client.Stats())
	if pr.Records != 7 || pr.Created != 7 {
		t.Fatalf("first pull = %+v", pr)
	}
	d := e.device("BME-1")
	if d.LocationKey != "MAIN/3/3W-12" || d.Model != "Alaris 8015" || d.Manufacturer != "BD" || d.Serial != "SNBME-1" || d.CMDBID == "" {
		t.Fatalf("pulled device = %+v", d)
	}
	if c := e.counts(); c[store.StatePending] != 0 {
		t.Fatalf("pull journalled local changes: %v", c)
	}
	// A local move is pushed; the server's record follows.
	e.edit("BME-1", func(d *store.Device) { d.LocationKey = "MAIN/4/ICU-1"; d.FirmwareVersion = "2.0" })
	t0 = time.Now()
	_, ps := e.sync()
	t.Log("second sync", time.Since(t0), e.client.Stats())
	if ps.Acked != 1 {
		t.Fatalf("push = %+v", ps)
	}
	r := e.byTag("BME-1")
	if len(r) != 1 || r[0]["location"] != e.locs["MAIN/4/ICU-1"] || r[0]["firmware_version"] != "2.0" {
		t.Fatalf("server record = %v", r)
	}
	// A create goes through IRE and comes back with the sys_id.
	must(t, e.st.Write(ctx, "tech", func(w *store.Writer) error {
		_, err := w.PutDevice(store.Device{AssetTag: "BME-NEW", Serial: "SN-NEW", Manufacturer: "BD", Model: "Alaris 8015",
			LocationKey: "MAIN/3/3W-12"})
		return err
	}))
	_, ps = e.sync()
	if ps.Acked != 1 || len(e.byTag("BME-NEW")) != 1 {
		t.Fatalf("create: push %+v, server %v", ps, e.byTag("BME-NEW"))
	}
	if d := e.device("BME-NEW"); d.CMDBID != e.byTag("BME-NEW")[0]["sys_id"] {
		t.Errorf("created device cmdb_id = %q", d.CMDBID)
	}
	// Nothing left to do: a further sync sends nothing and changes nothing.
	before := e.fake.Stats().Batches
	_, ps = e.sync()
	if ps.Ops != 0 || e.fake.Stats().Batches != before {
		t.Errorf("idle sync sent %+v", ps)
	}
	st, err := sync.ReadStatus(ctx, e.st, "snow")
	if err != nil || st.Queued != 0 || st.Journal[store.StateAcked] != 2 {
		t.Errorf("status = %+v, %v", st, err)
	}
}
