package ip

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"syscall"
	"time"
)

// errNoPing reports that the OS does not give this process ping sockets
// (net.ipv4.ping_group_range excludes its group).
var errNoPing = errors.New("ip: unprivileged ICMP echo not allowed (net.ipv4.ping_group_range)")

// pingSocket opens an unprivileged ICMP socket (SOCK_DGRAM, IPPROTO_ICMP):
// the kernel sets the identifier and delivers only this socket's replies.
func pingSocket() (net.PacketConn, error) {
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_DGRAM|syscall.SOCK_CLOEXEC|syscall.SOCK_NONBLOCK, syscall.IPPROTO_ICMP)
	if err != nil {
		if errors.Is(err, syscall.EACCES) || errors.Is(err, syscall.EPERM) || errors.Is(err, syscall.EPROTONOSUPPORT) {
			return nil, errNoPing
		}
		return nil, fmt.Errorf("ip: icmp socket: %w", err)
	}
	f := os.NewFile(uintptr(fd), "icmp")
	defer f.Close()
	c, err := net.FilePacketConn(f)
	if err != nil {
		return nil, fmt.Errorf("ip: icmp socket: %w", err)
	}
	return c, nil
}

// pingAvailable reports whether ping sockets can be had.
func pingAvailable() bool {
	c, err := pingSocket()
	if err != nil {
		return false
	}
	_ = c.Close()
	return true
}

// echo sends one ICMP echo request to a and reports whether it answered
// before ctx's deadline.
func echo(ctx context.Context, a netip.Addr, seq uint16) (bool, error) {
	c, err := pingSocket()
	if err != nil {
		return false, err
	}
	defer c.Close()
	if d, ok := ctx.Deadline(); ok {
		_ = c.SetDeadline(d)
	}
	stop := context.AfterFunc(ctx, func() { _ = c.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	msg := []byte{8, 0, 0, 0, 0, 0, byte(seq >> 8), byte(seq), 'r', 'o', 'u', 'n', 'd', 's'}
	cs := checksum(msg)
	msg[2], msg[3] = byte(cs>>8), byte(cs)
	dst := &net.UDPAddr{IP: a.AsSlice()}
	if _, err := c.WriteTo(msg, dst); err != nil {
		return false, err
	}
	buf := make([]byte, 512)
	for {
		n, from, err := c.ReadFrom(buf)
		if err != nil {
			if ctx.Err() != nil || isTimeout(err) {
				return false, nil
			}
			return false, err
		}
		ua, ok := from.(*net.UDPAddr)
		if !ok || !ua.IP.Equal(dst.IP) || n < 8 {
			continue
		}
		if buf[0] == 0 && uint16(buf[6])<<8|uint16(buf[7]) == seq {
			return true, nil
		}
	}
}

func checksum(b []byte) uint16 {
	var s uint32
	for i := 0; i+1 < len(b); i += 2 {
		s += uint32(b[i])<<8 | uint32(b[i+1])
	}
	if len(b)%2 == 1 {
		s += uint32(b[len(b)-1]) << 8
	}
	for s>>16 != 0 {
		s = s&0xffff + s>>16
	}
	return ^uint16(s)
}
