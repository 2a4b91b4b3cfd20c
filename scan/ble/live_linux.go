//go:build linux

package ble

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	goble "github.com/go-ble/ble"
	"github.com/go-ble/ble/linux"
	"github.com/go-ble/ble/linux/hci"
	"github.com/go-ble/ble/linux/hci/cmd"

	"github.com/biomed-rounds/rounds/scan"
)

// scanUnits converts a duration to scan parameter units of 0.625 ms.
func scanUnits(d time.Duration) uint16 {
	return uint16(d / (625 * time.Microsecond))
}

// connParams are go-ble's default connection parameters. They are set
// again before each connection because go-ble's Dial marks the peer
// address random for a random address and never clears the mark.
var connParams = cmd.LECreateConnection{
	LEScanInterval:     0x0004,
	LEScanWindow:       0x0004,
	ConnIntervalMin:    0x0006,
	ConnIntervalMax:    0x0006,
	SupervisionTimeout: 0x0048,
}

func (l *Live) sweep(ctx context.Context, out chan<- scan.Observation) error {
	iv, win := l.params()
	scanType := uint8(0x00) // passive: no SCAN_REQ is ever sent
	if l.Active {
		scanType = 0x01
	}
	dev, err := linux.NewDevice(
		goble.OptDeviceID(l.Adapter),
		goble.OptScanParams(cmd.LESetScanParameters{
			LEScanType:     scanType,
			LEScanInterval: scanUnits(iv),
			LEScanWindow:   scanUnits(win),
		}),
	)
	if err != nil {
		return openError(err, l.Adapter)
	}
	defer dev.Stop()

	l.stats = LiveStats{}
	room := NewRoom(l.Room)
	em := emitter{update: l.Update}
	reports := make(chan liveReport, 8192)
	var dropped, rejected atomic.Int64
	handler := func(a goble.Advertisement) {
		ga, ok := a.(goAdv)
		if !ok {
			rejected.Add(1)
			return
		}
		reps, ok := fromGoBLE(ga, time.Now())
		if !ok {
			rejected.Add(1)
			return
		}
		for _, r := range reps {
			select {
			case reports <- r:
			default:
				dropped.Add(1)
			}
		}
	}

	scanCtx, cancel := context.WithTimeout(ctx, l.duration())
	defer cancel()
	scanDone := make(chan error, 1)
	go func() { scanDone <- dev.Scan(scanCtx, true, handler) }()
	ticker := time.NewTicker(tick)
	defer ticker.Stop()
	var scanErr error
loop:
	for {
		select {
		case lr := <-reports:
			room.Add(lr.t, &lr.rep)
			l.stats.Reports++
		case <-ticker.C:
			if err := em.emit(ctx, out, room.Snapshot(time.Now()), time.Now(), false); err != nil {
				<-scanDone
				return err
			}
		case scanErr = <-scanDone:
			break loop
		}
	}
	for {
		select {
		case lr := <-reports:
			room.Add(lr.t, &lr.rep)
			l.stats.Reports++
			continue
		default:
		}
		break
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if scanErr != nil && !errors.Is(scanErr, context.DeadlineExceeded) && !errors.Is(scanErr, context.Canceled) {
		// The adapter failed mid-scan: what was heard is delivered, and
		// the sweep is incomplete, so nothing comes out missing.
		l.stats.Addresses = room.Len()
		if err := em.emit(ctx, out, room.Snapshot(time.Now()), time.Now(), true); err != nil {
			return err
		}
		return fmt.Errorf("ble: scanning on hci%d: %w: %w", l.Adapter, scan.ErrIncomplete, scanErr)
	}

	for _, s := range l.ReadDIS {
		if err := ctx.Err(); err != nil {
			return err
		}
		l.readDIS(ctx, dev, room, s)
	}
	l.stats.Dropped = int(dropped.Load())
	l.stats.Malformed = int(rejected.Load())
	l.stats.BadAD = room.BadAD()
	l.stats.Addresses = room.Len()
	if err := em.emit(ctx, out, room.Snapshot(time.Now()), time.Now(), true); err != nil {
		return err
	}
	if n := room.Overflow(); n > 0 {
		return fmt.Errorf("ble: hci%d: %w: more than %d distinct addresses; %d advertisements from further ones ignored", l.Adapter, scan.ErrIncomplete, room.max, n)
	}
	return nil
}

// readDIS reads the Device Information Service of one advertiser seen
// during the scan, bounded by DISTimeout, and attaches the result.
func (l *Live) readDIS(ctx context.Context, dev *linux.Device, room *Room, s string) {
	addr, _ := ParseAddr(s)
	tr := room.addrs[addrKey{addr, false}]
	random := false
	if tr == nil {
		tr, random = room.addrs[addrKey{addr, true}], true
	}
	switch {
	case tr == nil:
		l.notef("DIS %s: not heard during the scan; not connecting", FormatAddr(addr))
		return
	case !tr.connectable:
		l.notef("DIS %s: the device does not accept connections", FormatAddr(addr))
		return
	}
	timeout := l.DISTimeout
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	dctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	values, err := dialDIS(dctx, dev, addr, random)
	if err != nil {
		l.notef("DIS %s: %v", FormatAddr(addr), err)
		return
	}
	room.SetDIS(addr, values)
}

// dialDIS connects, reads the DIS characteristics and disconnects. go-ble's
// client calls take no context, so they run in a goroutine and a timeout
// cancels the connection, which makes them return.
func dialDIS(ctx context.Context, dev *linux.Device, addr [6]byte, random bool) (map[uint16][]byte, error) {
	if err := dev.HCI.SetConnParams(connParams); err != nil {
		return nil, err
	}
	var a goble.Addr = goble.NewAddr(FormatAddr(addr))
	if random {
		a = hci.RandomAddress{Addr: a}
	}
	cl, err := dev.Dial(ctx, a)
	if err != nil {
		return nil, fmt.Errorf("connecting: %w", err)
	}
	type result struct {
		v   map[uint16][]byte
		err error
	}
	done := make(chan result, 1)
	go func() {
		v, err := readDISValues(cl)
		done <- result{v, err}
	}()
	select {
	case r := <-done:
		_ = cl.CancelConnection()
		return r.v, r.err
	case <-ctx.Done():
		_ = cl.CancelConnection()
		<-done // the cancelled connection makes the pending call return
		return nil, fmt.Errorf("timed out: %w", ctx.Err())
	}
}

func readDISValues(cl goble.Client) (map[uint16][]byte, error) {
	svcs, err := cl.DiscoverServices([]goble.UUID{goble.UUID16(DISService)})
	if err != nil {
		return nil, fmt.Errorf("discovering services: %w", err)
	}
	if len(svcs) == 0 {
		return nil, errors.New("no Device Information Service")
	}
	var want []goble.UUID
	for _, c := range DISCharacteristics {
		want = append(want, goble.UUID16(c.UUID))
	}
	chars, err := cl.DiscoverCharacteristics(want, svcs[0])
	if err != nil {
		return nil, fmt.Errorf("discovering characteristics: %w", err)
	}
	values := map[uint16][]byte{}
	for _, c := range chars {
		if c.Property&goble.CharRead == 0 || c.UUID.Len() != 2 {
			continue
		}
		v, err := cl.ReadCharacteristic(c)
		if err != nil {
			continue // one unreadable value does not spoil the others
		}
		values[uint16(c.UUID[0])|uint16(c.UUID[1])<<8] = v
	}
	return values, nil
}

// openError turns go-ble's adapter errors into ones that say what to do.
func openError(err error, adapter int) error {
	errno := causeErrno(err)
	msg := err.Error()
	hciN := fmt.Sprintf("hci%d", adapter)
	switch {
	case errno == syscall.EPERM || errno == syscall.EACCES:
		return fmt.Errorf("%w %s: live scanning needs root or CAP_NET_ADMIN (sudo setcap cap_net_admin+eip $(command -v rounds)), and BlueZ must release the adapter (sudo systemctl stop bluetooth, or sudo hciconfig %s down): %v",
			ErrPermission, hciN, hciN, err)
	case errno == syscall.EBUSY || errno == syscall.EALREADY:
		return fmt.Errorf("%w: %s is held by BlueZ or another program; release it (sudo systemctl stop bluetooth, or sudo hciconfig %s down): %v", ErrBusy, hciN, hciN, err)
	case errno == syscall.ENODEV || errno == syscall.ENXIO || strings.Contains(msg, "no devices available"):
		return fmt.Errorf("%w %s (list adapters with hciconfig -a or btmgmt info; choose one with --adapter): %v", ErrNoAdapter, hciN, err)
	case errno == syscall.EAFNOSUPPORT || errno == syscall.EPROTONOSUPPORT:
		return fmt.Errorf("%w: this kernel has no Bluetooth support: %v", ErrNoAdapter, err)
	}
	return fmt.Errorf("ble: opening %s: %w", hciN, err)
}

// causeErrno finds the errno under go-ble's wrapping (github.com/pkg/errors
// v0.8, which predates Unwrap).
func causeErrno(err error) syscall.Errno {
	for err != nil {
		var errno syscall.Errno
		if errors.As(err, &errno) {
			return errno
		}
		c, ok := err.(interface{ Cause() error })
		if !ok {
			return 0
		}
		next := c.Cause()
		if next == err {
			return 0
		}
		err = next
	}
	return 0
}
