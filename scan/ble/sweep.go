package ble

import (
	"context"
	"errors"
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
	// Addresses is the number of distinct device addresses heard.
	Addresses int `json:"addresses"`
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

// Sweep replays the capture, sending observations on out. A damaged tail
// ends the replay early without error (see Stats); a file that is not a
// readable btsnoop capture is an error naming it.
func (p *Replay) Sweep(ctx context.Context, out chan<- scan.Observation) error {
	f, err := os.Open(p.Path)
	if err != nil {
		return fmt.Errorf("ble replay: %w", err)
	}
	defer f.Close()
	rd, err := btsnoop.NewReader(f)
	if err != nil {
		return fmt.Errorf("ble replay %s: %w", p.Path, err)
	}
	sleep, now := p.sleep, p.now
	if sleep == nil {
		sleep = sleepCtx
	}
	if now == nil {
		now = time.Now
	}
	p.stats = ReplayStats{}
	room := NewRoom(p.Room)
	p.room = room
	em := emitter{update: p.Update}
	var dec Decoder
	var cur time.Time
	add := func(r *Report) { room.Add(cur, r) }
	var first, lastTick time.Time
	wall := now()
	dl := rd.Datalink()
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		rec, err := rd.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			if errors.Is(err, btsnoop.ErrTruncated) || errors.Is(err, btsnoop.ErrTooLarge) {
				p.stats.Damaged, p.stats.Damage = true, err.Error()
				break
			}
			return fmt.Errorf("ble replay %s: %w", p.Path, err)
		}
		p.stats.Records++
		evt, ok := rec.Event(dl)
		if !ok {
			continue
		}
		cur = rec.Time()
		if first.IsZero() {
			first, lastTick = cur, cur
		}
		if !p.Fast {
			if d := cur.Sub(first) - now().Sub(wall); d > time.Millisecond {
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
	return em.emit(ctx, out, room.Snapshot(cur), cur, true)
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
