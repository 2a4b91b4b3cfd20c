package snipeit_test

import (
	"os"
	"testing"
	"time"

	"github.com/biomed-rounds/rounds/sync"
	"github.com/biomed-rounds/rounds/sync/secret"
	"github.com/biomed-rounds/rounds/sync/snipeit"
	"github.com/biomed-rounds/rounds/sync/snipeit/snipefake"
	"github.com/biomed-rounds/rounds/sync/synctest"
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

func TestContract(t *testing.T) {
	synctest.RunTargets(t, "ROUNDS_TEST_SNIPEIT_URL",
		func(t *testing.T) contractTarget {
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
			return contractTarget{c, "Alaris 8015", "MAIN/3/3W-12"}
		},
		func(t *testing.T) contractTarget {
			tok, err := secret.Source{}.Lookup("test_snipeit", "token", nil)
			must(t, err)
			cl, err := transport.New(transport.Config{BaseURL: os.Getenv("ROUNDS_TEST_SNIPEIT_URL"), Auth: transport.Bearer(tok), PerMinute: 120})
			must(t, err)
			c, err := snipeit.New(snipeit.Config{Client: cl})
			must(t, err)
			return contractTarget{c, os.Getenv("ROUNDS_TEST_SNIPEIT_MODEL"), os.Getenv("ROUNDS_TEST_SNIPEIT_LOCATION")}
		},
		runContract)
}

// contractTarget is a connector with an existing model and location on
// its server.
type contractTarget struct {
	conn            *snipeit.Connector
	model, location string
}

func runContract(t *testing.T, tg contractTarget) {
	c := synctest.NewContract(t, tg.conn, 3*time.Minute)
	r1 := c.CreateTwice(map[string]string{sync.FieldSerial: "SN-" + c.Tag, sync.FieldModel: tg.model, sync.FieldLocation: tg.location},
		sync.FieldModel, sync.FieldLocation)
	// A round audit, sent twice as after a lost answer: the second looks
	// at the last audit date and does not audit again.
	at := time.Now()
	audit := sync.Op{ID: "ct-audit-" + c.Tag, AssetTag: c.Tag, RemoteID: r1.RemoteID,
		Audit: &sync.Audit{ID: "ct-audit-" + c.Tag, At: at, Location: tg.location, NextDue: at.AddDate(1, 0, 0).Format("2006-01-02"), Note: "contract audit"}}
	if r := c.Push(audit); r.Outcome != sync.Acked {
		t.Fatalf("audit: %+v", r)
	}
	audit.Retry = true
	if r := c.Push(audit); r.Outcome != sync.Acked {
		t.Fatalf("retried audit: %+v", r)
	}
	recs := c.Fetch()
	if len(recs) != 1 || recs[0].Fields[sync.FieldLastAudited] == "" || recs[0].Fields[sync.FieldNextAuditDue] != at.AddDate(1, 0, 0).Format("2006-01-02") {
		t.Fatalf("after audit: %+v", recs)
	}
	// An update and a note, then the incremental pull sees them.
	c.UpdateTwice(r1.RemoteID, map[string]string{sync.FieldSerial: "SN2-" + c.Tag})
	mark := sync.Mark(time.Now().UTC().Add(-time.Hour).Format("2006-01-02 15:04:05"))
	if !c.PullFinds(mark, map[string]string{sync.FieldSerial: "SN2-" + c.Tag}, true) {
		t.Error("the incremental pull did not return the updated asset with its note once")
	}
	// "status":"error" inside HTTP 200 is a refusal with the server's words.
	c.RejectsUnknownLocation(r1.RemoteID)
}
