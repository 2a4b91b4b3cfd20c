package probe

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"strings"

	"github.com/biomed-rounds/rounds/scan"
)

// maxBanner bounds a banner read: RFC 4253 caps the SSH identification at
// 255 bytes and lets a server send other lines first; telnet login
// banners are a few lines.
const maxBanner = 2048

// Telnet commands (RFC 854).
const (
	telnetSE   = 240
	telnetSB   = 250
	telnetWILL = 251
	telnetDONT = 254
	telnetIAC  = 255
)

// ParseBanner parses what a server sent on connect, without having been
// sent anything. kind is "ssh", "telnet" or "vnc"; any other kind keeps
// the first line.
func ParseBanner(kind string, b []byte) (map[string]string, error) {
	f := map[string]string{}
	switch kind {
	case "ssh":
		// The identification is the first line starting "SSH-":
		// SSH-protoversion-softwareversion SP comments CR LF.
		for _, line := range bytes.Split(b, []byte("\n")) {
			l := strings.TrimRight(string(line), "\r")
			if !strings.HasPrefix(l, "SSH-") {
				continue
			}
			set(f, "banner", l)
			id, comments, _ := strings.Cut(l, " ")
			parts := strings.SplitN(id, "-", 3)
			if len(parts) == 3 {
				set(f, "protoversion", parts[1])
				set(f, "softwareversion", parts[2])
			}
			set(f, "comments", comments)
			return f, nil
		}
		return f, fmt.Errorf("%w: ssh: no identification line", ErrNotProtocol)
	case "telnet":
		text := stripTelnet(b)
		var lines []string
		for _, l := range strings.Split(string(text), "\n") {
			// Telnet ends lines with CR LF or CR NUL.
			if l = Field(strings.Trim(l, "\r\x00")); l != "" {
				lines = append(lines, l)
			}
		}
		set(f, "banner", strings.Join(lines, " / "))
		return f, nil
	case "vnc":
		// RFB protocol version: "RFB 003.008\n" (RFC 6143 section 7.1.1).
		if len(b) < 12 || !bytes.HasPrefix(b, []byte("RFB ")) {
			return f, fmt.Errorf("%w: vnc: no protocol version", ErrNotProtocol)
		}
		set(f, "version", string(b[4:11]))
		return f, nil
	default:
		line, _, _ := bytes.Cut(b, []byte("\n"))
		set(f, "banner", string(line))
		return f, nil
	}
}

// stripTelnet removes telnet command sequences (IAC ...), keeping the
// text a user would see.
func stripTelnet(b []byte) []byte {
	out := make([]byte, 0, len(b))
	for i := 0; i < len(b); i++ {
		if b[i] != telnetIAC {
			out = append(out, b[i])
			continue
		}
		if i+1 >= len(b) {
			break
		}
		switch c := b[i+1]; {
		case c == telnetIAC:
			out = append(out, telnetIAC)
			i++
		case c == telnetSB:
			// Subnegotiation runs to IAC SE.
			end := bytes.Index(b[i+2:], []byte{telnetIAC, telnetSE})
			if end < 0 {
				return out
			}
			i += 2 + end + 1
		case c >= telnetWILL && c <= telnetDONT:
			i += 2
		default:
			i++
		}
	}
	return out
}

// bannerDone says when a banner read can stop early.
func bannerDone(kind string) func([]byte) bool {
	switch kind {
	case "ssh":
		return func(b []byte) bool {
			return bytes.HasPrefix(b, []byte("SSH-")) && bytes.IndexByte(b, '\n') >= 0 ||
				bytes.Contains(b, []byte("\nSSH-")) && bytes.Count(b, []byte("\n")) >= 2 && bytes.HasSuffix(b, []byte("\n"))
		}
	case "vnc":
		return func(b []byte) bool { return len(b) >= 12 }
	default:
		// Telnet: a prompt ends the banner ("login: ", "Password:").
		return func(b []byte) bool {
			t := bytes.TrimRight(stripTelnet(b), " ")
			return bytes.HasSuffix(t, []byte(":")) || bytes.HasSuffix(t, []byte(">")) ||
				bytes.HasSuffix(t, []byte("#")) || bytes.HasSuffix(t, []byte("$"))
		}
	}
}

// Banner reads what the server on conn sends on connect, sending nothing:
// the SSH identification, the telnet greeting (command sequences are
// read, never answered), or the VNC protocol version.
func Banner(ctx context.Context, conn net.Conn, kind string) (scan.Fingerprint, error) {
	defer bind(ctx, conn)()
	b, err := readUntil(conn, maxBanner, bannerDone(kind))
	fp := scan.Fingerprint{Kind: kind, Raw: raw(b)}
	if len(b) == 0 {
		return fp, fmtErr(kind, err)
	}
	fp.Fields, err = ParseBanner(kind, b)
	return fp, err
}
