package servicenow_test

import (
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/biomed-rounds/rounds/store"
	"github.com/biomed-rounds/rounds/sync"
	"github.com/biomed-rounds/rounds/sync/secret"
	"github.com/biomed-rounds/rounds/sync/servicenow"
	"github.com/biomed-rounds/rounds/sync/servicenow/snfake"
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
}

type envOpt func(*servicenow.Config, *transport.Config)

func newEnv(t *testing.T, opts ...envOpt) *env {
	t.Helper()
	fake := snfake.New()
	fake.User, fake.Password = user, pass
	fake.SlowDelay = 400 * time.Millisecond
	srv := fake.Start()
	t.Cleanup(srv.Close)
	tr := http.DefaultTransport.(*http.Transport).Clone()
	t.Cleanup(tr.CloseIdleConnections)
	tc := transport.Config{BaseURL: srv.URL, AllowInsecureHTTP: true, Auth: transport.Basic(user, secret.New(pass)), RoundTripper: tr,
		Sleep: func(ctx context.Context, d time.Duration) error { return ctx.Err() }, MaxAttempts: 8,
		Timeout: 5 * time.Second}
	sc := servicenow.Config{PageSize: 3, ItemsPerPayload: 2, PayloadsPerBatch: 2}
	for _, o := range opts {
		o(&sc, &tc)
	}
	client, err := transport.New(tc)
	if err != nil {
		t.Fatal(err)
	}
	sc.Client = client
	conn, err := servicenow.New(sc)
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "r.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	e := &env{t: t, fake: fake, client: client, conn: conn, st: st, locs: map[string]string{},
		eng: &sync.Engine{Store: st, Target: "snow", Conn: conn, Actor: "tester", Concurrency: 2}}
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
	err := e.st.Write(context.Background(), "tech", func(w *store.Writer) error {
		_, err := w.UpdateDevice(tag, store.OpUpdate, func(d *store.Device) error { fn(d); return nil })
		return err
	})
	if err != nil {
		e.t.Fatal(err)
	}
}

func (e *env) device(tag string) store.Device {
	e.t.Helper()
	d, err := e.st.Device(context.Background(), tag)
	if err != nil {
		e.t.Fatal(err)
	}
	return d
}

func (e *env) byTag(tag string) []snfake.Record {
	var out []snfake.Record
	for _, r := range e.fake.All("cmdb_ci_med_device") {
		if r["asset_tag"] == tag {
			out = append(out, r)
		}
	}
	return out
}

func (e *env) counts() map[store.EntryState]int {
	c, err := e.st.JournalCounts(context.Background())
	if err != nil {
		e.t.Fatal(err)
	}
	return c
}

func (e *env) sync() (sync.PullReport, sync.PushReport) {
	e.t.Helper()
	pr, ps, err := e.eng.Sync(context.Background(), true, true)
	if err != nil {
		e.t.Fatalf("sync: %v", err)
	}
	return pr, ps
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

var _ = fmt.Sprint
