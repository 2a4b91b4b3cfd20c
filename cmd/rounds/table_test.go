package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"text/tabwriter"

	"github.com/biomed-rounds/rounds/store"
)

// TestTableMatchesTabwriter: a listing that fits one block is byte for
// byte what text/tabwriter printed before the table streamed.
func TestTableMatchesTabwriter(t *testing.T) {
	tests := map[string][][]string{
		"header only": nil,
		"plain": {{"BME-1", "infusion pump", "BD Alaris", "MAIN/3/3W-12", "in_service", "12.1", "10.0.0.1", "00:09:fb:00:00:01"},
			{"BME-22", "", " ", "", "missing", "", "", ""}},
		"wide runes": {{"Ü-1", "moniteur de fréquence", "日本光電 BSM", "東/1/室", "in_service", "v1", "", ""},
			{"A", "b", "c", "d", "e", "f", "g", "h"}},
		"a full block": func() [][]string {
			var rs [][]string
			for i := range tableBlock {
				rs = append(rs, []string{fmt.Sprint("T-", i), strings.Repeat("x", i%17), "m", "r", "s", "f", "ip", "mac"})
			}
			return rs
		}(),
	}
	header := []string{"ASSET TAG", "CLASS", "MODEL", "ROOM", "STATUS", "FIRMWARE", "IP", "MAC"}
	for name, rows := range tests {
		var want, got bytes.Buffer
		tw := tabwriter.NewWriter(&want, 2, 8, 2, ' ', 0)
		fmt.Fprintln(tw, strings.Join(header, "\t"))
		for _, r := range rows {
			fmt.Fprintln(tw, strings.Join(r, "\t"))
		}
		tw.Flush()
		tb := newTable(&got, header...)
		for _, r := range rows {
			if err := tb.row(r...); err != nil {
				t.Fatal(err)
			}
		}
		if err := tb.flush(); err != nil {
			t.Fatal(err)
		}
		if got.String() != want.String() {
			t.Errorf("%s:\n got %q\nwant %q", name, got.String(), want.String())
		}
	}
}

// TestTableStreams: past the first block rows are written in the frozen
// widths without being held (memory stays bounded), a wider cell only
// pushes its own line, and no row is lost.
func TestTableStreams(t *testing.T) {
	var out bytes.Buffer
	tb := newTable(&out, "TAG", "CLASS", "MAC")
	n := 3*tableBlock + 5
	for i := range n {
		class := "pump"
		if i == 2*tableBlock {
			class = "a much longer class than the first block had"
		}
		if err := tb.row(fmt.Sprintf("T-%05d", i), class, "00:09:fb:00:00:01"); err != nil {
			t.Fatal(err)
		}
		if i == 2*tableBlock && len(tb.rows) != 0 {
			t.Fatalf("%d rows held after the first block", len(tb.rows))
		}
	}
	if err := tb.flush(); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	if len(lines) != n+1 {
		t.Fatalf("%d lines, want %d", len(lines), n+1)
	}
	for i, l := range lines[1:] {
		want := fmt.Sprintf("T-%05d  pump   00:09:fb:00:00:01", i)
		if i == 2*tableBlock {
			want = fmt.Sprintf("T-%05d  a much longer class than the first block had  00:09:fb:00:00:01", i)
		}
		if l != want {
			t.Fatalf("line %d = %q, want %q", i+2, l, want)
		}
	}
}

// TestDevicesListingMatchesFullRows: `rounds devices` reads the narrow
// store.EachListed query; its output is byte for byte what the listing
// printed from EachDevice's full rows, for every filter, with devices
// lacking a model or a room, with non-ASCII and wide text, and past one
// table block (columns sized on the first 1,024 rows).
func TestDevicesListingMatchesFullRows(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "r.db")
	var csv strings.Builder
	csv.WriteString("asset_tag,manufacturer,model,device_class,building,floor,room,mac,ip,firmware_version,status\n")
	csv.WriteString("A-NOMODEL,,,,MAIN,3,3W-12,,,,missing\n")
	csv.WriteString("A-NOROOM,BD,Alaris 8015,infusion pump,,,,00:09:fb:00:00:01,10.0.0.1,12.1.2,\n")
	csv.WriteString("A-WIDE,Ge Healthcare Very Long Manufacturer Name,Carescape B650 with a long model,monitor,MAIN,3,3W-14,,,fw é 固件,\n")
	for i := range 1500 {
		fmt.Fprintf(&csv, "B-%04d,Philips,IntelliVue MX%d,patient monitor,MAIN,%d,R-%d,00:09:fb:01:%02x:%02x,10.1.%d.%d,M.%d,\n",
			i, i%7, i%3, i%11, i/256, i%256, i/256, i%256, i)
	}
	in := filepath.Join(dir, "in.csv")
	if err := os.WriteFile(in, []byte(csv.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, _, errs := runCLI(t, db, "import", in); code != 0 {
		t.Fatalf("import: %d %s", code, errs)
	}
	st, err := store.OpenReadOnly(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	tests := []struct {
		name string
		args []string
		f    store.Filter
	}{
		{"all", nil, store.Filter{}},
		{"room", []string{"--room", "MAIN/3/3W-12"}, store.Filter{Room: "MAIN/3/3W-12"}},
		{"building", []string{"--building", "MAIN"}, store.Filter{Building: "MAIN"}},
		{"status", []string{"--status", "missing"}, store.Filter{Status: store.StatusMissing}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// The listing as it was printed from full rows.
			var want bytes.Buffer
			tw := newTable(&want, "ASSET TAG", "CLASS", "MODEL", "ROOM", "STATUS", "FIRMWARE", "IP", "MAC")
			if err := st.EachDevice(context.Background(), tt.f, func(d store.Device) error {
				return tw.row(inert(d.AssetTag), inert(d.DeviceClass), inert(d.Manufacturer+" "+d.Model), inert(d.LocationKey),
					string(d.Status), inert(d.FirmwareVersion), d.IP, d.MAC)
			}); err != nil {
				t.Fatal(err)
			}
			if err := tw.flush(); err != nil {
				t.Fatal(err)
			}
			code, out, errs := runCLI(t, db, append([]string{"devices"}, tt.args...)...)
			if code != 0 {
				t.Fatalf("devices: %d %s", code, errs)
			}
			if strings.Count(out, "\n") < 2 {
				t.Fatalf("listing has no devices:\n%s", out)
			}
			if out != want.String() {
				t.Fatalf("listing differs from the full-row listing:\ngot:\n%.2000s\nwant:\n%.2000s", out, want.String())
			}
		})
	}
}
