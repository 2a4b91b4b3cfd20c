package tui

import (
	"strings"
	"testing"
)

func TestListState(t *testing.T) {
	keys := newListKeys()
	tests := []struct {
		name             string
		start            listState
		keys             []string
		n, h             int
		cursor, from, to int
	}{
		{"down scrolls", listState{}, []string{"down", "down", "down"}, 10, 2, 3, 2, 4},
		{"up stops at top", listState{}, []string{"up"}, 10, 3, 0, 0, 3},
		{"end then home", listState{}, []string{"G", "g"}, 10, 3, 0, 0, 3},
		{"end shows the last rows", listState{}, []string{"G"}, 10, 3, 9, 7, 10},
		{"empty list", listState{cursor: 4, offset: 2}, []string{"down"}, 0, 3, 0, 0, 0},
		{"rows went away", listState{cursor: 8, offset: 6}, nil, 3, 5, 8, 0, 3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			l := tc.start
			for _, k := range tc.keys {
				if !l.move(keys, keyMsg(k), tc.n, tc.h) {
					t.Fatalf("%s is not a list key", k)
				}
			}
			if l.cursor != tc.cursor {
				t.Errorf("cursor %d, want %d", l.cursor, tc.cursor)
			}
			before := l
			from, to := l.window(tc.n, tc.h)
			if from != tc.from || to != tc.to {
				t.Errorf("window [%d,%d), want [%d,%d)", from, to, tc.from, tc.to)
			}
			if l != before {
				t.Errorf("window changed the state: %+v -> %+v", before, l)
			}
			l.fit(tc.n, tc.h)
			if tc.n > 0 && (l.cursor < l.offset || l.cursor >= l.offset+tc.h || l.cursor >= tc.n) {
				t.Errorf("after fit cursor %d offset %d, n %d h %d", l.cursor, l.offset, tc.n, tc.h)
			}
		})
	}
}

// TestViewNeverChangesListState: drawing a list screen whose state is
// stale (the cursor below the window, as after a resize) shows the cursor
// and leaves cursor and offset as they were.
func TestViewNeverChangesListState(t *testing.T) {
	h := newHarness(t, 80, 9, true)
	check := func(name string, ls *listState, rows int) {
		t.Helper()
		if ls.cursor < ls.offset+rows {
			t.Fatalf("%s: setup: cursor %d is inside the %d rows shown", name, ls.cursor, rows)
		}
		before := *ls
		v := h.view()
		if *ls != before {
			t.Errorf("%s: View changed the list state %+v -> %+v", name, before, *ls)
		}
		if !strings.Contains(v, "▸") {
			t.Errorf("%s: cursor not shown:\n%s", name, v)
		}
	}
	h.m.overview.listState = listState{cursor: 2, offset: 0}
	check("overview", &h.m.overview.listState, h.m.overview.listHeight())
	h.key("/")
	h.wantScreen(scrPicker)
	h.m.picker.listState = listState{cursor: len(h.m.picker.matches) - 1, offset: 0}
	check("picker", &h.m.picker.listState, h.m.picker.listHeight())
}
