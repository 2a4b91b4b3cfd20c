package servicenow_test

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
	"github.com/biomed-rounds/rounds/sync/servicenow"
	"github.com/biomed-rounds/rounds/sync/servicenow/snfake"
	"github.com/biomed-rounds/rounds/sync/transport"
)

// The contract suite speaks only through the connector, so that it runs
// unchanged against the fake and against a real instance:
//
//	ROUNDS_TEST_SERVICENOW_URL       https://dev12345.service-now.com
//	ROUNDS_TEST_SERVICENOW_USER      an account with the itil or asset role
//	ROUNDS_TEST_SERVICENOW_PASSWORD
//	ROUNDS_TEST_SERVICENOW_LOCATION  the name of an existing cmn_location
//	ROUNDS_TEST_SERVICENOW_TABLE     (default cmdb_ci_med_device)
//	ROUNDS_TEST_SERVICENOW_SOURCE    a discovery_source choice (default ServiceNow)
//
// Against a real instance it creates CIs with asset tags ROUNDS-CT-* and
// leaves them (rounds never deletes CIs); remove them afterwards.

// contractFields keeps to columns every CI table has.
var contractFields = map[string]string{sync.FieldSerial: "serial_number", sync.FieldLocation: "location",
	sync.FieldStatus: "install_status", sync.FieldNotes: "comments"}

func contractTargets(t *testing.T) map[string]func(*testing.T) (*servicenow.Connector, string) {
	targets := map[string]func(*testing.T) (*servicenow.Connector, string){
		"fake": func(t *testing.T) (*servicenow.Connector, string) {
			fake := snfake.New()
			fake.User, fake.Password = "svc", "pw"
			srv := fake.Start()
			t.Cleanup(srv.Close)
			fake.Put("cmn_location", snfake.Record{"name": "MAIN/3/3W-12"})
			cl, err := transport.New(transport.Config{BaseURL: srv.URL, AllowInsecureHTTP: true, Auth: transport.Basic("svc", secret.New("pw"))})
			must(t, err)
			c, err := servicenow.New(servicenow.Config{Client: cl, Fields: contractFields, SourceName: "ServiceNow"})
			must(t, err)
			return c, "MAIN/3/3W-12"
		},
	}
	if u := os.Getenv("ROUNDS_TEST_SERVICENOW_URL"); u != "" {
		targets["real"] = func(t *testing.T) (*servicenow.Connector, string) {
			src := secret.Source{}
			pass, err := src.Lookup("test_servicenow", "password", nil)
			must(t, err)
			cl, err := transport.New(transport.Config{BaseURL: u,
				Auth: transport.Basic(os.Getenv("ROUNDS_TEST_SERVICENOW_USER"), pass)})
			must(t, err)
			source := os.Getenv("ROUNDS_TEST_SERVICENOW_SOURCE")
			if source == "" {
				source = "ServiceNow"
			}
			c, err := servicenow.New(servicenow.Config{Client: cl, Fields: contractFields, SourceName: source,
				Table: os.Getenv("ROUNDS_TEST_SERVICENOW_TABLE")})
			must(t, err)
			return c, os.Getenv("ROUNDS_TEST_SERVICENOW_LOCATION")
		}
	}
	return targets
}

func TestContract(t *testing.T) {
	for name, mk := range contractTargets(t) {
		t.Run(name, func(t *testing.T) {
			conn, location := mk(t)
			runContract(t, conn, location)
		})
	}
	if os.Getenv("ROUNDS_TEST_SERVICENOW_URL") == "" {
		t.Log("real instance skipped: set ROUNDS_TEST_SERVICENOW_URL, _USER, _PASSWORD and _LOCATION to run it")
	}
}

func runContract(t *testing.T, conn *servicenow.Connector, location string) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	tag := fmt.Sprintf("ROUNDS-CT-%d-%06d", time.Now().Unix(), rand.IntN(1e6))
	start := time.Now().UTC().Add(-2 * time.Minute).Format("2006-01-02 15:04:05")
	push := func(op sync.Op) sync.Result {
		t.Helper()
		res, err := conn.Push(ctx, []sync.Op{op})
		must(t, err)
		if len(res) != 1 || res[0].ID != op.ID {
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
		Set: map[string]string{sync.FieldSerial: "SN-" + tag, sync.FieldLocation: location, sync.FieldStatus: "in_service"}}
	r1 := push(create)
	if r1.Outcome != sync.Acked || r1.RemoteID == "" {
		t.Fatalf("create: %+v", r1)
	}
	// The answer was lost: the same create again must find the same CI.
	create.Retry = true
	if r2 := push(create); r2.Outcome != sync.Acked || r2.RemoteID != r1.RemoteID {
		t.Fatalf("retried create: %+v, first %+v", r2, r1)
	}
	if recs := fetch(); len(recs) != 1 || recs[0].RemoteID != r1.RemoteID || recs[0].Fields[sync.FieldLocation] != location {
		t.Fatalf("after two creates: %+v", recs)
	}
	// An update by sys_id, and a note appended exactly once over a retry.
	note := sync.Note{ID: "ct-note-" + tag, At: time.Now(), Actor: "contract", Text: "contract note"}
	upd := sync.Op{ID: "ct-upd-" + tag, AssetTag: tag, RemoteID: r1.RemoteID,
		Set: map[string]string{sync.FieldStatus: "in_repair"}, Notes: []sync.Note{note}, Server: map[string]string{}}
	r3 := push(upd)
	if r3.Outcome != sync.Acked {
		t.Fatalf("update: %+v", r3)
	}
	upd.Server = r3.Server
	upd.Retry = true
	push(upd)
	recs := fetch()
	if len(recs) != 1 || recs[0].Fields[sync.FieldStatus] != "in_repair" ||
		strings.Count(recs[0].Fields[sync.FieldNotes], "contract note") != 1 {
		t.Fatalf("after update: %+v", recs)
	}
	// The change shows up in an incremental pull.
	found := false
	must(t, conn.Pull(ctx, sync.Mark(start+"|"), func(_ context.Context, p sync.Page) error {
		for _, r := range p.Records {
			if r.AssetTag == tag && r.Fields[sync.FieldStatus] == "in_repair" {
				found = true
			}
		}
		return nil
	}))
	if !found {
		t.Error("the incremental pull did not return the updated CI")
	}
	// A reference that does not exist is refused with the reason.
	bad := push(sync.Op{ID: "ct-bad-" + tag, AssetTag: tag, RemoteID: r1.RemoteID,
		Set: map[string]string{sync.FieldLocation: "NO SUCH ROOM " + tag}})
	if bad.Outcome != sync.Rejected || !strings.Contains(bad.Message, "NO SUCH ROOM") {
		t.Errorf("unknown location: %+v", bad)
	}
}
