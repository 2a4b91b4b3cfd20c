package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/biomed-rounds/rounds/store"
)

func TestRoomsCLI(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "r.db")
	// An empty inventory lists no rooms: an empty array, not null.
	if code, out, errs := runCLI(t, db, "rooms", "--json"); code != 0 || strings.TrimSpace(out) != "[]" {
		t.Fatalf("empty: %d %q %q", code, out, errs)
	}
	locs := "building,floor,room,name,barcode,segments\n" +
		"MAIN,3,3W-12,ICU bed 12,R-3W12,10.3.12.0/24=clinical\n" +
		"MAIN,3,3W-14,ICU bed 14,,\n" +
		"EAST,1,MRI-1,MRI suite,,\n"
	if code, _, errs := runCLI(t, db, "import", "--kind", "locations", writeFile(t, dir, "rooms.csv", locs)); code != 0 {
		t.Fatalf("import: %s", errs)
	}
	code, out, _ := runCLI(t, db, "rooms", "--building", "MAIN", "--json")
	var rooms []store.Location
	if code != 0 || json.Unmarshal([]byte(out), &rooms) != nil || len(rooms) != 2 || rooms[0].Key != "MAIN/3/3W-12" ||
		rooms[0].Barcode != "R-3W12" || len(rooms[0].Segments) != 1 {
		t.Fatalf("--building MAIN --json: %d %s", code, out)
	}
	code, out, _ = runCLI(t, db, "rooms")
	for _, want := range []string{"ROOM", "EAST/1/MRI-1", "MRI suite", "MAIN/3/3W-12", "10.3.12.0/24 (clinical)"} {
		if code != 0 || !strings.Contains(out, want) {
			t.Errorf("table lacks %q: %d\n%s", want, code, out)
		}
	}
	if code, _, errs := runCLI(t, db, "rooms", "--building", "MAN"); code != exitUsage || !strings.Contains(errs, "did you mean: MAIN") {
		t.Errorf("unknown building: %d %s", code, errs)
	}
}
