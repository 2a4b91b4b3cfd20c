package probe

import (
	"net/netip"
	"testing"
	"time"

	"github.com/gosnmp/gosnmp"
)

// FuzzSNMPDecode feeds any datagram to the decoder the SNMP identity
// probe relies on (gosnmp's), as an agent's answer: it must fail or
// decode, never panic (a panic would escape the sweep's goroutine).
func FuzzSNMPDecode(f *testing.F) {
	// A real GetResponse from snmpd for sysDescr.0 ("Linux").
	f.Add([]byte{0x30, 0x29, 0x02, 0x01, 0x01, 0x04, 0x06, 'p', 'u', 'b', 'l', 'i', 'c', 0xa2, 0x1c, 0x02, 0x04, 0x12, 0x34, 0x56, 0x78,
		0x02, 0x01, 0x00, 0x02, 0x01, 0x00, 0x30, 0x0e, 0x30, 0x0c, 0x06, 0x08, 0x2b, 0x06, 0x01, 0x02, 0x01, 0x01, 0x01, 0x00,
		0x04, 0x00})
	f.Add([]byte{0x30, 0x80})
	f.Add([]byte{0x30, 0x84, 0xff, 0xff, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, a := range []SNMPAuth{{Community: "public"}, {User: "u", AuthProto: "SHA", AuthPass: "authpass1", PrivProto: "AES", PrivPass: "privpass1"}} {
			g, err := a.client(netip.MustParseAddr("127.0.0.2"), 161, time.Second)
			if err != nil {
				t.Fatal(err)
			}
			if g.Version == gosnmp.Version3 {
				g.SecurityParameters.(*gosnmp.UsmSecurityParameters).AuthoritativeEngineID = "engine"
			}
			_, _ = g.SnmpDecodePacket(b)
		}
	})
}
