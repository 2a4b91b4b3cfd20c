package probe

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net"
	"net/netip"
	"net/textproto"
	"net/url"
	"strconv"
	"strings"

	"github.com/biomed-rounds/rounds/scan"
)

// SSDPPort is the UDP port UPnP devices answer M-SEARCH on.
const SSDPPort = 1900

// maxSSDP bounds an SSDP answer: one datagram, headers only.
const maxSSDP = 2048

// SSDPSearch returns the unicast M-SEARCH for the host at hostport (UPnP
// Device Architecture 2.0, 1.3.2): HOST names the device itself and no MX
// is given, so the device answers at once and only to us.
func SSDPSearch(hostport string) []byte {
	return []byte("M-SEARCH * HTTP/1.1\r\n" +
		"HOST: " + hostport + "\r\n" +
		"MAN: \"ssdp:discover\"\r\n" +
		"ST: upnp:rootdevice\r\n" +
		"USER-AGENT: rounds/1 UPnP/2.0 rounds/1\r\n\r\n")
}

// SSDPAnswer is the identity part of an answer to M-SEARCH.
type SSDPAnswer struct {
	// Location is the URL of the root device description, as sent.
	Location string
	Server   string
	USN      string
	ST       string
}

// ParseSSDP parses an answer to M-SEARCH ("HTTP/1.1 200 OK" and headers).
// Values are cleaned by Field.
func ParseSSDP(b []byte) (SSDPAnswer, error) {
	if len(b) > maxSSDP {
		b = b[:maxSSDP]
	}
	var a SSDPAnswer
	tr := textproto.NewReader(bufio.NewReader(bytes.NewReader(b)))
	line, err := tr.ReadLine()
	if err != nil {
		return a, fmt.Errorf("%w: ssdp: %v", ErrNotProtocol, err)
	}
	f := strings.Fields(line)
	if len(f) < 2 || !strings.HasPrefix(f[0], "HTTP/1.") || f[1] != "200" {
		return a, fmt.Errorf("%w: ssdp: status line %q", ErrNotProtocol, Field(line))
	}
	h, err := tr.ReadMIMEHeader()
	if err != nil && len(h) == 0 {
		return a, fmt.Errorf("%w: ssdp: %v", ErrNotProtocol, err)
	}
	a = SSDPAnswer{Location: Field(h.Get("Location")), Server: Field(h.Get("Server")),
		USN: Field(h.Get("Usn")), ST: Field(h.Get("St"))}
	if a.Location == "" {
		return a, fmt.Errorf("%w: ssdp: answer has no LOCATION", ErrNotProtocol)
	}
	return a, nil
}

// Fields returns the answer as fingerprint fields.
func (a SSDPAnswer) Fields() map[string]string {
	f := map[string]string{}
	set(f, "location", a.Location)
	set(f, "server", a.Server)
	set(f, "usn", a.USN)
	set(f, "st", a.ST)
	return f
}

// Description says where a LOCATION points, and whether the sweep may
// follow it.
type Description struct {
	Addr netip.Addr
	Port int
	// Path is the request target, query included.
	Path string
}

// ParseLocation checks a LOCATION against the host that answered. A device
// can name any address, so the description is followed only over plain
// HTTP, to an IP literal equal to answered (a name would need a DNS query
// and could point anywhere), with an explicit or default port. The error
// says why a LOCATION is not followed.
func ParseLocation(loc string, answered netip.Addr) (Description, error) {
	u, err := url.Parse(loc)
	if err != nil {
		return Description{}, fmt.Errorf("probe: ssdp: LOCATION is not a URL: %v", err)
	}
	if u.Scheme != "http" {
		return Description{}, fmt.Errorf("probe: ssdp: LOCATION scheme %q is not http", Field(u.Scheme))
	}
	if u.User != nil {
		return Description{}, fmt.Errorf("probe: ssdp: LOCATION carries credentials")
	}
	a, err := netip.ParseAddr(u.Hostname())
	if err != nil {
		return Description{}, fmt.Errorf("probe: ssdp: LOCATION host %q is not an address", Field(u.Hostname()))
	}
	if a.Unmap() != answered.Unmap() {
		return Description{}, fmt.Errorf("probe: ssdp: LOCATION names %v, not the answering host %v", a, answered)
	}
	port := 80
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			return Description{}, fmt.Errorf("probe: ssdp: LOCATION port %q", Field(p))
		}
		port = n
	}
	path := u.RequestURI()
	if path == "" || path[0] != '/' {
		path = "/" + strings.TrimLeft(path, "/")
	}
	return Description{Addr: a.Unmap(), Port: port, Path: path}, nil
}

// SSDP sends one unicast M-SEARCH on conn (a UDP socket connected to the
// device's port 1900, so that only the device's own answer is read) and
// parses the first answer. It never retries.
func SSDP(ctx context.Context, conn net.Conn, hostport string, sent Sent) (scan.Fingerprint, SSDPAnswer, error) {
	defer bind(ctx, conn)()
	fp := scan.Fingerprint{Kind: "ssdp"}
	if err := writeAll(conn, SSDPSearch(hostport), sent, "ssdp-msearch"); err != nil {
		return fp, SSDPAnswer{}, fmt.Errorf("probe: ssdp: %w", err)
	}
	buf := make([]byte, maxSSDP)
	n, err := conn.Read(buf)
	if err != nil {
		return fp, SSDPAnswer{}, fmt.Errorf("probe: ssdp: %w", err)
	}
	fp.Raw = raw(buf[:n])
	a, err := ParseSSDP(buf[:n])
	if err != nil {
		return fp, a, err
	}
	fp.Fields = a.Fields()
	return fp, a, nil
}
