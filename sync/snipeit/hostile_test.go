package snipeit_test

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"github.com/biomed-rounds/rounds/inert"
	"github.com/biomed-rounds/rounds/store"
	"github.com/biomed-rounds/rounds/sync"
	"github.com/biomed-rounds/rounds/sync/synctest/fault"
)

// Item 15: pulled values pass the checks import applies: control
// characters and escape sequences never reach the store (and through it
// the terminal, exports and error messages); the stored value stays and
// an issue says why.
func TestPulledHostileValuesRefused(t *testing.T) {
	ctx := context.Background()
	hostile := []string{"SN\x1b]0;owned\x07", "SN\x1b[2J", "SN\x1b]52;c;Y3VybCBldmlsfHNo\x07", "SN\u202eevil", "SN\u009b31m",
		strings.Repeat("S", 5000)}
	for i, h := range hostile {
		// Plain subtest names: the test name becomes a temporary path.
		t.Run(strconv.Itoa(i), func(t *testing.T) {
			e := newEnv(t)
			id := e.asset("BME-1", "MAIN/3/3W-12")
			e.sync()
			e.fake.Edit(id, map[string]string{"serial": h, "notes": "ok line\n" + h + "\nend"})
			e.clock.Advance(1)
			e.sync()
			d := e.device("BME-1")
			if d.Serial != "SNBME-1" {
				t.Errorf("serial = %q, want the stored value kept", d.Serial)
			}
			is, err := sync.Issues(ctx, e.st, "snipe")
			if err != nil {
				t.Fatal(err)
			}
			found := false
			for _, i := range is {
				if i.Field == "serial" {
					found = true
				}
				if !inert.Clean(i.Message) || !inert.Clean(i.AssetTag) {
					t.Errorf("issue not inert: %q", i.Message)
				}
			}
			if !found {
				t.Errorf("no issue for the refused serial: %+v", is)
			}
			all, _ := e.st.Journal(ctx, store.JournalQuery{AssetTag: "BME-1"})
			for _, en := range all {
				for _, c := range en.Changes {
					if !inert.Clean(c.New) {
						t.Errorf("journal holds %q", c.New)
					}
				}
			}
		})
	}
	_ = fault.None
}

// Item 18 (Snipe-IT side): a site's own status labels are read through
// their meta type.
func TestSiteStatusLabelsByMeta(t *testing.T) {
	e := newEnv(t)
	avail := e.fake.AddStatusLabel("Available", "deployable")
	store2 := e.fake.AddStatusLabel("Long-term Storage", "archived")
	a := e.asset("BME-1", "MAIN/3/3W-12")
	b := e.asset("BME-2", "MAIN/3/3W-12")
	e.fake.Edit(a, map[string]string{"status_id": itoa(avail)})
	e.fake.Edit(b, map[string]string{"status_id": itoa(store2)})
	e.sync()
	if s := e.device("BME-1").Status; s != store.StatusInService {
		t.Errorf("Available (deployable) = %q", s)
	}
	if s := e.device("BME-2").Status; s != store.StatusRetired {
		t.Errorf("Long-term Storage (archived) = %q", s)
	}
}

func itoa(n int) string { return strconv.Itoa(n) }
