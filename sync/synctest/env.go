package synctest

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/biomed-rounds/rounds/store"
	"github.com/biomed-rounds/rounds/sync"
	"github.com/biomed-rounds/rounds/sync/transport"
)

// Client builds a transport client from tc. Without a round tripper in
// tc it uses a private copy of the default one, whose idle connections
// are closed when the test ends, so no connection outlives the fake.
func Client(t testing.TB, tc transport.Config) *transport.Client {
	t.Helper()
	if tc.RoundTripper == nil {
		tr := http.DefaultTransport.(*http.Transport).Clone()
		t.Cleanup(tr.CloseIdleConnections)
		tc.RoundTripper = tr
	}
	if tc.Sleep == nil {
		// Tests never wait for real: a retry's back-off only checks the
		// context.
		tc.Sleep = NoSleep
	}
	c, err := transport.New(tc)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// NoSleep is a transport sleep that returns at once unless ctx is done.
func NoSleep(ctx context.Context, _ time.Duration) error { return ctx.Err() }

// Store opens a fresh store in the test's temporary directory and closes
// it when the test ends.
func Store(t testing.TB) *store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "r.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// EnvInt reads a positive integer from the environment variable name, or
// returns def.
func EnvInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

// Local is the laptop side of a connector test: the store and the engine
// syncing it.
type Local struct {
	T     testing.TB
	Store *store.Store
	Eng   *sync.Engine
	// Tick, when set, runs before every edit and sync, to move a virtual
	// clock on so that each lands at its own time.
	Tick func()
}

func (l *Local) tick() {
	if l.Tick != nil {
		l.Tick()
	}
}

// Edit changes the local device tag with fn as a technician would,
// journalled as op.
func (l *Local) Edit(tag string, op store.Op, fn func(*store.Device)) {
	l.T.Helper()
	l.tick()
	if err := l.Store.Write(context.Background(), "tech", func(w *store.Writer) error {
		_, err := w.UpdateDevice(tag, op, func(d *store.Device) error { fn(d); return nil })
		return err
	}); err != nil {
		l.T.Fatal(err)
	}
}

// Device reads the local device tag.
func (l *Local) Device(tag string) store.Device {
	l.T.Helper()
	d, err := l.Store.Device(context.Background(), tag)
	if err != nil {
		l.T.Fatal(err)
	}
	return d
}

// Counts returns the journal's entries by state.
func (l *Local) Counts() map[store.EntryState]int {
	l.T.Helper()
	c, err := l.Store.JournalCounts(context.Background())
	if err != nil {
		l.T.Fatal(err)
	}
	return c
}

// Sync runs one full sync (pull, then push) and fails the test on error.
func (l *Local) Sync() (sync.PullReport, sync.PushReport) {
	l.T.Helper()
	l.tick()
	pr, ps, err := l.Eng.Sync(context.Background(), true, true)
	if err != nil {
		l.T.Fatalf("sync: %v", err)
	}
	return pr, ps
}
