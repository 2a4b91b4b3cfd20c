package ip

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"os"
	"strings"
	"syscall"
	"time"
)

// readNeighbours returns the complete IPv4 entries of the kernel's
// neighbour table (ARP cache), MACs normalised.
func readNeighbours() (map[netip.Addr]string, error) {
	b, err := os.ReadFile("/proc/net/arp")
	if err != nil {
		return nil, fmt.Errorf("ip: neighbour table: %w", err)
	}
	return parseARP(string(b)), nil
}

// parseARP parses /proc/net/arp: IP address, HW type, Flags, HW address,
// Mask, Device. Only complete entries (ATF_COM, 0x2) carry a valid MAC.
func parseARP(s string) map[netip.Addr]string {
	out := map[netip.Addr]string{}
	for i, line := range strings.Split(s, "\n") {
		f := strings.Fields(line)
		if i == 0 || len(f) < 4 {
			continue
		}
		a, err := netip.ParseAddr(f[0])
		if err != nil {
			continue
		}
		var flags uint64
		if _, err := fmt.Sscanf(f[2], "0x%x", &flags); err != nil || flags&0x2 == 0 {
			continue
		}
		if mac := normalMAC(f[3]); mac != "" && mac != "00:00:00:00:00:00" {
			out[a] = mac
		}
	}
	return out
}

// Netlink constants (linux/neighbour.h, linux/rtnetlink.h).
const (
	ntfUse  = 0x01
	ndaDst  = 1
	nlmsgHd = 16
)

// resolve asks the kernel to resolve a's link-layer address on the
// interface ifindex: an RTM_NEWNEIGH with NTF_USE makes the kernel send an
// ARP request (a broadcast who-has that the host's network stack answers)
// and nothing else. It needs CAP_NET_ADMIN.
func resolve(ifindex int, a netip.Addr) error {
	if !a.Is4() {
		return fmt.Errorf("ip: resolve %v: IPv4 only", a)
	}
	fd, err := syscall.Socket(syscall.AF_NETLINK, syscall.SOCK_RAW|syscall.SOCK_CLOEXEC, syscall.NETLINK_ROUTE)
	if err != nil {
		return fmt.Errorf("ip: netlink: %w", err)
	}
	defer syscall.Close(fd)
	tv := syscall.NsecToTimeval(int64(time.Second))
	if err := syscall.SetsockoptTimeval(fd, syscall.SOL_SOCKET, syscall.SO_RCVTIMEO, &tv); err != nil {
		return fmt.Errorf("ip: netlink: %w", err)
	}
	if err := syscall.Bind(fd, &syscall.SockaddrNetlink{Family: syscall.AF_NETLINK}); err != nil {
		return fmt.Errorf("ip: netlink: %w", err)
	}
	const size = nlmsgHd + 12 + 8
	msg := make([]byte, size)
	ne := binary.NativeEndian
	ne.PutUint32(msg[0:], size)
	ne.PutUint16(msg[4:], syscall.RTM_NEWNEIGH)
	ne.PutUint16(msg[6:], syscall.NLM_F_REQUEST|syscall.NLM_F_ACK|syscall.NLM_F_CREATE|syscall.NLM_F_REPLACE)
	ne.PutUint32(msg[8:], 1) // sequence
	// struct ndmsg: family, pad, pad, ifindex, state, flags, type.
	msg[16] = syscall.AF_INET
	ne.PutUint32(msg[20:], uint32(int32(ifindex)))
	msg[26] = ntfUse
	// NDA_DST attribute.
	ne.PutUint16(msg[28:], 8)
	ne.PutUint16(msg[30:], ndaDst)
	a4 := a.As4()
	copy(msg[32:], a4[:])
	if err := syscall.Sendto(fd, msg, 0, &syscall.SockaddrNetlink{Family: syscall.AF_NETLINK}); err != nil {
		return fmt.Errorf("ip: netlink: %w", err)
	}
	buf := make([]byte, 4096)
	n, _, err := syscall.Recvfrom(fd, buf, 0)
	if err != nil {
		return fmt.Errorf("ip: netlink: %w", err)
	}
	if n < nlmsgHd+4 || ne.Uint16(buf[4:]) != syscall.NLMSG_ERROR {
		return fmt.Errorf("ip: netlink: unexpected answer")
	}
	if code := int32(ne.Uint32(buf[nlmsgHd:])); code != 0 {
		return fmt.Errorf("ip: netlink: resolve %v: %w", a, syscall.Errno(-code))
	}
	return nil
}
