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
	"github.com/biomed-rounds/rounds/sync/transport"
)

// Client builds a transport client from tc with a private copy of the
// default round tripper, so that its idle connections are closed when the
// test ends and no connection outlives the fake server.
func Client(t testing.TB, tc transport.Config) *transport.Client {
	t.Helper()
	tr := http.DefaultTransport.(*http.Transport).Clone()
	t.Cleanup(tr.CloseIdleConnections)
	tc.RoundTripper = tr
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
