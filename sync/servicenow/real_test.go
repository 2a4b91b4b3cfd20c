package servicenow_test

// Tests against the fake behaving like real instances (issue 13, items
// 11-14). Each failed on the connector before the fix.

import (
	"context"
	"fmt"
	"strings"
	gosync "sync"
	"testing"
	"time"

	"github.com/biomed-rounds/rounds/store"
	"github.com/biomed-rounds/rounds/sync"
	"github.com/biomed-rounds/rounds/sync/secret"
	"github.com/biomed-rounds/rounds/sync/servicenow"
	"github.com/biomed-rounds/rounds/sync/servicenow/snfake"
	"github.com/biomed-rounds/rounds/sync/synctest/fault"
	"github.com/biomed-rounds/rounds/sync/transport"
)

// Item 11: IRE errors are classed by their documented codes: LOCK_TIMEOUT
// is transient, REQUIRED_ATTRIBUTE_EMPTY (with ABANDONED) permanent.
func TestIREErrorCodesClassified(t *testing.T) {
	ctx := context.Background()
	t.Run("LOCK_TIMEOUT retried", func(t *testing.T) {
		e := newEnv(t)
		e.ci("BME-1", "S1", "MAIN/3/3W-12")
		e.sync()
		e.edit("BME-1", func(d *store.Device) { d.FirmwareVersion = "2.0" })
		e.fake.InjectPost(fault.LockTimeout)
		e.sync()
		if c := e.counts(); c[store.StateRejected] != 0 {
			t.Fatalf("LOCK_TIMEOUT rejected for good: %v", c)
		}
		e.sync()
		if c := e.counts(); c[store.StateAcked] != 1 || e.byTag("BME-1")[0]["firmware_version"] != "2.0" {
			t.Fatalf("journal %v, CI %v", c, e.byTag("BME-1")[0])
		}
	})
	t.Run("REQUIRED_ATTRIBUTE_EMPTY rejected", func(t *testing.T) {
		e := newEnv(t)
		e.fake.Required = []string{"u_cost_center"}
		must(t, e.st.Write(ctx, "tech", func(w *store.Writer) error {
			_, err := w.PutDevice(store.Device{AssetTag: "NEW-1", Serial: "S-N1", Manufacturer: "BD", Model: "Alaris 8015"})
			return err
		}))
		e.sync()
		e.sync()
		es, _ := e.st.Journal(ctx, store.JournalQuery{AssetTag: "NEW-1"})
		if es[0].State != store.StateRejected || !strings.Contains(es[0].LastError, "REQUIRED_ATTRIBUTE_EMPTY") {
			t.Fatalf("entry = %s after %d attempts: %q", es[0].State, es[0].Attempts, es[0].LastError)
		}
	})
}

// Item 12: an op for a device without a remote id, not a create, with one
// mapped field is sent, not acked unsent.
func TestOneFieldWithoutRemoteIDIsSent(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	e.ci("BME-1", "S1", "MAIN/3/3W-12")
	before := e.fake.Stats().Batches
	res, err := e.conn.Push(ctx, []sync.Op{{ID: "op-1", AssetTag: "BME-1", Set: map[string]string{sync.FieldFirmware: "9.9"}}})
	must(t, err)
	if e.fake.Stats().Batches == before {
		t.Fatalf("result %+v with no request sent", res)
	}
	if got := e.byTag("BME-1")[0]["firmware_version"]; got != "9.9" || res[0].Outcome != sync.Acked {
		t.Fatalf("firmware_version = %q on the server, result %+v", got, res[0])
	}
}

func ackAll(t *testing.T, e *env) []store.Transition {
	es, err := e.st.Outbox(context.Background(), 0)
	must(t, err)
	var tr []store.Transition
	for _, en := range es {
		tr = append(tr, store.Transition{Seq: en.Seq, State: store.StateAcked})
	}
	return tr
}

// Item 13: the IRE stamps last_discovered on every item it processes; it
// is not rounds' last_seen, which only a sweep sets.
func TestLastDiscoveredIsNotLastSeen(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	for i := 0; i < 5; i++ {
		e.ci(fmt.Sprintf("BME-%d", i), fmt.Sprint("S", i), "MAIN/3/3W-12")
	}
	e.sync()
	for i := 0; i < 5; i++ {
		e.edit(fmt.Sprintf("BME-%d", i), func(d *store.Device) { d.FirmwareVersion = "3.0" })
	}
	seen := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	e.edit("BME-0", func(d *store.Device) { d.LastSeen = seen })
	e.sync()
	e.sync()
	for i := 1; i < 5; i++ {
		if d := e.device(fmt.Sprintf("BME-%d", i)); !d.LastSeen.IsZero() {
			t.Errorf("BME-%d never seen has last_seen %v", i, d.LastSeen)
		}
	}
	if d := e.device("BME-0"); !d.LastSeen.Equal(seen) {
		t.Errorf("BME-0 last_seen = %v, want the observed %v", d.LastSeen, seen)
	}
	_ = ctx
}

// Item 14: OAuth tokens expire (expires_in); a long pull renews its token
// instead of failing with 401.
func TestOAuthTokenRenewedOnExpiry(t *testing.T) {
	ctx := context.Background()
	var mu gosync.Mutex
	now := time.Date(2026, 11, 27, 8, 0, 0, 0, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	fake := snfake.New()
	fake.Token, fake.ClientID, fake.ClientSecret = "tok-abc123", "rounds-client", "client-s3cret-xyz"
	fake.Now = clock
	fake.TokenTTL = 30 * time.Minute
	fake.BeforeList = func(string, string) { mu.Lock(); now = now.Add(10 * time.Minute); mu.Unlock() }
	srv := fake.Start()
	defer srv.Close()
	for i := 0; i < 20; i++ {
		fake.Put("cmdb_ci_med_device", snfake.Record{"asset_tag": fmt.Sprintf("T-%02d", i), "sys_updated_on": clock().Add(time.Duration(i) * time.Second).Format("2006-01-02 15:04:05")})
	}
	cs := secret.New(fake.ClientSecret)
	tc, err := transport.New(transport.Config{BaseURL: srv.URL, AllowInsecureHTTP: true, MaxAttempts: 2, Secrets: []secret.Secret{cs}})
	must(t, err)
	auth := servicenow.OAuth(tc, fake.ClientID, cs, "", secret.Secret{}, clock)
	cl, err := transport.New(transport.Config{BaseURL: srv.URL, AllowInsecureHTTP: true, Auth: auth, MaxAttempts: 2,
		Sleep: func(ctx context.Context, d time.Duration) error { return ctx.Err() }})
	must(t, err)
	conn, err := servicenow.New(servicenow.Config{Client: cl, PageSize: 2})
	must(t, err)
	n := 0
	err = conn.Pull(ctx, "", func(_ context.Context, p sync.Page) error { n += len(p.Records); return nil })
	if err != nil || n != 20 {
		t.Fatalf("pulled %d, err %v", n, err)
	}
	if strings.Contains(fmt.Sprint(err), "tok-abc123") {
		t.Fatal("token leaked")
	}
}
