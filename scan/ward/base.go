package ward

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"sync"
	"syscall"
)

// Base is a 127.B.0.0/16 block of loopback addresses a ward lives in.
// Tests derive every address they listen on from a Base rather than from
// fixed literals, so two test processes on one machine (two checkouts, CI
// and a developer) never ask for the same address and port.
type Base struct{ b byte }

// The second octet of a random base is drawn from [baseLow, baseHigh]:
// clear of 127.0.x (the usual loopback services) and of 127.77.x (the
// demo's fixed range).
const (
	baseLow  = 100
	baseHigh = 250
	// startTries bounds how many bases StartFree tries.
	startTries = 8
)

var (
	baseMu  sync.Mutex
	current = randomBase(0)
)

// randomBase returns a base in range other than not (0: any).
func randomBase(not byte) Base {
	for {
		b := byte(baseLow + rand.IntN(baseHigh-baseLow+1))
		if b != not {
			return Base{b}
		}
	}
}

// Current returns the process-wide base: picked at random once per
// process, and moved by StartFree when its addresses are taken.
func Current() Base {
	baseMu.Lock()
	defer baseMu.Unlock()
	return current
}

// repick moves the process-wide base away from old, unless another ward
// has moved it already, and returns the base to try next.
func repick(old Base) Base {
	baseMu.Lock()
	defer baseMu.Unlock()
	if current == old {
		current = randomBase(old.b)
	}
	return current
}

// Octet returns B, the base's second octet.
func (b Base) Octet() byte { return b.b }

// Prefix returns the whole block, 127.B.0.0/16.
func (b Base) Prefix() netip.Prefix {
	return netip.PrefixFrom(netip.AddrFrom4([4]byte{127, b.b, 0, 0}), 16)
}

// Net returns the segment 127.B.n.0/24.
func (b Base) Net(n byte) netip.Prefix {
	return netip.PrefixFrom(netip.AddrFrom4([4]byte{127, b.b, n, 0}), 24)
}

// Addr returns the address 127.B.n.m.
func (b Base) Addr(n, m byte) netip.Addr { return netip.AddrFrom4([4]byte{127, b.b, n, m}) }

// String returns the block in CIDR notation.
func (b Base) String() string { return b.Prefix().String() }

// Net returns the segment 127.B.n.0/24 of the process-wide base. A test
// that started a ward should use that ward's Base instead, which stays
// put when another ward moves the process-wide base.
func Net(n byte) netip.Prefix { return Current().Net(n) }

// Addr returns 127.B.n.m on the process-wide base (see Net).
func Addr(n, m byte) netip.Addr { return Current().Addr(n, m) }

// ErrBusy reports that StartFree found every base it tried taken.
var ErrBusy = errors.New("ward: loopback addresses busy on every base tried")

// StartFree starts the ward build returns for the process-wide base. When
// an address or port is already in use (another test process, or another
// ward of this one), it moves the process-wide base and builds and starts
// again, a bounded number of times. The ward's Base tells the caller
// where it landed.
func StartFree(ctx context.Context, build func(Base) Config) (*Ward, error) {
	b := Current()
	var last error
	for range startTries {
		w, err := Start(ctx, build(b))
		if err == nil {
			w.base = b
			return w, nil
		}
		if !errors.Is(err, syscall.EADDRINUSE) {
			return nil, err
		}
		last = err
		b = repick(b)
	}
	return nil, fmt.Errorf("%w (%d tries): %w", ErrBusy, startTries, last)
}

// Base returns the base the ward was started on by StartFree (the zero
// Base, 127.0.0.0/16, after a plain Start).
func (w *Ward) Base() Base { return w.base }
