package servicenow_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/biomed-rounds/rounds/store"
	"github.com/biomed-rounds/rounds/sync"
	"github.com/biomed-rounds/rounds/sync/secret"
	"github.com/biomed-rounds/rounds/sync/servicenow"
	"github.com/biomed-rounds/rounds/sync/servicenow/snfake"
	"github.com/biomed-rounds/rounds/sync/synctest"
	"github.com/biomed-rounds/rounds/sync/transport"
)

const (
	user = "svc_rounds"
	pass = "Sup3r-s3cret-Pw!"
)

// env is a store and an engine wired to a fake instance.
type env struct {
	t      *testing.T
	fake   *snfake.Server
	client *transport.Client
	conn   *servicenow.Connector
	st     *store.Store
	eng    *sync.Engine
	locs   map[string]string
	local  synctest.Local
}

type envOpt func(*servicenow.Config, *transport.Config)

func newEnv(t *testing.T, opts ...envOpt) *env {
	t.Helper()
	fake := snfake.New()
	fake.User, fake.Password = user, pass
	fake.SlowDelay = 400 * time.Millisecond
	srv := fake.Start()
	t.Cleanup(srv.Close)
	tc := transport.Config{BaseURL: srv.URL, AllowInsecureHTTP: true, Auth: transport.Basic(user, secret.New(pass)),
		Sleep: synctest.NoSleep, MaxAttempts: 8, Timeout: 5 * time.Second}
	sc := servicenow.Config{PageSize: 3, ItemsPerPayload: 2, PayloadsPerBatch: 2}
	for _, o := range opts {
		o(&sc, &tc)
	}
	client := synctest.Client(t, tc)
	sc.Client = client
	conn, err := servicenow.New(sc)
	if err != nil {
		t.Fatal(err)
	}
	st := synctest.Store(t)
	e := &env{t: t, fake: fake, client: client, conn: conn, st: st, locs: map[string]string{},
		eng: &sync.Engine{Store: st, Target: "snow", Conn: conn, Actor: "tester", Concurrency: 2}}
	e.local = synctest.Local{T: t, Store: st, Eng: e.eng}
	for _, l := range []string{"MAIN/3/3W-12", "MAIN/3/3W-14", "MAIN/4/ICU-1"} {
		e.locs[l] = fake.Put("cmn_location", snfake.Record{"name": l})
	}
	fake.Put("cmdb_model", snfake.Record{"name": "Alaris 8015", "sys_id": "model-alaris"})
	fake.Put("core_company", snfake.Record{"name": "BD", "sys_id": "company-bd"})
	return e
}

// ci adds a CI as a central user.
func (e *env) ci(tag, serial, loc string) string {
	return e.fake.Put("cmdb_ci_med_device", snfake.Record{"asset_tag": tag, "name": tag, "serial_number": serial,
		"location": e.locs[loc], "model_id": "model-alaris", "manufacturer": "company-bd", "install_status": "1",
		"firmware_version": "1.0"})
}

func (e *env) edit(tag string, fn func(*store.Device)) {
	e.t.Helper()
	e.local.Edit(tag, store.OpUpdate, fn)
}

func (e *env) device(tag string) store.Device { e.t.Helper(); return e.local.Device(tag) }

func (e *env) byTag(tag string) []snfake.Record {
	var out []snfake.Record
	for _, r := range e.fake.All("cmdb_ci_med_device") {
		if r["asset_tag"] == tag {
			out = append(out, r)
		}
	}
	return out
}

func (e *env) counts() map[store.EntryState]int { e.t.Helper(); return e.local.Counts() }

func (e *env) sync() (sync.PullReport, sync.PushReport) { e.t.Helper(); return e.local.Sync() }

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

var _ = fmt.Sprint
