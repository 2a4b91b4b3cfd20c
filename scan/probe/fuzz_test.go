package probe

import (
	"bytes"
	"net/netip"
	"strings"
	"testing"

	"github.com/biomed-rounds/rounds/inert"
)

// checkFields fails when a parsed value could drive a terminal or bloat
// the database.
func checkFields(t *testing.T, f map[string]string) {
	t.Helper()
	for k, v := range f {
		if !inert.Clean(v) || len(v) > MaxField {
			t.Fatalf("field %s = %q: not inert or longer than %d", k, v, MaxField)
		}
	}
}

func FuzzParseHTTP(f *testing.F) {
	f.Add([]byte("HTTP/1.1 200 OK\r\nServer: Alaris-WebSvr/9.33\r\nContent-Length: 40\r\n\r\n<html><title>BD Alaris</title></html>"))
	f.Add([]byte("HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Basic realm=\"Agilia\r\n\r\n"))
	f.Add([]byte("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nffffffff\r\n<title>"))
	f.Add([]byte("HTTP/1.0 200 OK\nServer: \x1b]0;x\x07\n\n<TITLE>&#27;&amp;</TITLE"))
	f.Fuzz(func(t *testing.T, b []byte) {
		h, err := ParseHTTP(b)
		if err != nil {
			return
		}
		checkFields(t, httpFields(h))
		_ = complete(b)
	})
}

func FuzzParseUPnP(f *testing.F) {
	f.Add([]byte(upnpDoc))
	f.Add([]byte("<root><device><serialNumber>SN\u009b31m1</serialNumber></device></root>"))
	f.Add([]byte(`<!DOCTYPE r [<!ENTITY a "aaaa">]><root><device><UDN>&a;</UDN></device></root>`))
	f.Add([]byte("<root><device><device><device></device></device></device></root>"))
	f.Fuzz(func(t *testing.T, b []byte) {
		d, err := ParseUPnP(b)
		if err != nil {
			return
		}
		checkFields(t, d.Fields())
	})
}

func FuzzParseDICOM(f *testing.F) {
	f.Add(associateAC("1.2.840.113619.6.374", "GE_MR30.1", 0))
	f.Add(pdu(pduAssociateRJ, []byte{0, 1, 1, 7}))
	f.Add(pdu(pduAbort, []byte{0, 0, 2, 0}))
	f.Add([]byte{2, 0, 0xff, 0xff, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, b []byte) {
		if p, err := ReadPDU(bytes.NewReader(b), maxPDU); err == nil && len(p) > maxPDU {
			t.Fatalf("ReadPDU returned %d bytes, limit %d", len(p), maxPDU)
		}
		a, err := ParseDICOM(b)
		if err != nil {
			return
		}
		checkFields(t, a.Fields())
		_ = a.Vendor()
	})
}

func FuzzParseBanner(f *testing.F) {
	f.Add("ssh", []byte("SSH-2.0-OpenSSH_7.4\r\n"))
	f.Add("ssh", []byte("Welcome\r\nSSH-1.99-Cisco-1.25 FIPS\r\n"))
	f.Add("telnet", []byte("\xff\xfb\x01\xff\xfa\x18\x01\xff\xf0\r\nlogin: "))
	f.Add("telnet", []byte("\xff\xfa\x18"))
	f.Add("vnc", []byte("RFB 003.008\n"))
	f.Add("other", []byte("220 FTP ready\r\n"))
	f.Fuzz(func(t *testing.T, kind string, b []byte) {
		fields, _ := ParseBanner(kind, b)
		checkFields(t, fields)
		_ = bannerDone(kind)(b)
	})
}

func FuzzParseSNMP(f *testing.F) {
	req, err := SNMPGet("public", 7)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(snmpResponse(f, req, "Getinge SERVO-u"))
	f.Add(req)
	f.Add([]byte{0x30, 0x84, 0xff, 0xff, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, b []byte) {
		d, err := ParseSNMP(b, 7)
		if err != nil {
			return
		}
		checkFields(t, map[string]string{"sysDescr": d})
	})
}

// FuzzParseSSDP: any datagram parses or fails cleanly, with inert bounded
// fields; a LOCATION is followed only to the answering host itself.
func FuzzParseSSDP(f *testing.F) {
	f.Add([]byte("HTTP/1.1 200 OK\r\nCACHE-CONTROL: max-age=1800\r\nEXT:\r\nLOCATION: http://127.77.3.11:49152/upnp/desc.xml\r\nSERVER: Linux/4.1 UPnP/1.0 Portable SDK for UPnP devices/1.6.25\r\nST: upnp:rootdevice\r\nUSN: uuid:1::upnp:rootdevice\r\n\r\n"))
	f.Add([]byte("HTTP/1.1 200 OK\r\nLocation: http://user:pw@10.0.0.1:80/x\r\n\r\n"))
	f.Add([]byte("HTTP/1.1 200 OK\r\nLOCATION: http://[::ffff:127.77.3.11]:1/\x1b[31m\r\n\r\n"))
	f.Add([]byte("NOTIFY * HTTP/1.1\r\n\r\n"))
	answered := netip.MustParseAddr("127.77.3.11")
	f.Fuzz(func(t *testing.T, b []byte) {
		a, err := ParseSSDP(b)
		if err != nil {
			return
		}
		checkFields(t, a.Fields())
		d, err := ParseLocation(a.Location, answered)
		if err != nil {
			return
		}
		if d.Addr != answered || d.Port < 1 || d.Port > 65535 || !strings.HasPrefix(d.Path, "/") || strings.ContainsAny(d.Path, "\r\n ") {
			t.Fatalf("LOCATION %q followed to %+v", a.Location, d)
		}
	})
}
