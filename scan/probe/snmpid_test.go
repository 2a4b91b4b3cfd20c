package probe_test

import (
	"context"
	"errors"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/biomed-rounds/rounds/scan/probe"
	"github.com/biomed-rounds/rounds/scan/ward"
)

// startSNMPD starts a real net-snmp agent for the test, or skips when it
// is not installed outside CI (.ci/run installs it).
func startSNMPD(t *testing.T, cfg ward.SNMPD) *ward.Agent {
	t.Helper()
	cfg.Dir = t.TempDir()
	a, err := ward.StartSNMPD(context.Background(), cfg)
	if errors.Is(err, ward.ErrNoSNMPD) && os.Getenv("CI") == "" {
		t.Skip("snmpd is not installed (apt-get install snmpd); the SNMP identity test needs a real agent")
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	return a
}

// TestSNMPIdentityRealAgent reads the system group and the ENTITY-MIB
// chassis row from Debian's snmpd, over SNMPv2c and SNMPv3, and checks
// that every datagram is reported and a wrong community learns nothing.
func TestSNMPIdentityRealAgent(t *testing.T) {
	// A free loopback base, so that another test process never holds it.
	addr := ward.Addr(8, 61)
	a := startSNMPD(t, ward.SNMPD{Addr: addr, Community: "ward-ro", User: "biomed", AuthPass: "authpass123", PrivPass: "privpass123",
		SysDescr: "Getinge SERVO-u ventilator, SW 4.4", SysObjectID: ".1.3.6.1.4.1.8072.3.2.10", SysName: "servo-u-7",
		Entities: []ward.Entity{
			{Index: 1, Class: 10, Serial: "PORT-SN", Model: "eth0"},
			{Index: 2, Class: 3, Serial: "SU-44102", Model: "SERVO-u", Firmware: "4.4.1", Software: "4.4", Mfg: "Maquet Critical Care"},
		}})
	cases := []struct {
		name  string
		auth  probe.SNMPAuth
		want  map[string]string
		sends int
		fail  bool
	}{
		{name: "v2c", auth: probe.SNMPAuth{Community: "ward-ro"}, sends: 3, want: map[string]string{
			"sysDescr": "Getinge SERVO-u ventilator, SW 4.4", "sysObjectID": "1.3.6.1.4.1.8072.3.2.10", "enterprise": "8072",
			"sysName": "servo-u-7", "entPhysicalIndex": "2", "entPhysicalSerialNum": "SU-44102", "entPhysicalModelName": "SERVO-u",
			"entPhysicalFirmwareRev": "4.4.1", "entPhysicalSoftwareRev": "4.4", "entPhysicalMfgName": "Maquet Critical Care"}},
		// USM discovery adds one datagram.
		{name: "v3", auth: probe.SNMPAuth{User: "biomed", AuthProto: "SHA", AuthPass: "authpass123", PrivProto: "AES", PrivPass: "privpass123"}, sends: 4,
			want: map[string]string{"entPhysicalSerialNum": "SU-44102", "sysName": "servo-u-7"}},
		{name: "wrong community", auth: probe.SNMPAuth{Community: "public"}, sends: 1, fail: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var mu sync.Mutex
			var sent []string
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			fp, err := probe.SNMPIdentity(ctx, addr, a.Port, tc.auth, 700*time.Millisecond, func(w string) {
				mu.Lock()
				sent = append(sent, w)
				mu.Unlock()
			})
			if tc.fail {
				if err == nil || len(fp.Fields) != 0 {
					t.Fatalf("wrong community: %v %v", fp.Fields, err)
				}
			} else if err != nil {
				t.Fatal(err)
			}
			for k, v := range tc.want {
				if fp.Fields[k] != v {
					t.Errorf("%s = %q, want %q (all: %v)", k, fp.Fields[k], v, fp.Fields)
				}
			}
			if len(sent) != tc.sends {
				t.Errorf("%d datagrams reported, want %d: %q", len(sent), tc.sends, sent)
			}
			if strings.Contains(string(fp.Raw), "ward-ro") {
				t.Error("the community reached the fingerprint")
			}
		})
	}
}

func TestEnterprise(t *testing.T) {
	for in, want := range map[string]int{".1.3.6.1.4.1.9.1.516": 9, "1.3.6.1.4.1.8072": 8072, "1.3.6.1.2.1": 0, "": 0, "1.3.6.1.4.1.x": 0, "1.3.6.1.4.1.-3.1": 0} {
		if got := probe.Enterprise(in); got != want {
			t.Errorf("Enterprise(%q) = %d, want %d", in, got, want)
		}
	}
}
