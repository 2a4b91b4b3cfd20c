package servicenow

import (
	"encoding/base64"
	"errors"
	"testing"

	"github.com/biomed-rounds/rounds/sync"
	"github.com/biomed-rounds/rounds/sync/transport"
)

// The parsers of CMDB answers meet whatever a server, a proxy or an
// attacker in the middle sends: they must return an error wrapping
// ErrResponse, never panic.

func FuzzParseTable(f *testing.F) {
	f.Add([]byte(`{"result":[{"sys_id":"a1","sys_updated_on":"2026-01-01 00:00:00","asset_tag":"BME-1","location":"l1","location.name":"MAIN/3/3W-12","install_status":"1"}]}`))
	f.Add([]byte(`{"result":[{"sys_id":{"value":"a1","display_value":"a1"},"location":{"display_value":"MAIN/3/3W-12","value":"l1","link":"https://x/api/now/table/cmn_location/l1"},"sys_mod_count":3}]}`))
	f.Add([]byte(`{"error":{"message":"Invalid table","detail":"x"},"status":"failure"}`))
	f.Add([]byte(`{"result":[]}`))
	f.Add([]byte(`{"result":[{"x":[1,2,{"a":null}]}]}`))
	f.Add([]byte(`{"result":`))
	cfg := Config{Client: mustClient(f)}
	c, _ := New(cfg)
	f.Fuzz(func(t *testing.T, b []byte) {
		rows, err := ParseTable(b)
		if err != nil {
			if !errors.Is(err, ErrResponse) {
				t.Fatalf("error does not wrap ErrResponse: %v", err)
			}
			return
		}
		for _, row := range rows {
			r := c.record(row)
			for f, v := range r.Fields {
				if f == "" {
					t.Fatalf("empty field name with value %q", v)
				}
			}
		}
	})
}

func FuzzParseBatch(f *testing.F) {
	ire := base64.StdEncoding.EncodeToString([]byte(`{"result":{"items":[{"className":"cmdb_ci_med_device","operation":"INSERT","sysId":"abc","inputIndices":[0],"errorCount":0}],"relations":[]}}`))
	f.Add([]byte(`{"batch_request_id":"1","serviced_requests":[{"id":"0","body":"` + ire + `","status_code":200,"status_text":"OK","headers":[],"execution_time":5}],"unserviced_requests":["1"]}`))
	f.Add([]byte(`{"batch_request_id":"1","serviced_requests":[{"id":"0","body":"!!notbase64","status_code":200}]}`))
	f.Add([]byte(`{"serviced_requests":null,"unserviced_requests":[{"id":"7"}]}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, b []byte) {
		br, err := ParseBatch(b)
		if err != nil {
			if !errors.Is(err, ErrResponse) {
				t.Fatalf("error does not wrap ErrResponse: %v", err)
			}
			return
		}
		for _, s := range br.Serviced {
			if _, err := ParseIRE(s.Body); err != nil && !errors.Is(err, ErrResponse) {
				t.Fatalf("IRE error does not wrap ErrResponse: %v", err)
			}
		}
	})
}

func FuzzParseIRE(f *testing.F) {
	f.Add([]byte(`{"result":{"items":[{"className":"cmdb_ci_med_device","operation":"UPDATE","sysId":"539747cac0a801640163e60735fbbf6e","identifierEntrySysId":"556eb250c3400200d8d4bea192d3ae92","identificationAttempts":[{"identifierName":"Hardware Rule","attemptResult":"MATCHED","attributes":["name"],"searchOnTable":"cmdb_ci_hardware","hybridEntryCiAttributes":[]}],"markers":[],"inputIndices":[0],"mergedPayloadIds":[],"errorCount":0}],"additionalCommittedItems":[],"relations":[],"additionalCommittedRelations":[]}}`))
	f.Add([]byte(`{"result":{"items":[{"operation":"NONE","sysId":"Unknown","inputIndices":[5],"errorCount":1,"errors":[{"error":"MULTI_MATCH","message":"two"}]}]}}`))
	f.Add([]byte(`{"result":{"items":[{"inputIndices":[-1]}]}}`))
	f.Add([]byte(`{"error":{"message":"no"}}`))
	c, _ := New(Config{Client: mustClient(f)})
	f.Fuzz(func(t *testing.T, b []byte) {
		ir, err := ParseIRE(b)
		if err != nil {
			if !errors.Is(err, ErrResponse) {
				t.Fatalf("error does not wrap ErrResponse: %v", err)
			}
			return
		}
		// Mapping items back to changes must cope with any indices.
		items := []item{{op: 0}, {op: 1}}
		res := make([]sync.Result, 2)
		c.applyIRE(items, ir, res)
		for _, r := range res {
			if r.Outcome == sync.Acked && r.RemoteID == "" {
				t.Fatalf("acked without a sys_id: %+v", r)
			}
		}
	})
}

func mustClient(f *testing.F) *transport.Client {
	cl, err := transport.New(transport.Config{BaseURL: "https://example.invalid"})
	if err != nil {
		f.Fatal(err)
	}
	return cl
}
