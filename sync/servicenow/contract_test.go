package servicenow_test

import (
	"os"
	"testing"
	"time"

	"github.com/biomed-rounds/rounds/sync"
	"github.com/biomed-rounds/rounds/sync/secret"
	"github.com/biomed-rounds/rounds/sync/servicenow"
	"github.com/biomed-rounds/rounds/sync/servicenow/snfake"
	"github.com/biomed-rounds/rounds/sync/synctest"
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

func TestContract(t *testing.T) {
	synctest.RunTargets(t, "ROUNDS_TEST_SERVICENOW_URL",
		func(t *testing.T) contractTarget {
			fake := snfake.New()
			fake.User, fake.Password = "svc", "pw"
			srv := fake.Start()
			t.Cleanup(srv.Close)
			fake.Put("cmn_location", snfake.Record{"name": "MAIN/3/3W-12"})
			cl, err := transport.New(transport.Config{BaseURL: srv.URL, AllowInsecureHTTP: true, Auth: transport.Basic("svc", secret.New("pw"))})
			must(t, err)
			c, err := servicenow.New(servicenow.Config{Client: cl, Fields: contractFields, SourceName: "ServiceNow"})
			must(t, err)
			return contractTarget{c, "MAIN/3/3W-12"}
		},
		func(t *testing.T) contractTarget {
			src := secret.Source{}
			pass, err := src.Lookup("test_servicenow", "password", nil)
			must(t, err)
			cl, err := transport.New(transport.Config{BaseURL: os.Getenv("ROUNDS_TEST_SERVICENOW_URL"),
				Auth: transport.Basic(os.Getenv("ROUNDS_TEST_SERVICENOW_USER"), pass)})
			must(t, err)
			source := os.Getenv("ROUNDS_TEST_SERVICENOW_SOURCE")
			if source == "" {
				source = "ServiceNow"
			}
			c, err := servicenow.New(servicenow.Config{Client: cl, Fields: contractFields, SourceName: source,
				Table: os.Getenv("ROUNDS_TEST_SERVICENOW_TABLE")})
			must(t, err)
			return contractTarget{c, os.Getenv("ROUNDS_TEST_SERVICENOW_LOCATION")}
		},
		runContract)
}

// contractTarget is a connector and an existing location on its server.
type contractTarget struct {
	conn     *servicenow.Connector
	location string
}

func runContract(t *testing.T, tg contractTarget) {
	c := synctest.NewContract(t, tg.conn, 2*time.Minute)
	start := time.Now().UTC().Add(-2 * time.Minute).Format("2006-01-02 15:04:05")
	// A create whose answer was lost: the same create again must find
	// the same CI.
	r1 := c.CreateTwice(map[string]string{sync.FieldSerial: "SN-" + c.Tag, sync.FieldLocation: tg.location,
		sync.FieldStatus: "in_service"}, sync.FieldLocation)
	// An update by sys_id, and a note appended exactly once over a retry.
	c.UpdateTwice(r1.RemoteID, map[string]string{sync.FieldStatus: "in_repair"})
	// The change shows up in an incremental pull.
	if !c.PullFinds(sync.Mark(start+"|"), map[string]string{sync.FieldStatus: "in_repair"}, false) {
		t.Error("the incremental pull did not return the updated CI")
	}
	// A reference that does not exist is refused with the reason.
	c.RejectsUnknownLocation(r1.RemoteID)
}
