package snipeit_test

import (
	"context"
	gosync "sync"
	"testing"
	"time"

	"github.com/biomed-rounds/rounds/store"
	"github.com/biomed-rounds/rounds/sync"
	"github.com/biomed-rounds/rounds/sync/secret"
	"github.com/biomed-rounds/rounds/sync/snipeit"
	"github.com/biomed-rounds/rounds/sync/snipeit/snipefake"
	"github.com/biomed-rounds/rounds/sync/synctest"
	"github.com/biomed-rounds/rounds/sync/transport"
)

const token = "snipe-T0ken-abcdef123456"

// clock is a virtual clock the transport's waits advance, so that a
// throttle window passes without real sleeping.
type clock struct {
	mu sync_Mutex
	t  time.Time
}

type sync_Mutex = gosync.Mutex

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Sleep(ctx context.Context, d time.Duration) error {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
	return ctx.Err()
}

func (c *clock) Advance(d time.Duration) { c.Sleep(context.Background(), d) }

type env struct {
	t      *testing.T
	fake   *snipefake.Server
	client *transport.Client
	conn   *snipeit.Connector
	st     *store.Store
	eng    *sync.Engine
	clock  *clock
	model  int
	local  synctest.Local
}

func newEnv(t *testing.T, mod ...func(*snipeit.Config, *transport.Config)) *env {
	t.Helper()
	clk := &clock{t: time.Now().UTC().Truncate(time.Second)}
	fake := snipefake.New()
	fake.Token, fake.Now, fake.PerMinute = token, clk.Now, 120
	fake.SlowDelay = 400 * time.Millisecond
	srv := fake.Start()
	t.Cleanup(srv.Close)
	tc := transport.Config{BaseURL: srv.URL, AllowInsecureHTTP: true, Auth: transport.Bearer(secret.New(token)),
		Sleep: clk.Sleep, Now: clk.Now, MaxAttempts: 8, Timeout: 5 * time.Second}
	sc := snipeit.Config{PageSize: 3, OpsPerCall: 3}
	for _, m := range mod {
		m(&sc, &tc)
	}
	cl := synctest.Client(t, tc)
	sc.Client = cl
	conn, err := snipeit.New(sc)
	if err != nil {
		t.Fatal(err)
	}
	st := synctest.Store(t)
	for _, l := range []string{"MAIN/3/3W-12", "MAIN/3/3W-14", "MAIN/4/ICU-1"} {
		fake.AddLocation(l)
	}
	e := &env{t: t, fake: fake, client: cl, conn: conn, st: st, clock: clk,
		eng: &sync.Engine{Store: st, Target: "snipe", Conn: conn, Actor: "tester", Now: clk.Now}}
	e.local = synctest.Local{T: t, Store: st, Eng: e.eng, Tick: func() { clk.Advance(time.Second) }}
	e.model = fake.AddModel("BD", "Alaris 8015")
	return e
}

func (e *env) asset(tag, loc string) int {
	e.clock.Advance(time.Second)
	return e.fake.Put(snipefake.Asset{Tag: tag, Serial: "SN" + tag, ModelID: e.model, StatusID: e.fake.StatusID("Ready to Deploy"),
		LocationID: e.fake.LocationID(loc), Custom: map[string]string{"_snipeit_mac_address_1": ""}})
}

func (e *env) sync() (sync.PullReport, sync.PushReport) { e.t.Helper(); return e.local.Sync() }

func (e *env) edit(tag string, op store.Op, fn func(*store.Device)) {
	e.t.Helper()
	e.local.Edit(tag, op, fn)
}

func (e *env) device(tag string) store.Device { e.t.Helper(); return e.local.Device(tag) }

func (e *env) byTag(tag string) []snipefake.Asset {
	var out []snipefake.Asset
	for _, a := range e.fake.Assets() {
		if a.Tag == tag {
			out = append(out, a)
		}
	}
	return out
}

func (e *env) counts() map[store.EntryState]int { e.t.Helper(); return e.local.Counts() }

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
