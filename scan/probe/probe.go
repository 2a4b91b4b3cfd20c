package probe

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"os"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/biomed-rounds/rounds/inert"
	"github.com/biomed-rounds/rounds/scan"
)

// MaxRead bounds the bytes read from any one response. Device web pages
// put their title near the top; a device that sends more is cut off.
const MaxRead = 64 << 10

// MaxField bounds the length in bytes of any parsed value.
const MaxField = 256

// Sent is told of every request a probe writes, so that the sweep can
// record it in its packet log. what names the request ("http-get /").
type Sent func(what string)

// ErrNotProtocol reports that the peer answered, but not in the protocol
// the probe speaks.
var ErrNotProtocol = errors.New("probe: answer is not in the expected protocol")

// bind makes conn honour ctx: its deadline becomes the connection's, and
// cancellation unblocks any read or write at once. Call the returned
// function when done with conn.
func bind(ctx context.Context, conn net.Conn) (stop func()) {
	if d, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(d)
	}
	s := context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Unix(1, 0)) })
	return func() { s() }
}

// readUntil reads from r until EOF, an error, max bytes, or done reports
// that what was read so far is complete. A timeout after some bytes
// arrived is not an error: the bytes are what the device said.
func readUntil(r io.Reader, max int, done func([]byte) bool) ([]byte, error) {
	var buf []byte
	chunk := make([]byte, 4096)
	for len(buf) < max {
		n, err := r.Read(chunk[:min(len(chunk), max-len(buf))])
		buf = append(buf, chunk[:n]...)
		if done != nil && n > 0 && done(buf) {
			return buf, nil
		}
		if err != nil {
			if errors.Is(err, io.EOF) || (len(buf) > 0 && isTimeout(err)) {
				return buf, nil
			}
			return buf, err
		}
	}
	return buf, nil
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.Is(err, os.ErrDeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout())
}

// raw returns at most scan.MaxRaw bytes of b, copied.
func raw(b []byte) []byte {
	if len(b) > scan.MaxRaw {
		b = b[:scan.MaxRaw]
	}
	return bytes.Clone(b)
}

// Field makes an outside value fit to keep: inert (control characters and
// escape sequences replaced by inert.Mark), spaces collapsed, at most
// MaxField bytes, cut on a rune boundary.
func Field(s string) string {
	if len(s) > 4*MaxField {
		s = s[:4*MaxField] // bound the work on hostile input first
	}
	s = strings.Join(strings.Fields(inert.String(s)), " ")
	if len(s) > MaxField {
		s = s[:MaxField]
		for len(s) > 0 && !utf8.ValidString(s) {
			s = s[:len(s)-1]
		}
	}
	return s
}

// set stores a cleaned value in fields unless it is empty.
func set(fields map[string]string, key, value string) {
	if v := Field(value); v != "" {
		fields[key] = v
	}
}

// writeAll writes b, reporting what was sent first.
func writeAll(conn net.Conn, b []byte, sent Sent, what string) error {
	if sent != nil {
		sent(what)
	}
	_, err := conn.Write(b)
	return err
}
