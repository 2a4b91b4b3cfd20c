package store

import (
	"context"
	"errors"
	"testing"
	"time"
)

func seedRooms(t *testing.T, s *Store) {
	t.Helper()
	err := s.Write(context.Background(), "t", func(w *Writer) error {
		for _, r := range []string{"3W-12", "3W-14", "3W-16"} {
			if _, err := w.PutLocation(Location{Building: "MAIN", Floor: "3", Room: r, Barcode: "LOC-" + r}); err != nil {
				return err
			}
		}
		_, err := w.PutLocation(Location{Building: "EAST", Floor: "1", Room: "1E-01"})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestRounds(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	seedRooms(t, s)
	at := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	if _, err := s.ActiveRound(ctx); !errors.Is(err, ErrNotFound) {
		t.Fatalf("active round on empty db: %v", err)
	}
	if _, err := s.CreateRound(ctx, "bad", "", at, []string{"MAIN/3/3W-12", "MAIN/3/NOPE"}); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown room: %v", err)
	}
	var n int
	s.db.QueryRow("SELECT count(*) FROM rounds").Scan(&n)
	if n != 0 {
		t.Fatal("failed round creation left a round")
	}
	keys, err := s.RoomKeys(ctx, "MAIN", "3")
	if err != nil || len(keys) != 3 {
		t.Fatalf("room keys %v %v", keys, err)
	}
	r, err := s.CreateRound(ctx, "wing 3", "tech", at, keys[:2])
	if err != nil {
		t.Fatal(err)
	}
	if err := s.AddRoundRoom(ctx, r.ID, "EAST/1/1E-01"); err != nil {
		t.Fatal(err)
	}
	if err := s.AddRoundRoom(ctx, r.ID, "MAIN/3/3W-12"); err != nil {
		t.Fatal("re-adding a room:", err)
	}
	rooms, err := s.RoundRooms(ctx, r.ID, at)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, rr := range rooms {
		got = append(got, rr.Location.Key)
	}
	if len(got) != 3 || got[0] != "MAIN/3/3W-12" || got[2] != "EAST/1/1E-01" {
		t.Fatalf("rooms %v", got)
	}
	active, err := s.ActiveRound(ctx)
	if err != nil || active.ID != r.ID || active.Technician != "tech" || !active.StartedAt.Equal(at) {
		t.Fatalf("active %+v %v", active, err)
	}
	if err := s.FinishRound(ctx, r.ID, at.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ActiveRound(ctx); !errors.Is(err, ErrNotFound) {
		t.Fatalf("finished round still active: %v", err)
	}
	if err := s.FinishRound(ctx, 99, at); !errors.Is(err, ErrNotFound) {
		t.Fatalf("finish unknown round: %v", err)
	}
	fl, err := s.Floors(ctx)
	if err != nil || len(fl) != 2 || fl[1] != (Floor{"MAIN", "3", 3}) {
		t.Fatalf("floors %+v %v", fl, err)
	}
	idx, err := s.RoomIndex(ctx)
	if err != nil || len(idx) != 4 || idx[1].Barcode != "LOC-3W-12" {
		t.Fatalf("room index %+v %v", idx, err)
	}
}

func TestResume(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	seedRooms(t, s)
	at := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	r, err := s.CreateRound(ctx, "wing 3", "", at, []string{"MAIN/3/3W-12"})
	if err != nil {
		t.Fatal(err)
	}
	type state struct {
		Screen string
		Cursor int
	}
	var got state
	if ok, err := s.LoadResume(ctx, r.ID, &got); ok || err != nil {
		t.Fatalf("resume before save: %v %v", ok, err)
	}
	for _, st := range []state{{"findings", 3}, {"detail", 4}} {
		if err := s.SaveResume(ctx, r.ID, at, st); err != nil {
			t.Fatal(err)
		}
	}
	if ok, err := s.LoadResume(ctx, r.ID, &got); !ok || err != nil || got != (state{"detail", 4}) {
		t.Fatalf("resume = %+v %v %v", got, ok, err)
	}
}
