package store

import (
	"context"
	"errors"
	"slices"
	"testing"
)

func TestFeedState(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	if v, ok, err := s.FeedMark(ctx, "csaf:p"); err != nil || ok || v != "" {
		t.Fatalf("absent mark: %q %v %v", v, ok, err)
	}
	err := s.Write(ctx, "test", func(w *Writer) error {
		if err := w.SetFeedMark("csaf:p", "2024-01-02T06:00:00Z"); err != nil {
			return err
		}
		if err := w.SetFeedMark("csaf:p", "2024-02-01T06:00:00Z"); err != nil { // replaces
			return err
		}
		if err := w.PutFeedItem(FeedItem{Feed: "csaf:p", Item: "u1", Stamp: "s1", Outcome: "refused", Reason: "hash mismatch"}); err != nil {
			return err
		}
		if err := w.PutFeedItem(FeedItem{Feed: "csaf:p", Item: "u1", Stamp: "s2", Outcome: "imported", DocID: "ICSMA-1"}); err != nil {
			return err
		}
		return w.PinFeedKeys("p", []string{"BB", "AA"})
	})
	if err != nil {
		t.Fatal(err)
	}
	if v, ok, _ := s.FeedMark(ctx, "csaf:p"); !ok || v != "2024-02-01T06:00:00Z" {
		t.Errorf("mark %q %v", v, ok)
	}
	items, err := s.FeedItems(ctx, "csaf:p")
	if err != nil || len(items) != 1 || items["u1"].Stamp != "s2" || items["u1"].Outcome != "imported" || items["u1"].Reason != "" || items["u1"].At.IsZero() {
		t.Errorf("items %+v %v", items, err)
	}
	if other, _ := s.FeedItems(ctx, "csaf:q"); len(other) != 0 {
		t.Errorf("another feed's ledger: %v", other)
	}
	if pins, _ := s.FeedPins(ctx, "p"); !slices.Equal(pins, []string{"AA", "BB"}) {
		t.Errorf("pins %v", pins)
	}

	// A failed transaction leaves the ledger and the pins as they were.
	boom := errors.New("boom")
	err = s.Write(ctx, "test", func(w *Writer) error {
		if err := w.PinFeedKeys("p", []string{"CC"}); err != nil {
			return err
		}
		if err := w.PutFeedItem(FeedItem{Feed: "csaf:p", Item: "u2", Outcome: "imported"}); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatal(err)
	}
	if pins, _ := s.FeedPins(ctx, "p"); !slices.Equal(pins, []string{"AA", "BB"}) {
		t.Errorf("pins after rollback %v", pins)
	}
	if items, _ := s.FeedItems(ctx, "csaf:p"); len(items) != 1 {
		t.Errorf("items after rollback %v", items)
	}
	if err := s.Write(ctx, "test", func(w *Writer) error { return w.DeleteFeedMark("csaf:p") }); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := s.FeedMark(ctx, "csaf:p"); ok {
		t.Error("mark still there after delete")
	}
}
