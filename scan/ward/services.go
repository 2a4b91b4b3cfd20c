package ward

import (
	"bufio"
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha1"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/binary"
	"encoding/xml"
	"fmt"
	"io"
	"math/big"
	mrand "math/rand/v2"
	"net"
	"strconv"
	"strings"
	"time"
)

// idle bounds how long a simulated service waits on a silent client.
const idle = 30 * time.Second

func (w *Ward) serve(c net.Conn, d Device, s Service) {
	_ = c.SetDeadline(time.Now().Add(idle))
	switch s.Kind {
	case HTTP:
		serveHTTP(c, d, s)
	case HTTPS:
		cert, err := w.cert(d)
		if err != nil {
			return
		}
		tc := tls.Server(c, &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12})
		if tc.HandshakeContext(w.ctx) != nil {
			return
		}
		serveHTTP(tc, d, s)
	case DICOM:
		if w.serveDICOM(c, d, s) {
			w.count(d.Addr, func(st *Stats) { st.Releases++ })
		}
	case SSH:
		_, _ = io.WriteString(c, s.Banner+"\r\n")
		drain(c)
	case Telnet:
		// WILL ECHO, WILL SUPPRESS-GO-AHEAD, DO TERMINAL-TYPE, as a real
		// login service opens; the sweep never answers them.
		_, _ = c.Write([]byte{255, 251, 1, 255, 251, 3, 255, 253, 24})
		_, _ = io.WriteString(c, "\r\n"+s.Banner+"\r\n\r\nlogin: ")
		drain(c)
	case VNC:
		_, _ = io.WriteString(c, "RFB 003.008\n")
		drain(c)
	case HL7, Silent, Tarpit:
		drain(c)
	case Garbage:
		b := make([]byte, 4096)
		r := mrand.New(mrand.NewPCG(uint64(d.Addr.As4()[3]), uint64(s.Port)))
		for i := range b {
			b[i] = byte(r.Uint32())
		}
		_, _ = c.Write(b)
	case Endless:
		chunk := bytes.Repeat([]byte("HTTP/1.1 200 OK\r\nX-Filler: "+strings.Repeat("A", 200)+"\r\n"), 100)
		for w.ctx.Err() == nil {
			if _, err := c.Write(chunk); err != nil {
				return
			}
		}
	case Drip:
		text := s.Banner
		if text == "" {
			text = "HTTP/1.0 200 OK\r\nServer: drip\r\n\r\n<html><head><title>slow</title></head></html>"
		}
		for i := 0; i < len(text) && w.ctx.Err() == nil; i++ {
			if _, err := c.Write([]byte{text[i]}); err != nil {
				return
			}
			select {
			case <-time.After(100 * time.Millisecond):
			case <-w.ctx.Done():
				return
			}
		}
	}
}

// drain reads until the client closes (or idle passes), never answering.
func drain(c net.Conn) {
	_, _ = io.Copy(io.Discard, io.LimitReader(c, 1<<20))
}

// serveHTTP reads one request head and answers it: the device page, its
// UPnP description, or 404.
func serveHTTP(c net.Conn, d Device, s Service) {
	br := bufio.NewReader(io.LimitReader(c, 16<<10))
	line, err := br.ReadString('\n')
	if err != nil {
		return
	}
	for {
		l, err := br.ReadString('\n')
		if err != nil {
			return
		}
		if l == "\r\n" || l == "\n" {
			break
		}
	}
	f := strings.Fields(line)
	path := "/"
	if len(f) >= 2 {
		path = f[1]
	}
	status, ctype, body := "200 OK", "text/html; charset=utf-8", ""
	extra := ""
	switch {
	case s.DescPath != "" && path == s.DescPath,
		s.UPnP && (path == "/description.xml" || path == "/rootDesc.xml"):
		ctype, body = `text/xml; charset="utf-8"`, description(d)
	case path == "/" && s.Realm != "":
		status = "401 Unauthorized"
		extra = "WWW-Authenticate: Basic realm=\"" + s.Realm + "\"\r\n"
		body = "<html><head><title>401 Unauthorized</title></head><body>Login required</body></html>"
	case path == "/":
		body = "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>" + s.Title +
			"</title></head>\n<body><h1>" + s.Title + "</h1><p>Device web interface</p></body></html>\n"
	default:
		status, body = "404 Not Found", "<html><head><title>404 Not Found</title></head></html>"
	}
	fmt.Fprintf(c, "HTTP/1.1 %s\r\nServer: %s\r\nContent-Type: %s\r\nContent-Length: %d\r\n%sConnection: close\r\n\r\n%s",
		status, s.Banner, ctype, len(body), extra, body)
}

// description is the device's UPnP root device description.
func description(d Device) string {
	esc := func(s string) string {
		var b strings.Builder
		_ = xml.EscapeText(&b, []byte(s))
		return b.String()
	}
	return `<?xml version="1.0" encoding="utf-8"?>
<root xmlns="urn:schemas-upnp-org:device-1-0">
  <specVersion><major>1</major><minor>0</minor></specVersion>
  <device>
    <deviceType>urn:schemas-upnp-org:device:Basic:1</deviceType>
    <friendlyName>` + esc(d.Name) + `</friendlyName>
    <manufacturer>` + esc(d.Manufacturer) + `</manufacturer>
    <modelName>` + esc(d.Model) + `</modelName>
    <modelNumber>` + esc(d.Model) + `</modelNumber>
    <serialNumber>` + esc(d.Serial) + `</serialNumber>
    <firmwareVersion>` + esc(d.Firmware) + `</firmwareVersion>
    <UDN>uuid:` + udn(d) + `</UDN>
  </device>
</root>
`
}

// udn derives a stable UUID for the device from its name.
func udn(d Device) string {
	h := sha1.Sum([]byte("ward:" + d.Name))
	h[6] = h[6]&0x0f | 0x50
	h[8] = h[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", h[0:4], h[4:6], h[6:8], h[8:10], h[10:16])
}

// UDN returns the unique device name the device's UPnP description
// carries ("uuid:...").
func (d Device) UDN() string { return "uuid:" + udn(d) }

// cert returns the device's self-signed certificate, made on first use.
func (w *Ward) cert(d Device) (tls.Certificate, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if c, ok := w.certs[d.Addr]; ok {
		return c, nil
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(int64(d.Addr.As4()[3]) + 1),
		Subject: pkix.Name{CommonName: d.Name, Organization: []string{d.Manufacturer},
			SerialNumber: d.Serial},
		NotBefore: time.Now().Add(-time.Hour),
		NotAfter:  time.Now().AddDate(5, 0, 0),
		KeyUsage:  x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, err
	}
	c := tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
	w.certs[d.Addr] = c
	return c, nil
}

// serveDICOM answers one association; it reports whether the association
// was released cleanly.
func (w *Ward) serveDICOM(c net.Conn, d Device, s Service) bool {
	typ, body, err := readPDU(c)
	if err != nil || typ != 0x01 || len(body) < 68 {
		return false
	}
	called := strings.TrimRight(string(body[4:20]), " ")
	if s.AE != "" && called != s.AE {
		// A-ASSOCIATE-RJ: rejected-permanent, service-user, called AE title
		// not recognized.
		_, _ = c.Write(pduBytes(0x03, []byte{0, 1, 1, 7}))
		return false
	}
	pcID := byte(1)
	for items := body[68:]; len(items) >= 4; {
		n := int(binary.BigEndian.Uint16(items[2:]))
		if len(items) < 4+n {
			break
		}
		if items[0] == 0x20 && n > 0 {
			pcID = items[4]
		}
		items = items[4+n:]
	}
	item := func(typ byte, v []byte) []byte {
		b := []byte{typ, 0, 0, 0}
		binary.BigEndian.PutUint16(b[2:], uint16(len(v)))
		return append(b, v...)
	}
	ac := append([]byte{}, body[:68]...) // version, reserved, AE titles, reserved echoed
	ac = append(ac, item(0x10, []byte("1.2.840.10008.3.1.1.1"))...)
	ac = append(ac, item(0x21, append([]byte{pcID, 0, 0, 0}, item(0x40, []byte("1.2.840.10008.1.2"))...))...)
	ui := item(0x51, binary.BigEndian.AppendUint32(nil, 16384))
	ui = append(ui, item(0x52, []byte(s.ImplementationClassUID))...)
	ui = append(ui, item(0x55, []byte(s.ImplementationVersion))...)
	ac = append(ac, item(0x50, ui)...)
	if _, err := c.Write(pduBytes(0x02, ac)); err != nil {
		return false
	}
	for {
		typ, _, err := readPDU(c)
		if err != nil {
			return false
		}
		switch typ {
		case 0x05:
			_, err := c.Write(pduBytes(0x06, make([]byte, 4)))
			return err == nil
		case 0x07:
			return false
		}
	}
}

func readPDU(r io.Reader) (byte, []byte, error) {
	var h [6]byte
	if _, err := io.ReadFull(r, h[:]); err != nil {
		return 0, nil, err
	}
	n := binary.BigEndian.Uint32(h[2:])
	if n > 64<<10 {
		return 0, nil, fmt.Errorf("PDU too long: %d", n)
	}
	b := make([]byte, n)
	_, err := io.ReadFull(r, b)
	return h[0], b, err
}

func pduBytes(typ byte, body []byte) []byte {
	b := []byte{typ, 0, 0, 0, 0, 0}
	binary.BigEndian.PutUint32(b[2:], uint32(len(body)))
	return append(b, body...)
}

// serveSNMP answers SNMPv2c GetRequests for sysDescr.0 with the right
// community; anything else is dropped, as agents do.
func (w *Ward) serveSNMP(pc net.PacketConn, d Device, s Service) {
	community := s.Community
	if community == "" {
		community = "public"
	}
	buf := make([]byte, 2048)
	for {
		n, from, err := pc.ReadFrom(buf)
		if err != nil {
			return
		}
		w.count(d.Addr, func(st *Stats) { st.SNMPRequests++ })
		var msg struct {
			Version   int
			Community []byte
			PDU       asn1.RawValue
		}
		if _, err := asn1.Unmarshal(buf[:n], &msg); err != nil || string(msg.Community) != community ||
			msg.PDU.Class != asn1.ClassContextSpecific || msg.PDU.Tag != 0 {
			continue
		}
		var reqID int
		if _, err := asn1.Unmarshal(msg.PDU.Bytes, &reqID); err != nil {
			continue
		}
		type varBind struct {
			OID   asn1.ObjectIdentifier
			Value []byte
		}
		var inner []byte
		for _, v := range []int{reqID, 0, 0} {
			b, _ := asn1.Marshal(v)
			inner = append(inner, b...)
		}
		vb, _ := asn1.Marshal([]varBind{{OID: asn1.ObjectIdentifier{1, 3, 6, 1, 2, 1, 1, 1, 0}, Value: []byte(s.SysDescr)}})
		inner = append(inner, vb...)
		msg.PDU = asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 2, IsCompound: true, Bytes: inner}
		out, err := asn1.Marshal(msg)
		if err != nil {
			continue
		}
		_, _ = pc.WriteTo(out, from)
	}
}

// serveSSDP answers M-SEARCH datagrams as a UPnP stack does: one answer
// naming the description's LOCATION.
func (w *Ward) serveSSDP(pc net.PacketConn, d Device, s Service) {
	loc := s.Location
	if loc == "" {
		for _, o := range d.Services {
			if o.DescPath != "" {
				loc = "http://" + net.JoinHostPort(d.Addr.String(), strconv.Itoa(o.Port+w.cfg.PortOffset)) + o.DescPath
				break
			}
		}
	}
	server := s.Banner
	if server == "" {
		server = "Linux/4.9 UPnP/1.0 device/1.0"
	}
	buf := make([]byte, 2048)
	for {
		n, from, err := pc.ReadFrom(buf)
		if err != nil {
			return
		}
		w.count(d.Addr, func(st *Stats) { st.SSDPRequests++ })
		req := string(buf[:n])
		if !strings.HasPrefix(req, "M-SEARCH * HTTP/1.1\r\n") || !strings.Contains(strings.ToLower(req), "ssdp:discover") {
			continue
		}
		ans := "HTTP/1.1 200 OK\r\nCACHE-CONTROL: max-age=1800\r\nEXT:\r\nLOCATION: " + loc +
			"\r\nSERVER: " + server + "\r\nST: upnp:rootdevice\r\nUSN: " + d.UDN() + "::upnp:rootdevice\r\n\r\n"
		_, _ = pc.WriteTo([]byte(ans), from)
	}
}
