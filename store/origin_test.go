package store_test

import (
	"context"
	"net/netip"
	"path/filepath"
	"slices"
	"testing"

	"github.com/biomed-rounds/rounds/store"
)

// TestNeedsConfirm: in a database marked generated, a segment that is not
// loopback needs confirming once; loopback never; an ordinary database
// never asks.
func TestNeedsConfirm(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "r.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	lan := netip.MustParsePrefix("10.0.3.0/24")
	lo := netip.MustParsePrefix("127.1.3.0/24")
	nets := []netip.Prefix{lo, lan, netip.MustParsePrefix("192.168.1.7/24")}
	if got, err := st.NeedsConfirm(ctx, nets); err != nil || len(got) != 0 {
		t.Fatalf("ordinary database: %v %v", got, err)
	}
	if err := st.BulkWrite(ctx, "gen", func(w *store.Writer) error { return w.MarkGenerated("test") }); err != nil {
		t.Fatal(err)
	}
	if g, err := st.Generated(ctx); !g || err != nil {
		t.Fatalf("Generated = %v %v", g, err)
	}
	want := []netip.Prefix{lan, netip.MustParsePrefix("192.168.1.0/24")}
	if got, err := st.NeedsConfirm(ctx, nets); err != nil || !slices.Equal(got, want) {
		t.Fatalf("generated: %v %v, want %v", got, err, want)
	}
	if err := st.ConfirmSegment(ctx, lan); err != nil {
		t.Fatal(err)
	}
	if got, err := st.NeedsConfirm(ctx, nets); err != nil || !slices.Equal(got, want[1:]) {
		t.Fatalf("after confirming %v: %v %v", lan, got, err)
	}
}
