package exchange_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/biomed-rounds/rounds/store"
	"github.com/biomed-rounds/rounds/sync"
	"github.com/biomed-rounds/rounds/sync/exchange"
)

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestExportPullThenChangeFile(t *testing.T) {
	ctx := context.Background()
	for _, format := range []string{"csv", "json"} {
		t.Run(format, func(t *testing.T) {
			dir := t.TempDir()
			export := filepath.Join(dir, "central.csv")
			os.WriteFile(export, []byte("Asset_Tag,serial_number,location,status,manufacturer,model,cost\n"+
				"BME-1,SN1,MAIN/3/3W-12,In Service,BD,Alaris 8015,1200\n"+
				"BME-2,SN2,MAIN/3/3W-14,Archived,BD,Alaris 8015,900\n"), 0o600)
			conn, err := exchange.New(exchange.Config{Dir: filepath.Join(dir, "out"), Format: format, Import: export})
			must(t, err)
			st, err := store.Open(ctx, filepath.Join(dir, "r.db"))
			must(t, err)
			defer st.Close()
			eng := &sync.Engine{Store: st, Target: "files", Conn: conn}
			rep, err := eng.Pull(ctx)
			must(t, err)
			if rep.Created != 2 {
				t.Fatalf("pull = %+v", rep)
			}
			d, _ := st.Device(ctx, "BME-2")
			if d.Status != store.StatusRetired || d.LocationKey != "MAIN/3/3W-14" {
				t.Fatalf("device = %+v", d)
			}
			// The same export again is not even parsed.
			rep, err = eng.Pull(ctx)
			must(t, err)
			if rep.Records != 0 {
				t.Errorf("second pull = %+v", rep)
			}
			must(t, st.Write(ctx, "tech", func(w *store.Writer) error {
				_, err := w.UpdateDevice("BME-1", store.OpUpdate, func(d *store.Device) error {
					d.LocationKey = "MAIN/4/ICU-1"
					d.FirmwareVersion = "=HYPERLINK(\"http://x\")"
					return nil
				})
				if err != nil {
					return err
				}
				return w.AddNote("BME-1", "seen behind the door")
			}))
			ps, err := eng.Push(ctx)
			must(t, err)
			if ps.Acked != 2 {
				t.Fatalf("push = %+v", ps)
			}
			files, _ := filepath.Glob(filepath.Join(dir, "out", "rounds-changes-*."+format))
			if len(files) != 1 {
				t.Fatalf("change files = %v", files)
			}
			fi, _ := os.Stat(files[0])
			if fi.Mode().Perm() != 0o600 {
				t.Errorf("change file mode %v", fi.Mode().Perm())
			}
			b, _ := os.ReadFile(files[0])
			for _, want := range []string{"MAIN/4/ICU-1", "seen behind the door", "BME-1"} {
				if !strings.Contains(string(b), want) {
					t.Errorf("change file lacks %q:\n%s", want, b)
				}
			}
			if format == "csv" && !strings.Contains(string(b), `'=HYPERLINK`) {
				t.Errorf("formula not defused:\n%s", b)
			}
		})
	}
}

func TestParseErrorsNameTheSpot(t *testing.T) {
	tests := []struct {
		name, body, want string
	}{
		{"x.csv", "serial\nSN1\n", "x.csv:1: no asset_tag column"},
		{"x.csv", "asset_tag,serial\nA,\"unterminated\n", "x.csv:2:"},
		{"x.csv", "asset_tag,serial\nA,B,C\n", "x.csv:2: 3 values for 2 columns"},
		{"x.json", "[{\"asset_tag\": \"A\"},\n{\"asset_tag\": }]", "x.json:2:"},
		{"x.json", `[{"asset_tag": "A", "serial": {"x": 1}}]`, `field "serial" is not a plain value`},
	}
	for _, tt := range tests {
		var err error
		if strings.HasSuffix(tt.name, ".json") {
			_, err = exchange.ParseJSON(tt.name, []byte(tt.body))
		} else {
			_, err = exchange.ParseCSV(tt.name, []byte(tt.body))
		}
		if !errors.Is(err, exchange.ErrFormat) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%q: err = %v, want %q", tt.body, err, tt.want)
		}
	}
}
