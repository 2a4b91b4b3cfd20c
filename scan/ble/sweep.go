package ble

import (
	"context"
	"fmt"
	"hash/fnv"
	"io"
	"os"
	"strings"
	"time"

	"github.com/biomed-rounds/rounds/scan"
	"github.com/biomed-rounds/rounds/scan/btsnoop"
)

// tick is how often, in capture or wall time, the sources look for new or
// changed advertisers to report: often enough for a person watching the
// list, rarely enough that a ward of tags costs little (see
// BenchmarkWardSecond).
const tick = time.Second

// emitter sends observations that changed since they were last sent.
type emitter struct {
	// update, when positive, also resends an advertiser whose RSSI
	// statistics changed, at most this often; zero sends those changes
	// only in the final flush.
	update time.Duration
	sent   map[string]sentState
}

type sentState struct {
	sig   uint64
	count int
	at    time.Time
}

// significant hashes what makes a change worth reporting at once: the
// placement, identity and payload shape, not the signal statistics.
func significant(o *scan.Observation) uint64 {
	h := fnv.New64a()
	b := o.BLE
	fmt.Fprintf(h, "%s|%s|%s|%d|%v|%s|%v|%d|%v|%d", b.Placement, b.Name, b.Address, len(b.Addresses),
		b.Connectable, strings.Join(b.Services, ","), o.Hints, len(o.Fingerprints), b.TxPower != nil, b.Appearance)
	for _, m := range b.ManufacturerData {
		fmt.Fprintf(h, "|m%04x", m.CompanyID)
	}
	for _, s := range b.ServiceData {
		fmt.Fprintf(h, "|s%s", s.UUID)
	}
	return h.Sum64()
}

func (e *emitter) emit(ctx context.Context, out chan<- scan.Observation, obs []scan.Observation, now time.Time, final bool) error {
	if e.sent == nil {
		e.sent = make(map[string]sentState)
	}
	for i := range obs {
		o := &obs[i]
		k := o.Key()
		sig := significant(o)
		prev, seen := e.sent[k]
		switch {
		case !seen || prev.sig != sig:
		case prev.count == o.BLE.Count:
			continue
		case final:
		case e.update > 0 && now.Sub(prev.at) >= e.update:
		default:
			continue
		}
		select {
		case out <- *o:
		case <-ctx.Done():
			return ctx.Err()
		}
		e.sent[k] = sentState{sig: sig, count: o.BLE.Count, at: now}
	}
	return nil
}

// ReplayStats reports what a replay read and skipped.
type ReplayStats struct {
	Stats
	// Records is the number of btsnoop records read.
	Records int `json:"records"`
	// Damaged is set when reading stopped at a damaged record (cut short,
	// or with a length beyond any HCI packet); Damage describes it.
	Damaged bool   `json:"damaged,omitempty"`
	Damage  string `json:"damage,omitempty"`
	// Addresses is the number of distinct device addresses tracked.
	Addresses int `json:"addresses"`
	// Overflow counts advertisements ignored because the sweep already
	// tracked RoomConfig.MaxAdvertisers addresses.
	Overflow int `json:"overflow,omitempty"`
}

// Replay is a Sweeper that replays the advertisements of a btsnoop
// capture.
type Replay struct {
	// Path is the capture file.
	Path string
	// Fast replays as fast as possible and reports each advertiser once,
	// at the end; otherwise records are replayed at capture pace and
	// advertisers are reported as they appear or change.
	Fast bool
	// Room configures the aggregation and the room gate.
	Room RoomConfig
	// Update, when positive, also reports RSSI changes of an advertiser at
	// most this often (capture time).
	Update time.Duration

	// now and sleep are the clock; tests replace them.
	now   func() time.Time
	sleep func(ctx context.Context, d time.Duration) error
	stats ReplayStats
	room  *Room
}

// Stats returns what the last Sweep read and skipped.
func (p *Replay) Stats() ReplayStats { return p.stats }

// Aggregate returns the aggregation of the last Sweep.
func (p *Replay) Aggregate() *Room { return p.room }

// maxStep bounds the capture time one record may advance the paced
// replay: a capture's clock can jump (a record stamped zero, a huge or
// backwards timestamp, a capture paused for hours); replaying such a jump
// at capture pace would hang.
const maxStep = 5 * time.Second

// Sweep replays the capture, sending observations on out. A damaged
// record ends the replay early, and a capture whose header cannot be read
// yields nothing: both return an error wrapping scan.ErrIncomplete after
// delivering what was read, so that the room's expected devices come out
// unverified (see Stats). So does a capture with more distinct addresses
// than RoomConfig.MaxAdvertisers. A file that cannot be opened is an
// error naming it.
func (p *Replay) Sweep(ctx context.Context, out chan<- scan.Observation) error {
	f, err := os.Open(p.Path)
	if err != nil {
		return fmt.Errorf("ble replay: %w", err)
	}
	defer f.Close()
	p.stats = ReplayStats{}
	rd, err := btsnoop.NewReader(f)
	if err != nil {
		p.stats.Damaged, p.stats.Damage = true, err.Error()
		return fmt.Errorf("ble replay %s: %w: %w", p.Path, scan.ErrIncomplete, err)
	}
	sleep, now := p.sleep, p.now
	if sleep == nil {
		sleep = sleepCtx
	}
	if now == nil {
		now = time.Now
	}
	room := NewRoom(p.Room)
	p.room = room
	em := emitter{update: p.Update}
	var dec Decoder
	// cur is the replay's own clock: it starts at the first record's time
	// and advances by each record's step, clamped to [0, maxStep], so that
	// it never goes backwards and never jumps.
	var cur, prev, lastTick time.Time
	var elapsed time.Duration
	add := func(r *Report) { room.Add(cur, r) }
	started := false
	wall := now()
	dl := rd.Datalink()
	var incomplete error
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		rec, err := rd.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			p.stats.Damaged, p.stats.Damage = true, err.Error()
			incomplete = err
			break
		}
		p.stats.Records++
		evt, ok := rec.Event(dl)
		if !ok {
			continue
		}
		t := rec.Time()
		if !started {
			started, cur, prev, lastTick = true, t, t, t
		} else {
			step := t.Sub(prev)
			prev = t
			if step < 0 || step > maxStep {
				step = 0
			}
			cur = cur.Add(step)
			elapsed += step
		}
		if !p.Fast {
			if d := elapsed - now().Sub(wall); d > time.Millisecond {
				if err := sleep(ctx, d); err != nil {
					return err
				}
			}
		}
		dec.Event(evt, add)
		if !p.Fast && cur.Sub(lastTick) >= tick {
			lastTick = cur
			if err := em.emit(ctx, out, room.Snapshot(cur), cur, false); err != nil {
				return err
			}
		}
	}
	p.stats.Stats = dec.Stats
	p.stats.BadAD = room.BadAD()
	p.stats.Addresses = room.Len()
	p.stats.Overflow = room.Overflow()
	if err := em.emit(ctx, out, room.Snapshot(cur), cur, true); err != nil {
		return err
	}
	switch {
	case incomplete != nil:
		return fmt.Errorf("ble replay %s: %w: reading stopped at a damaged record after %d records: %w", p.Path, scan.ErrIncomplete, p.stats.Records, incomplete)
	case p.stats.Overflow > 0:
		return fmt.Errorf("ble replay %s: %w: more than %d distinct addresses; %d advertisements from further ones ignored", p.Path, scan.ErrIncomplete, room.max, p.stats.Overflow)
	}
	return nil
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
