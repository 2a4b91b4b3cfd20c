//go:build !linux

package ip

import (
	"context"
	"errors"
	"net/netip"
)

var errNoPing = errors.New("ip: ICMP echo is only implemented on Linux")

func pingAvailable() bool { return false }

func echo(context.Context, netip.Addr, uint16) (bool, error) { return false, errNoPing }
