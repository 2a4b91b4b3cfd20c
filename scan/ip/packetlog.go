package ip

import (
	"fmt"
	"io"
	"net/netip"
	"sync"
	"time"
)

// packetLog records every probe the sweep sends, one line each:
//
//	2026-03-02T09:14:07.123456Z	10.20.30.41	443	tcp-connect
//
// time (RFC 3339, UTC, microseconds), target, port (0 for ICMP and ARP),
// and what was sent. A write error stops the sweep: a probe that cannot
// be logged is not sent.
type packetLog struct {
	mu  sync.Mutex
	w   io.Writer
	err error
}

func (l *packetLog) record(a netip.Addr, port int, what string) error {
	if l == nil || l.w == nil {
		return nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.err != nil {
		return l.err
	}
	_, err := fmt.Fprintf(l.w, "%s\t%s\t%d\t%s\n", time.Now().UTC().Format("2006-01-02T15:04:05.000000Z07:00"), a, port, what)
	if err != nil {
		l.err = fmt.Errorf("ip: packet log: %w", err)
	}
	return l.err
}
