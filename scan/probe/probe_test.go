package probe

import (
	"bytes"
	"encoding/binary"
	"errors"
	"strings"
	"testing"

	"github.com/biomed-rounds/rounds/inert"
	"github.com/biomed-rounds/rounds/scan"
)

func TestParseHTTP(t *testing.T) {
	tests := []struct {
		name                        string
		raw                         string
		wantErr                     bool
		status                      int
		server, title, realm, extra string
	}{
		{name: "plain", raw: "HTTP/1.1 200 OK\r\nServer: Alaris-WebSvr/9.33\r\nContent-Length: 40\r\n\r\n<html><title>BD Alaris</title></html>",
			status: 200, server: "Alaris-WebSvr/9.33", title: "BD Alaris"},
		{name: "bare LF and odd case", raw: "HTTP/1.0 200 OK\nserver:  lwIP/1.4.1 \n\n<TITLE>Base &amp; Unit</TITLE>",
			status: 200, server: "lwIP/1.4.1", title: "Base & Unit"},
		{name: "401 realm", raw: "HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Basic realm=\"Agilia Link+\"\r\n\r\n",
			status: 401, realm: "Agilia Link+"},
		{name: "chunked", raw: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n7\r\n<title>\r\n5\r\nPump \r\n9\r\n7</title>\r\n0\r\n\r\n",
			status: 200, title: "Pump 7"},
		{name: "truncated body", raw: "HTTP/1.1 200 OK\r\nServer: x\r\n\r\n<html><head><title>Monitor gate",
			status: 200, server: "x", title: "Monitor gate"},
		{name: "escapes made inert", raw: "HTTP/1.1 200 OK\r\nServer: \x1b[31mred\r\n\r\n<title>\x1b]0;pwn\x07T</title>",
			status: 200, server: "\uFFFDred", title: "\uFFFDT"},
		{name: "not HTTP", raw: "SSH-2.0-OpenSSH_7.4\r\n", wantErr: true},
		{name: "bad status", raw: "HTTP/1.1 OK\r\n\r\n", wantErr: true},
		{name: "empty", raw: "", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, err := ParseHTTP([]byte(tt.raw))
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tt.wantErr)
			}
			if err != nil {
				if !errors.Is(err, ErrNotProtocol) {
					t.Errorf("err = %v, want ErrNotProtocol", err)
				}
				return
			}
			f := httpFields(h)
			if h.Status != tt.status || f["server"] != tt.server || f["title"] != tt.title || f["realm"] != tt.realm {
				t.Errorf("got status %d fields %q", h.Status, f)
			}
		})
	}
}

func TestComplete(t *testing.T) {
	tests := []struct {
		raw  string
		want bool
	}{
		{"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nabc", false},
		{"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nabcde", true},
		{"HTTP/1.1 200 OK\r\n\r\n<html><title>x</title>", true},
		{"HTTP/1.1 200 OK\r\nServer: x\r\n", false},
	}
	for _, tt := range tests {
		if got := complete([]byte(tt.raw)); got != tt.want {
			t.Errorf("complete(%q) = %v, want %v", tt.raw, got, tt.want)
		}
	}
}

const upnpDoc = `<?xml version="1.0"?>
<root xmlns="urn:schemas-upnp-org:device-1-0"><specVersion><major>1</major></specVersion>
<device><deviceType>urn:schemas-upnp-org:device:Basic:1</deviceType>
<friendlyName>Pump 4</friendlyName><manufacturer>B. Braun</manufacturer>
<modelName>SpaceStation</modelName><modelNumber>8713140</modelNumber>
<serialNumber>BBSS-00871265</serialNumber><UDN>uuid:5af2144e-9ecb-550a-97c3-8e814f1336ee</UDN>
<firmwareVersion>L2.0.3</firmwareVersion></device></root>`

func TestParseUPnP(t *testing.T) {
	tests := []struct {
		name    string
		doc     string
		want    UPnPDevice
		wantErr bool
	}{
		{name: "description", doc: upnpDoc, want: UPnPDevice{DeviceType: "urn:schemas-upnp-org:device:Basic:1",
			FriendlyName: "Pump 4", Manufacturer: "B. Braun", ModelName: "SpaceStation", ModelNumber: "8713140",
			SerialNumber: "BBSS-00871265", UDN: "uuid:5af2144e-9ecb-550a-97c3-8e814f1336ee", FirmwareVersion: "L2.0.3"}},
		{name: "no namespace, C1 escape in serial", doc: "<root><device><serialNumber>SN\u009b31m1</serialNumber></device></root>",
			want: UPnPDevice{SerialNumber: "SN\uFFFD1"}},
		{name: "wrong root", doc: "<html><device><serialNumber>1</serialNumber></device></html>", wantErr: true},
		{name: "no device", doc: "<root><specVersion/></root>", wantErr: true},
		{name: "not XML", doc: "HTTP/1.1 200 OK", wantErr: true},
		{name: "entity bomb is not expanded", doc: `<!DOCTYPE r [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;">]><root><device><serialNumber>&b;</serialNumber></device></root>`,
			want: UPnPDevice{SerialNumber: "&b;"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseUPnP([]byte(tt.doc))
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tt.wantErr)
			}
			if err == nil && got != tt.want {
				t.Errorf("got %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

// associateAC builds an A-ASSOCIATE-AC as an SCP would.
func associateAC(implUID, version string, result byte) []byte {
	item := func(typ byte, v []byte) []byte {
		b := []byte{typ, 0, 0, 0}
		binary.BigEndian.PutUint16(b[2:], uint16(len(v)))
		return append(b, v...)
	}
	body := make([]byte, 68)
	body[1] = 1
	body = append(body, item(0x10, []byte(AppContextUID))...)
	body = append(body, item(0x21, append([]byte{1, 0, result, 0}, item(0x40, []byte(ImplicitVRLittleEndian))...))...)
	ui := item(0x51, []byte{0, 0, 0x40, 0})
	ui = append(ui, item(0x52, []byte(implUID))...)
	ui = append(ui, item(0x55, []byte(version))...)
	body = append(body, item(0x50, ui)...)
	return pdu(pduAssociateAC, body)
}

func TestParseDICOM(t *testing.T) {
	tests := []struct {
		name    string
		pdu     []byte
		want    DICOMAnswer
		vendor  string
		wantErr bool
	}{
		{name: "AC", pdu: associateAC("1.2.840.113619.6.374", "GE_MR30.1", 0),
			want:   DICOMAnswer{PDU: "associate-ac", Result: "acceptance", ImplementationClassUID: "1.2.840.113619.6.374", ImplementationVersion: "GE_MR30.1", MaxPDULength: 16384},
			vendor: "GE Healthcare"},
		{name: "AC with NUL-padded UID, toolkit root", pdu: associateAC("1.2.276.0.7230010.3.0.3.6.4\x00", "OFFIS_DCMTK_364", 3),
			want: DICOMAnswer{PDU: "associate-ac", Result: "abstract-syntax-not-supported", ImplementationClassUID: "1.2.276.0.7230010.3.0.3.6.4", ImplementationVersion: "OFFIS_DCMTK_364", MaxPDULength: 16384}},
		{name: "RJ", pdu: pdu(pduAssociateRJ, []byte{0, 1, 1, 7}), want: DICOMAnswer{PDU: "associate-rj", Result: "rejected-permanent", Source: 1, Reason: 7}},
		{name: "abort", pdu: pdu(pduAbort, []byte{0, 0, 2, 0}), want: DICOMAnswer{PDU: "abort", Source: 2}},
		{name: "length mismatch", pdu: append(pdu(pduAbort, []byte{0, 0, 2, 0}), 0), wantErr: true},
		{name: "item overruns", pdu: pdu(pduAssociateAC, append(make([]byte, 68), 0x50, 0, 0xff, 0xff)), wantErr: true},
		{name: "RQ is no answer", pdu: AssociateRQ("A", "B"), wantErr: true},
		{name: "short", pdu: []byte{2, 0, 0}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseDICOM(tt.pdu)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tt.wantErr)
			}
			if err != nil {
				return
			}
			if got != tt.want {
				t.Errorf("got %+v\nwant %+v", got, tt.want)
			}
			if got.Vendor() != tt.vendor {
				t.Errorf("Vendor() = %q, want %q", got.Vendor(), tt.vendor)
			}
		})
	}
}

func TestAssociateRQ(t *testing.T) {
	rq := AssociateRQ("ROUNDS", "ANY-SCP")
	if rq[0] != pduAssociateRQ || int(binary.BigEndian.Uint32(rq[2:])) != len(rq)-6 {
		t.Fatalf("bad header % x", rq[:6])
	}
	if got := string(rq[10:26]); got != "ANY-SCP         " {
		t.Errorf("called AE = %q", got)
	}
	if got := string(rq[26:42]); got != "ROUNDS          " {
		t.Errorf("calling AE = %q", got)
	}
	for _, want := range []string{AppContextUID, VerificationUID, ImplicitVRLittleEndian, ImplementationClassUID, ImplementationVersion} {
		if !bytes.Contains(rq, []byte(want)) {
			t.Errorf("RQ lacks %s", want)
		}
	}
	if len(ImplementationClassUID) > 64 || len(ImplementationVersion) > 16 {
		t.Error("implementation identifiers exceed DICOM limits")
	}
}

func TestParseBanner(t *testing.T) {
	tests := []struct {
		kind, raw string
		want      map[string]string
		wantErr   bool
	}{
		{"ssh", "SSH-2.0-OpenSSH_7.4\r\n", map[string]string{"banner": "SSH-2.0-OpenSSH_7.4", "protoversion": "2.0", "softwareversion": "OpenSSH_7.4"}, false},
		{"ssh", "Welcome\r\nSSH-1.99-Cisco-1.25 FIPS\r\n", map[string]string{"banner": "SSH-1.99-Cisco-1.25 FIPS", "protoversion": "1.99", "softwareversion": "Cisco-1.25", "comments": "FIPS"}, false},
		{"ssh", "\x1b[2JSSH-2.0-x\r\n", map[string]string{}, true},
		{"ssh", "SSH-2.0-\x1b[31mEvil\r\n", map[string]string{"banner": "SSH-2.0-\uFFFDEvil", "protoversion": "2.0", "softwareversion": "\uFFFDEvil"}, false},
		{"telnet", "\xff\xfb\x01\xff\xfb\x03\xff\xfd\x18\r\nBSM-6701 console\r\n\r\nlogin: ", map[string]string{"banner": "BSM-6701 console / login:"}, false},
		{"telnet", "\xff\xfa\x18\x01\xff\xf0Hi\xff\xff\r\x00", map[string]string{"banner": "Hi\uFFFD"}, false},
		{"vnc", "RFB 003.008\n", map[string]string{"version": "003.008"}, false},
		{"vnc", "RFB 3", map[string]string{}, true},
	}
	for _, tt := range tests {
		got, err := ParseBanner(tt.kind, []byte(tt.raw))
		if (err != nil) != tt.wantErr {
			t.Errorf("%s %q: err = %v, wantErr %v", tt.kind, tt.raw, err, tt.wantErr)
			continue
		}
		if len(got) != len(tt.want) {
			t.Errorf("%s %q: got %q, want %q", tt.kind, tt.raw, got, tt.want)
			continue
		}
		for k, v := range tt.want {
			if got[k] != v {
				t.Errorf("%s %q: %s = %q, want %q", tt.kind, tt.raw, k, got[k], v)
			}
		}
	}
}

func TestSNMPRoundTrip(t *testing.T) {
	req, err := SNMPGet("public", 4242)
	if err != nil {
		t.Fatal(err)
	}
	// Turn the request into a response the way an agent would: same
	// message, GetResponse tag, value filled in.
	resp := snmpResponse(t, req, "Stryker ProCuity bed\x1b[2J")
	got, err := ParseSNMP(resp, 4242)
	if err != nil {
		t.Fatal(err)
	}
	if got != "Stryker ProCuity bed\uFFFD" {
		t.Errorf("sysDescr = %q", got)
	}
	if _, err := ParseSNMP(resp, 1); err == nil {
		t.Error("a response to another request id was accepted")
	}
	if _, err := ParseSNMP(req, 4242); err == nil {
		t.Error("a GetRequest was accepted as a response")
	}
}

func TestField(t *testing.T) {
	long := strings.Repeat("é", 300)
	if got := Field(long); len(got) > MaxField || !strings.HasPrefix(long, got) {
		t.Errorf("Field(long) = %d bytes, want a prefix of at most %d", len(got), MaxField)
	}
	if got := Field("  a \t b\x1b[31m  "); got != "a \uFFFD b\uFFFD" || !inert.Clean(got) {
		t.Errorf("Field = %q", got)
	}
	if got := raw(bytes.Repeat([]byte("x"), 10000)); len(got) != scan.MaxRaw {
		t.Errorf("raw kept %d bytes, want %d", len(got), scan.MaxRaw)
	}
}
