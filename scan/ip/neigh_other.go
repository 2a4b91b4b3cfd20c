//go:build !linux

package ip

import (
	"errors"
	"net/netip"
)

// readNeighbours is only implemented on Linux; elsewhere hosts carry no
// MAC.
func readNeighbours() (map[netip.Addr]string, error) { return nil, nil }

// resolve is only implemented on Linux.
func resolve(int, netip.Addr) error { return errors.ErrUnsupported }
