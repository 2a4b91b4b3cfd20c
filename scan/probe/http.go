package probe

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"html"
	"io"
	"net"
	"net/http"
	"net/textproto"
	"strconv"
	"strings"

	"github.com/biomed-rounds/rounds/scan"
)

// userAgent names the tool in every request so that a device's log says
// who asked.
const userAgent = "rounds-inventory/1 (biomed floor round; GET only)"

// HTTPHead is what ParseHTTP learns from a response.
type HTTPHead struct {
	Status int
	// Header holds the response header fields.
	Header http.Header
	// Body is the part of the body that was read, de-chunked when the
	// response was chunked.
	Body []byte
}

// ParseHTTP parses a response as read from the wire: status line, header
// and as much of the body as raw holds. It never fails on a truncated
// body, only on a head that is not HTTP.
func ParseHTTP(raw []byte) (HTTPHead, error) {
	if !bytes.HasPrefix(raw, []byte("HTTP/")) {
		return HTTPHead{}, ErrNotProtocol
	}
	resp, err := http.ReadResponse(bufio.NewReader(bytes.NewReader(raw)), nil)
	if err != nil {
		return HTTPHead{}, fmt.Errorf("%w: %v", ErrNotProtocol, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, MaxRead)) // a truncated body is fine
	return HTTPHead{Status: resp.StatusCode, Header: resp.Header, Body: body}, nil
}

// Title returns the content of the first <title> element of an HTML page,
// entities decoded, or "".
func Title(body []byte) string {
	lower := bytes.ToLower(body)
	i := bytes.Index(lower, []byte("<title"))
	if i < 0 {
		return ""
	}
	j := bytes.IndexByte(lower[i:], '>')
	if j < 0 {
		return ""
	}
	start := i + j + 1
	end := bytes.Index(lower[start:], []byte("</title"))
	if end < 0 {
		end = min(len(body)-start, 4*MaxField)
	}
	return html.UnescapeString(string(body[start : start+end]))
}

// httpFields turns a parsed response into fingerprint fields.
func httpFields(h HTTPHead) map[string]string {
	f := map[string]string{"status": strconv.Itoa(h.Status)}
	set(f, "server", h.Header.Get("Server"))
	set(f, "title", Title(h.Body))
	set(f, "location", h.Header.Get("Location"))
	if auth := h.Header.Get("WWW-Authenticate"); auth != "" {
		// The realm often names the device ("Basic realm="Infusion pump"").
		if _, realm, ok := strings.Cut(auth, `realm="`); ok {
			realm, _, _ = strings.Cut(realm, `"`)
			set(f, "realm", realm)
		}
	}
	return f
}

// complete reports whether an HTTP response read so far is enough: the
// head has ended and either the declared body has arrived or the page
// title has.
func complete(b []byte) bool {
	end := bytes.Index(b, []byte("\r\n\r\n"))
	if end < 0 {
		return false
	}
	body := b[end+4:]
	if bytes.Contains(bytes.ToLower(body), []byte("</title")) {
		return true
	}
	tp := textproto.NewReader(bufio.NewReader(bytes.NewReader(b[:end+4])))
	if _, err := tp.ReadLine(); err != nil {
		return false
	}
	h, err := tp.ReadMIMEHeader()
	if err != nil {
		return false
	}
	n, err := strconv.Atoi(h.Get("Content-Length"))
	return err == nil && len(body) >= n
}

// get sends one HTTP/1.0 GET and reads the response, bounded.
func get(conn net.Conn, host, path string, sent Sent) ([]byte, error) {
	req := "GET " + path + " HTTP/1.0\r\nHost: " + host + "\r\nUser-Agent: " + userAgent +
		"\r\nAccept: */*\r\nConnection: close\r\n\r\n"
	if err := writeAll(conn, []byte(req), sent, "http-get "+path); err != nil {
		return nil, err
	}
	return readUntil(conn, MaxRead, complete)
}

// HTTP fetches path from the web server on conn and returns its Server
// header, page title, authentication realm and redirect target. host is
// the Host header to send (the address, as the sweep never uses names).
func HTTP(ctx context.Context, conn net.Conn, host, path string, sent Sent) (scan.Fingerprint, error) {
	defer bind(ctx, conn)()
	b, err := get(conn, host, path, sent)
	fp := scan.Fingerprint{Kind: "http", Raw: raw(b)}
	if len(b) == 0 {
		return fp, fmtErr("http", err)
	}
	h, perr := ParseHTTP(b)
	if perr != nil {
		return fp, perr
	}
	fp.Fields = httpFields(h)
	return fp, nil
}

// HTTPS does the TLS handshake on conn (any certificate is accepted: the
// point is to read it, not to trust it), records the certificate's subject
// and issuer, then fetches path as HTTP does.
func HTTPS(ctx context.Context, conn net.Conn, host, path string, sent Sent) (scan.Fingerprint, error) {
	defer bind(ctx, conn)()
	fp := scan.Fingerprint{Kind: "http", Fields: map[string]string{}}
	tc := tls.Client(conn, &tls.Config{
		InsecureSkipVerify: true, //nolint:gosec // fingerprinting reads the certificate, it does not trust it
		MinVersion:         tls.VersionTLS10,
	})
	if sent != nil {
		sent("tls-client-hello")
	}
	if err := tc.HandshakeContext(ctx); err != nil {
		return fp, fmt.Errorf("probe: tls handshake: %w", err)
	}
	st := tc.ConnectionState()
	fp.Fields["tls"] = tls.VersionName(st.Version)
	if len(st.PeerCertificates) > 0 {
		certFields(fp.Fields, st.PeerCertificates[0])
	}
	b, err := get(tc, host, path, sent)
	fp.Raw = raw(b)
	if len(b) == 0 {
		return fp, fmtErr("https", err)
	}
	h, err := ParseHTTP(b)
	if err != nil {
		return fp, err
	}
	for k, v := range httpFields(h) {
		fp.Fields[k] = v
	}
	return fp, nil
}

// certFields records who a device's certificate names. IEEE 802.1AR
// device identity certificates carry the serial number in the subject's
// serialNumber attribute.
func certFields(f map[string]string, c *x509.Certificate) {
	set(f, "cert_subject", c.Subject.String())
	set(f, "cert_issuer", c.Issuer.String())
	set(f, "cert_serial_number", c.Subject.SerialNumber)
	if len(c.Subject.Organization) > 0 {
		set(f, "cert_organization", c.Subject.Organization[0])
	}
	set(f, "cert_not_after", c.NotAfter.UTC().Format("2006-01-02"))
}

func fmtErr(kind string, err error) error {
	if err == nil {
		return fmt.Errorf("probe: %s: empty answer", kind)
	}
	return fmt.Errorf("probe: %s: %w", kind, err)
}
