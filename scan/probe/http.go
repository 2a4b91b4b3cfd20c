package probe

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"html"
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
// and as much of the body as raw holds, de-chunked when the response says
// it is chunked. It is lenient, as devices are sloppy: bare LF line ends,
// header lines without a colon (skipped), odd bytes in values (kept, for
// Field to make inert). It fails only when raw does not start with an
// HTTP status line.
func ParseHTTP(raw []byte) (HTTPHead, error) {
	var h HTTPHead
	if !bytes.HasPrefix(raw, []byte("HTTP/")) {
		return h, ErrNotProtocol
	}
	head, body, found := bytes.Cut(raw, []byte("\r\n\r\n"))
	if !found {
		head, body, _ = bytes.Cut(raw, []byte("\n\n"))
	}
	lines := strings.Split(strings.ReplaceAll(string(head), "\r\n", "\n"), "\n")
	f := strings.Fields(lines[0])
	if len(f) < 2 || len(f[1]) != 3 {
		return h, fmt.Errorf("%w: status line %q", ErrNotProtocol, Field(lines[0]))
	}
	code, err := strconv.Atoi(f[1])
	if err != nil || code < 100 || code > 999 {
		return h, fmt.Errorf("%w: status line %q", ErrNotProtocol, Field(lines[0]))
	}
	h.Status = code
	h.Header = http.Header{}
	for _, l := range lines[1:] {
		k, v, ok := strings.Cut(l, ":")
		if !ok || k == "" || len(h.Header) >= 100 {
			continue
		}
		h.Header.Add(textproto.CanonicalMIMEHeaderKey(strings.TrimSpace(k)), strings.TrimSpace(v))
	}
	if strings.EqualFold(h.Header.Get("Transfer-Encoding"), "chunked") {
		body = dechunk(body)
	}
	h.Body = body
	return h, nil
}

// dechunk decodes as much of a chunked body as is there.
func dechunk(b []byte) []byte {
	var out []byte
	for len(b) > 0 {
		line, rest, ok := bytes.Cut(b, []byte("\n"))
		if !ok {
			break
		}
		sz, _, _ := strings.Cut(strings.TrimSpace(string(line)), ";")
		n, err := strconv.ParseUint(sz, 16, 32)
		if err != nil || n == 0 {
			break
		}
		if uint64(len(rest)) < n {
			out = append(out, rest...)
			break
		}
		out = append(out, rest[:n]...)
		b = bytes.TrimPrefix(bytes.TrimPrefix(rest[n:], []byte("\r")), []byte("\n"))
	}
	return out
}

// Title returns the content of the first <title> element of an HTML page,
// entities decoded, or "".
func Title(body []byte) string {
	lower := asciiLower(body)
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

// asciiLower lower-cases ASCII letters only, so that indices into the
// result are indices into b (bytes.ToLower rewrites invalid UTF-8 and
// changes the length: a fuzzing find).
func asciiLower(b []byte) []byte {
	out := make([]byte, len(b))
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		out[i] = c
	}
	return out
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
	if bytes.Contains(asciiLower(b[end:]), []byte("</title")) {
		return true
	}
	h, err := ParseHTTP(b)
	if err != nil {
		return true // not HTTP: nothing more to wait for
	}
	n, err := strconv.Atoi(h.Header.Get("Content-Length"))
	return err == nil && len(b)-end-4 >= n
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
		// Classic key exchanges only: the post-quantum hybrid share makes
		// the ClientHello larger than some embedded stacks accept, and costs
		// more than a fingerprint is worth.
		CurvePreferences: []tls.CurveID{tls.X25519, tls.CurveP256, tls.CurveP384},
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
