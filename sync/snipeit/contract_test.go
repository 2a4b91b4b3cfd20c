package snipeit_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/biomed-rounds/rounds/sync"
	"github.com/biomed-rounds/rounds/sync/secret"
	"github.com/biomed-rounds/rounds/sync/snipeit"
	"github.com/biomed-rounds/rounds/sync/snipeit/snipefake"
	"github.com/biomed-rounds/rounds/sync/transport"
)

// The contract suite runs through the connector only, against the fake
// and, when these are set, a real Snipe-IT:
//
//	ROUNDS_TEST_SNIPEIT_URL       https://snipe.example.org
//	ROUNDS_TEST_SNIPEIT_TOKEN     an API token allowed to create and audit assets
//	ROUNDS_TEST_SNIPEIT_MODEL     the name of an existing model
//	ROUNDS_TEST_SNIPEIT_LOCATION  the name of an existing location
//
// Against a real server it creates assets tagged ROUNDS-CT-* and leaves
// them; remove them afterwards.

func contractTargets(t *testing.T) map[string]func(*testing.T) (*snipeit.Connector, string, string) {
	targets := map[string]func(*testing.T) (*snipeit.Connector, string, string){
		"fake": func(t *testing.T) (*snipeit.Connector, string, string) {
			fake := snipefake.New()
			fake.Token = "tok"
			srv := fake.Start()
			t.Cleanup(srv.Close)
			fake.AddLocation("MAIN/3/3W-12")
			fake.AddModel("BD", "Alaris 8015")
			cl, err := transport.New(transport.Config{BaseURL: srv.URL, AllowInsecureHTTP: true, Auth: transport.Bearer(secret.New("tok"))})
			must(t, err)
			c, err := snipeit.New(snipeit.Config{Client: cl})
			must(t, err)
			return c, "Alaris 8015", "MAIN/3/3W-12"
		},
	}
	if u := os.Getenv("ROUNDS_TEST_SNIPEIT_URL"); u != "" {
		targets["real"] = func(t *testing.T) (*snipeit.Connector, string, string) {
			tok, err := secret.Source{}.Lookup("test_snipeit", "token", nil)
			must(t, err)
			cl, err := transport.New(transport.Config{BaseURL: u, Auth: transport.Bearer(tok), PerMinute: 120})
			must(t, err)
			c, err := snipeit.New(snipeit.Config{Client: cl})
			must(t, err)
			return c, os.Getenv("ROUNDS_TEST_SNIPEIT_MODEL"), os.Getenv("ROUNDS_TEST_SNIPEIT_LOCATION")
		}
	}
	return targets
}

func TestContract(t *testing.T) {
	for name, mk := range contractTargets(t) {
		t.Run(name, func(t *testing.T) {
			conn, model, location := mk(t)
			runContract(t, conn, model, location)
		})
	}
	if os.Getenv("ROUNDS_TEST_SNIPEIT_URL") == "" {
		t.Log("real server skipped: set ROUNDS_TEST_SNIPEIT_URL, _TOKEN, _MODEL and _LOCATION to run it")
	}
}

func runContract(t *testing.T, conn *snipeit.Connector, model, location string) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	tag := fmt.Sprintf("ROUNDS-CT-%d-%06d", time.Now().Unix(), rand.IntN(1e6))
	push := func(op sync.Op) sync.Result {
		t.Helper()
		res, err := conn.Push(ctx, []sync.Op{op})
		must(t, err)
		if len(res) != 1 {
			t.Fatalf("results = %+v", res)
		}
		return res[0]
	}
	fetch := func() []sync.Record {
		t.Helper()
		recs, err := conn.Fetch(ctx, []string{tag})
		must(t, err)
		return recs
	}
	create := sync.Op{ID: "ct-create-" + tag, AssetTag: tag, Create: true,
		Set: map[string]string{sync.FieldSerial: "SN-" + tag, sync.FieldModel: model, sync.FieldLocation: location}}
	r1 := push(create)
	if r1.Outcome != sync.Acked || r1.RemoteID == "" {
		t.Fatalf("create: %+v", r1)
	}
	create.Retry = true
	if r2 := push(create); r2.Outcome != sync.Acked || r2.RemoteID != r1.RemoteID {
		t.Fatalf("retried create: %+v, first %+v", r2, r1)
	}
	recs := fetch()
	if len(recs) != 1 || recs[0].Fields[sync.FieldModel] != model || recs[0].Fields[sync.FieldLocation] != location {
		t.Fatalf("after two creates: %+v", recs)
	}
	// A round audit, sent twice as after a lost answer: the second looks
	// at the last audit date and does not audit again.
	at := time.Now()
	audit := sync.Op{ID: "ct-audit-" + tag, AssetTag: tag, RemoteID: r1.RemoteID,
		Audit: &sync.Audit{ID: "ct-audit-" + tag, At: at, Location: location, NextDue: at.AddDate(1, 0, 0).Format("2006-01-02"), Note: "contract audit"}}
	if r := push(audit); r.Outcome != sync.Acked {
		t.Fatalf("audit: %+v", r)
	}
	audit.Retry = true
	if r := push(audit); r.Outcome != sync.Acked {
		t.Fatalf("retried audit: %+v", r)
	}
	recs = fetch()
	if len(recs) != 1 || recs[0].Fields[sync.FieldLastAudited] == "" || recs[0].Fields[sync.FieldNextAuditDue] != at.AddDate(1, 0, 0).Format("2006-01-02") {
		t.Fatalf("after audit: %+v", recs)
	}
	// An update and a note, then the incremental pull sees them.
	upd := sync.Op{ID: "ct-upd-" + tag, AssetTag: tag, RemoteID: r1.RemoteID, Set: map[string]string{sync.FieldSerial: "SN2-" + tag},
		Notes: []sync.Note{{ID: "ct-note-" + tag, At: at, Actor: "contract", Text: "contract note"}}, Server: map[string]string{}}
	r := push(upd)
	if r.Outcome != sync.Acked {
		t.Fatalf("update: %+v", r)
	}
	upd.Server, upd.Retry = r.Server, true
	push(upd)
	found := false
	must(t, conn.Pull(ctx, sync.Mark(time.Now().UTC().Add(-time.Hour).Format("2006-01-02 15:04:05")), func(_ context.Context, p sync.Page) error {
		for _, rec := range p.Records {
			if rec.AssetTag == tag && rec.Fields[sync.FieldSerial] == "SN2-"+tag && strings.Count(rec.Fields[sync.FieldNotes], "contract note") == 1 {
				found = true
			}
		}
		return nil
	}))
	if !found {
		t.Error("the incremental pull did not return the updated asset with its note once")
	}
	// "status":"error" inside HTTP 200 is a refusal with the server's words.
	bad := push(sync.Op{ID: "ct-bad-" + tag, AssetTag: tag, RemoteID: r1.RemoteID, Set: map[string]string{sync.FieldLocation: "NO SUCH ROOM " + tag}})
	if bad.Outcome != sync.Rejected || !strings.Contains(bad.Message, "NO SUCH ROOM") {
		t.Errorf("unknown location: %+v", bad)
	}
}
