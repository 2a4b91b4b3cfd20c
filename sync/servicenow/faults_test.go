package servicenow_test

import (
	"context"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
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

// createLocal adds n new devices locally (journalled creates).
func createLocal(t *testing.T, e *env, n int) []string {
	var tags []string
	must(t, e.st.Write(context.Background(), "tech", func(w *store.Writer) error {
		for i := 0; i < n; i++ {
			tag := fmt.Sprintf("NEW-%d", i)
			tags = append(tags, tag)
			if _, err := w.PutDevice(store.Device{AssetTag: tag, Serial: "S-" + tag, LocationKey: "MAIN/3/3W-12"}); err != nil {
				return err
			}
		}
		return nil
	}))
	return tags
}

func TestPushUnderFaults(t *testing.T) {
	tests := []struct {
		fault fault.Kind
		// syncs needed before every change is acked
		rounds int
	}{
		{fault.Throttle, 1},
		{fault.Unavailable, 1},
		{fault.InternalError, 1},
		{fault.DropAfterCommit, 1},
		{fault.Slow, 1},
		{fault.Malformed, 1},
		{fault.PartialBatch, 2},
		{fault.ItemError, 2},
	}
	for _, tt := range tests {
		t.Run(tt.fault.String(), func(t *testing.T) {
			ctx := context.Background()
			e := newEnv(t, func(_ *servicenow.Config, tc *transport.Config) {
				if tt.fault == fault.Slow {
					tc.Timeout = 100 * time.Millisecond // shorter than the fake's SlowDelay
				}
			})
			tags := createLocal(t, e, 4) // 4 ops: one batch of two payloads of two
			if _, err := e.eng.Pull(ctx); err != nil {
				t.Fatal(err)
			}
			e.fake.InjectPost(tt.fault)
			var last sync.PushReport
			for i := 0; i < tt.rounds; i++ {
				_, last = e.sync()
				if i < tt.rounds-1 && last.Retry == 0 {
					t.Errorf("round %d: expected some changes to come back for a retry, got %+v", i, last)
				}
			}
			if c := e.counts(); c[store.StateAcked] != 4 || len(c) != 1 {
				t.Fatalf("journal = %v after %d syncs (last %+v)", c, tt.rounds, last)
			}
			for _, tag := range tags {
				if n := len(e.byTag(tag)); n != 1 {
					t.Errorf("%s: %d server records, want exactly 1", tag, n)
				}
				if e.device(tag).CMDBID == "" {
					t.Errorf("%s: remote id not recorded", tag)
				}
			}
			if tt.fault == fault.Throttle && e.client.RetryAfterHonoured() == 0 {
				t.Error("Retry-After not honoured")
			}
		})
	}
}

func TestPermanentItemErrorRejectsOnlyThatChange(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	// Two central CIs share a serial: identifying a new device with that
	// serial is ambiguous (MULTI_MATCH).
	e.ci("C-1", "DUP", "MAIN/3/3W-12")
	e.ci("C-2", "DUP", "MAIN/3/3W-12")
	e.sync()
	must(t, e.st.Write(ctx, "tech", func(w *store.Writer) error {
		if _, err := w.PutDevice(store.Device{AssetTag: "NEW-A", Serial: "OK-1"}); err != nil {
			return err
		}
		_, err := w.PutDevice(store.Device{AssetTag: "NEW-B", Serial: "DUP-LOCAL"})
		return err
	}))
	// The server holds "DUP" for NEW-B's serial: make it so locally by a
	// direct server-side serial the IRE will match twice.
	e.edit("NEW-B", func(d *store.Device) { d.Serial = "" })
	must(t, e.st.Write(ctx, "tech", func(w *store.Writer) error {
		_, err := w.UpdateDevice("NEW-B", store.OpUpdate, func(d *store.Device) error {
			d.Hostname = "dup-host"
			return nil
		})
		return err
	}))
	e.fake.Put("cmdb_ci_med_device", snfake.Record{"name": "NEW-B", "asset_tag": "X1"})
	e.fake.Put("cmdb_ci_med_device", snfake.Record{"name": "NEW-B", "asset_tag": "X2"})
	_, ps := e.sync()
	if ps.Rejected == 0 || ps.Acked == 0 {
		t.Fatalf("push = %+v, want NEW-A acked and NEW-B rejected", ps)
	}
	es, _ := e.st.Journal(ctx, store.JournalQuery{AssetTag: "NEW-B"})
	for _, en := range es {
		if en.State != store.StateRejected || !strings.Contains(en.LastError, "MULTI_MATCH") {
			t.Errorf("NEW-B entry %d: %s %q", en.Seq, en.State, en.LastError)
		}
	}
	if es, _ := e.st.Journal(ctx, store.JournalQuery{AssetTag: "NEW-A"}); es[0].State != store.StateAcked {
		t.Errorf("NEW-A entry: %s", es[0].State)
	}
}

func TestUnknownLocationIsRejectedWithReason(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	e.ci("BME-1", "SN1", "MAIN/3/3W-12")
	e.sync()
	e.edit("BME-1", func(d *store.Device) { d.LocationKey = "NOWHERE/1/X" })
	e.sync()
	es, _ := e.st.Journal(ctx, store.JournalQuery{AssetTag: "BME-1", States: []store.EntryState{store.StateRejected}})
	if len(es) != 1 || !strings.Contains(es[0].LastError, "NOWHERE/1/X") || !strings.Contains(es[0].LastError, "cmn_location") {
		t.Fatalf("entries = %+v", es)
	}
}

func TestUnavailableServerLeavesEntriesInFlight(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	createLocal(t, e, 2)
	e.fake.FaultFunc = func(r *http.Request) fault.Kind {
		if r.Method == http.MethodPost {
			return fault.Unavailable
		}
		return fault.None
	}
	_, _, err := e.eng.Sync(ctx, false, true)
	if err == nil {
		t.Fatal("push to a dead server succeeded")
	}
	if c := e.counts(); c[store.StateInFlight] != 2 {
		t.Fatalf("journal = %v, want both in flight", c)
	}
	e.fake.FaultFunc = nil
	e.sync()
	if c := e.counts(); c[store.StateAcked] != 2 {
		t.Fatalf("journal = %v after recovery", c)
	}
	st, _ := sync.ReadStatus(ctx, e.st, "snow")
	if st.LastPush.Error != "" || st.LastPush.At.IsZero() {
		t.Errorf("last push = %+v", st.LastPush)
	}
}

func TestPullWatermarkMovesOnlyWithStoredPages(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	for i := 0; i < 7; i++ {
		e.fake.Put("cmdb_ci_med_device", snfake.Record{"asset_tag": fmt.Sprintf("W-%d", i),
			"sys_updated_on": fmt.Sprintf("2026-01-01 00:00:%02d", i)})
	}
	// Pages of 3: the third page fails for good.
	e.fake.FaultFunc = func(r *http.Request) fault.Kind {
		if strings.Contains(r.URL.Query().Get("sysparm_query"), "sys_updated_on>=2026-01-01 00:00:04") {
			return fault.InternalError
		}
		return fault.None
	}
	_, err := e.eng.Pull(ctx)
	if err == nil {
		t.Fatal("pull succeeded")
	}
	st, _ := sync.ReadStatus(ctx, e.st, "snow")
	// Page 1 holds W-0..W-2; page 2 reads from W-2's second again and
	// delivers W-3 and W-4.
	if string(st.Mark) != "2026-01-01 00:00:04|"+e.byTag("W-4")[0]["sys_id"] {
		t.Fatalf("watermark = %q, want the end of the second page", st.Mark)
	}
	if n, _ := e.st.CountDevices(ctx); n != 5 {
		t.Fatalf("%d devices stored, want the 5 of the stored pages", n)
	}
	if !strings.Contains(st.LastPull.Error, "HTTP 500") {
		t.Errorf("last pull error = %q", st.LastPull.Error)
	}
	e.fake.FaultFunc = nil
	if _, err := e.eng.Pull(ctx); err != nil {
		t.Fatal(err)
	}
	if n, _ := e.st.CountDevices(ctx); n != 7 {
		t.Fatalf("%d devices after resuming", n)
	}
}

func TestSameSecondLargerThanAPage(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	for i := 0; i < 10; i++ {
		e.fake.Put("cmdb_ci_med_device", snfake.Record{"asset_tag": fmt.Sprintf("S-%02d", i), "sys_updated_on": "2026-01-01 10:00:00"})
	}
	e.fake.Put("cmdb_ci_med_device", snfake.Record{"asset_tag": "LATER", "sys_updated_on": "2026-01-01 10:00:01"})
	rep, err := e.eng.Pull(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Records != 11 || rep.Created != 11 {
		t.Fatalf("pull = %+v", rep)
	}
	// Pull again: only the overlap is read again, and nothing changes.
	rep, err = e.eng.Pull(ctx)
	if err != nil || rep.Created+rep.Updated != 0 {
		t.Fatalf("second pull = %+v, %v", rep, err)
	}
}

func TestCredentialsNeverInErrorsOrState(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, func(_ *servicenow.Config, tc *transport.Config) {
		tc.Auth = transport.Basic(user, secret.New("wrong-"+pass))
	})
	createLocal(t, e, 1)
	_, _, err := e.eng.Sync(ctx, true, true)
	if err == nil {
		t.Fatal("sync with a wrong password succeeded")
	}
	check := func(where, s string) {
		if strings.Contains(s, pass) || strings.Contains(s, "wrong-") {
			t.Errorf("%s leaks the credential: %s", where, s)
		}
	}
	check("error", err.Error())
	if !strings.Contains(err.Error(), "401") {
		t.Errorf("error does not say what failed: %v", err)
	}
	// Nothing stored anywhere holds it either.
	js, _ := e.st.Journal(context.Background(), store.JournalQuery{})
	for _, en := range js {
		check("journal last_error", en.LastError)
	}
	stat, _ := sync.ReadStatus(context.Background(), e.st, "snow")
	check("sync_runs", stat.LastPull.Error+stat.LastPush.Error)
	is, _ := sync.Issues(context.Background(), e.st, "snow")
	for _, i := range is {
		check("sync_issues", i.Message)
	}
	b, _ := os.ReadFile(e.st.Path())
	check("database file", string(b))
}

func TestTLSWithCustomCABundle(t *testing.T) {
	fake := snfake.New()
	srv := httptest.NewUnstartedServer(fake)
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshake is expected
	srv.StartTLS()
	defer srv.Close()
	fake.Put("cmdb_ci_med_device", snfake.Record{"asset_tag": "T-1"})
	ca := filepath.Join(t.TempDir(), "ca.pem")
	os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o600)
	for _, withCA := range []bool{false, true} {
		tc := transport.Config{BaseURL: srv.URL, AllowInsecureHTTP: true, MaxAttempts: 1}
		if withCA {
			tc.CAFile = ca
		}
		cl, err := transport.New(tc)
		must(t, err)
		conn, _ := servicenow.New(servicenow.Config{Client: cl})
		n := 0
		err = conn.Pull(context.Background(), "", func(_ context.Context, p sync.Page) error { n += len(p.Records); return nil })
		if withCA && (err != nil || n != 1) {
			t.Errorf("with the CA bundle: %d records, %v", n, err)
		}
		if !withCA && err == nil {
			t.Error("an unknown CA was trusted")
		}
	}
}

var _ = errors.New

func TestOAuthBearer(t *testing.T) {
	fake := snfake.New()
	fake.Token, fake.ClientID, fake.ClientSecret = "tok-abc123", "rounds-client", "client-s3cret-xyz"
	srv := fake.Start()
	defer srv.Close()
	fake.Put("cmdb_ci_med_device", snfake.Record{"asset_tag": "T-1"})
	ctx := context.Background()
	for _, bad := range []bool{true, false} {
		cs := secret.New(fake.ClientSecret)
		if bad {
			cs = secret.New("wrong-client-secret")
		}
		tc, _ := transport.New(transport.Config{BaseURL: srv.URL, AllowInsecureHTTP: true, MaxAttempts: 1, Secrets: []secret.Secret{cs}})
		tok, err := servicenow.OAuthToken(ctx, tc, fake.ClientID, cs, "", secret.Secret{})
		if bad {
			if err == nil || strings.Contains(err.Error(), "wrong-client-secret") {
				t.Fatalf("bad secret: err = %v", err)
			}
			continue
		}
		must(t, err)
		cl, _ := transport.New(transport.Config{BaseURL: srv.URL, AllowInsecureHTTP: true, Auth: transport.Bearer(tok)})
		conn, _ := servicenow.New(servicenow.Config{Client: cl})
		n := 0
		must(t, conn.Pull(ctx, "", func(_ context.Context, p sync.Page) error { n += len(p.Records); return nil }))
		if n != 1 {
			t.Fatalf("pulled %d with the OAuth token", n)
		}
	}
}

func TestPayloadRefusedAsAWholeIsIsolated(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, func(c *servicenow.Config, _ *transport.Config) { c.ItemsPerPayload = 3 })
	tags := createLocal(t, e, 3) // serials S-NEW-0..2, one payload of three
	e.fake.RefuseSerial = "S-NEW-1"
	_, ps := e.sync()
	if ps.Acked != 2 || ps.Rejected != 1 {
		t.Fatalf("push = %+v, want 2 acked and the culprit rejected", ps)
	}
	es, _ := e.st.Journal(ctx, store.JournalQuery{AssetTag: tags[1]})
	if es[0].State != store.StateRejected || !strings.Contains(es[0].LastError, "HTTP 400") ||
		!strings.Contains(es[0].LastError, "S-NEW-1 is not allowed") {
		t.Errorf("culprit entry = %s %q", es[0].State, es[0].LastError)
	}
	for _, tag := range []string{tags[0], tags[2]} {
		if len(e.byTag(tag)) != 1 {
			t.Errorf("%s not created", tag)
		}
	}
}
