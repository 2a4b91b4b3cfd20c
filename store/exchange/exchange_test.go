package exchange_test

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/biomed-rounds/rounds/store"
	"github.com/biomed-rounds/rounds/store/exchange"
	"github.com/biomed-rounds/rounds/store/gen"
)

var day = time.Date(2026, 5, 4, 0, 0, 0, 0, time.UTC)

func open(t testing.TB) *store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "r.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func importString(t testing.TB, st *store.Store, name, data string, o exchange.Options) (exchange.Result, error) {
	t.Helper()
	o.Name = name
	return exchange.Import(context.Background(), st, strings.NewReader(data), o)
}

func mustImport(t testing.TB, st *store.Store, name, data string, o exchange.Options) exchange.Result {
	t.Helper()
	res, err := importString(t, st, name, data, o)
	if err != nil {
		t.Fatalf("import %s: %v", name, err)
	}
	return res
}

func export(t testing.TB, st *store.Store, f exchange.Format, kinds ...exchange.Kind) string {
	t.Helper()
	var b bytes.Buffer
	if err := exchange.Export(context.Background(), st, &b, f, kinds...); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// snapshot is everything an import could touch, for "exactly as before".
func snapshot(t testing.TB, st *store.Store) string {
	t.Helper()
	es, err := st.Journal(context.Background(), store.JournalQuery{})
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	b.WriteString(export(t, st, exchange.JSON, exchange.Locations, exchange.Models, exchange.Devices))
	for _, e := range es {
		b.WriteString(e.IdempotencyID + string(e.Op) + "\n")
	}
	return b.String()
}

const header = "asset_tag,serial,manufacturer,model,device_class,building,floor,room,mac,ble_address,ip,hostname,firmware_version,os,os_version,last_pm,next_pm_due,next_audit_due,status,cmdb_id\n"

const sample = header +
	"BME-1,SN1,BD,Alaris 8015 PC Unit,infusion pump,MAIN,3,3W-12,00-09-FB-12-34-56,,10.3.12.21,pump-1,12.1.2,,,2025-03-01,2026-03-01,2026-09-01,In Service,abc123\n" +
	"BME-2,SN2,Philips,IntelliVue MX450,patient monitor,MAIN,3,3W-12,00:09:fb:00:00:02,,10.3.12.22,,M.00.03,,,,,,,\n" +
	"BME-3,SN3,Insulet,Omnipod 5,insulin pump,MAIN,3,3W-14,,c0:11:22:33:44:55,,,1.1.4,,,,,,missing,\n"

func TestCanonicalHeaderIsTheIssuesHeader(t *testing.T) {
	got := strings.Join(exchange.CanonicalHeader(exchange.Devices)[:20], ",") + "\n"
	if got != header {
		t.Fatalf("canonical header\n got %s want %s", got, header)
	}
}

func TestImportDevices(t *testing.T) {
	ctx := context.Background()
	st := open(t)
	res := mustImport(t, st, "d.csv", sample, exchange.Options{})
	if res.Created != 3 || res.Rows != 3 || res.Format != exchange.CSV || res.Kinds[0] != exchange.Devices {
		t.Fatalf("result = %+v", res)
	}
	d, err := st.Device(ctx, "BME-1")
	if err != nil {
		t.Fatal(err)
	}
	want := store.Device{AssetTag: "BME-1", Serial: "SN1", Manufacturer: "BD", Model: "Alaris 8015 PC Unit",
		DeviceClass: "infusion pump", LocationKey: "MAIN/3/3W-12", MAC: "00:09:fb:12:34:56", IP: "10.3.12.21",
		Hostname: "pump-1", FirmwareVersion: "12.1.2", Status: store.StatusInService, CMDBID: "abc123",
		LastPM: time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC), NextPMDue: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC),
		NextAuditDue: time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC), Revision: 1}
	d.ID, d.ModelID, d.LocationID, d.Identifiers = 0, 0, 0, nil
	if !reflect.DeepEqual(d, want) {
		t.Fatalf("device\n got %+v\nwant %+v", d, want)
	}
	if d3, _ := st.Device(ctx, "BME-3"); d3.BLEAddress != "C0:11:22:33:44:55" || d3.Status != store.StatusMissing {
		t.Fatalf("BME-3 = %+v", d3)
	}
	// Every create is journalled; re-importing changes and journals
	// nothing.
	if c, _ := st.JournalCounts(ctx); c[store.StatePending] != 3 {
		t.Fatalf("journal = %v, want 3 pending", c)
	}
	before := snapshot(t, st)
	res = mustImport(t, st, "d.csv", sample, exchange.Options{})
	if res.Unchanged != 3 || res.Created+res.Updated != 0 {
		t.Fatalf("re-import result = %+v", res)
	}
	if after := snapshot(t, st); after != before {
		t.Fatal("re-import changed the database")
	}
	// One real change journals one update with that field only.
	mustImport(t, st, "d.csv", strings.Replace(sample, "12.1.2", "12.3.0", 1), exchange.Options{})
	es, _ := st.Journal(ctx, store.JournalQuery{AssetTag: "BME-1"})
	last := es[len(es)-1]
	if len(es) != 2 || last.Op != store.OpUpdate || len(last.Changes) != 1 || last.Changes[0] != (store.Change{Field: "firmware_version", Old: "12.1.2", New: "12.3.0"}) {
		t.Fatalf("journal for BME-1 = %+v", es)
	}
}

func TestBaselineImportIsNotJournalled(t *testing.T) {
	ctx := context.Background()
	st := open(t)
	mustImport(t, st, "d.csv", sample, exchange.Options{Baseline: true})
	if c, _ := st.JournalCounts(ctx); len(c) != 0 {
		t.Fatalf("baseline import journalled %v", c)
	}
	// A later local edit through a file is journalled against it.
	mustImport(t, st, "d.csv", strings.Replace(sample, "pump-1", "pump-01", 1), exchange.Options{})
	if c, _ := st.JournalCounts(ctx); c[store.StatePending] != 1 {
		t.Fatalf("journal = %v, want the one edit", c)
	}
}

// TestPartialColumnsKeepStoredValues: a file without a column must not
// wipe what the database knows about that field.
func TestPartialColumnsKeepStoredValues(t *testing.T) {
	ctx := context.Background()
	st := open(t)
	mustImport(t, st, "d.csv", sample, exchange.Options{})
	mustImport(t, st, "fw.csv", "asset_tag,firmware_version\nBME-1,12.3.0\n", exchange.Options{})
	d, _ := st.Device(ctx, "BME-1")
	if d.FirmwareVersion != "12.3.0" || d.MAC != "00:09:fb:12:34:56" || d.LocationKey != "MAIN/3/3W-12" || d.Serial != "SN1" {
		t.Fatalf("device after partial import = %+v", d)
	}
}

func TestImportErrorsLeaveDatabaseUnchanged(t *testing.T) {
	tests := []struct {
		name, file, data, want string
		kind                   exchange.Kind
	}{
		{"bad date", "d.csv", "asset_tag,next_pm_due\nN-1,2026-01-02\nN-2,31/12/2026\n",
			"d.csv:3: next_pm_due: bad date \"31/12/2026\" (want YYYY-MM-DD)", ""},
		{"impossible date", "d.csv", "asset_tag,last_pm\nN-1,2026-02-30\n", "d.csv:2: last_pm: bad date", ""},
		{"duplicate asset tag", "d.csv", "asset_tag,serial\nN-1,A\nN-2,B\nN-1,C\n",
			"d.csv:4: asset_tag: N-1 appears again (first on line 2)", ""},
		{"duplicate MAC in file", "d.csv", "asset_tag,mac\nN-1,00:11:22:33:44:55\nN-2,00-11-22-33-44-55\n",
			"d.csv:3: mac: 00:11:22:33:44:55 already belongs to device N-1", ""},
		{"MAC of a stored device", "d.csv", "asset_tag,mac\nN-1,00:09:FB:12:34:56\n",
			"d.csv:2: mac: 00:09:fb:12:34:56 already belongs to device BME-1", ""},
		{"duplicate serial", "d.csv", "asset_tag,serial\nN-1,SN2\n", "d.csv:2: serial: SN2 already belongs to device BME-2", ""},
		{"unknown column", "d.csv", "asset_tag,colour\nN-1,red\n", "d.csv:1: header: unknown column \"colour\" for devices", ""},
		// A US address's "State" column is not the device's status.
		{"US state column", "d.csv", "asset_tag,status,State\nN-1,In Service,CA\n", "d.csv:1: header: unknown column \"State\" for devices", ""},
		{"invalid UTF-8", "d.csv", "asset_tag,serial\nN-1,SN\xff\xfe1\n", "d.csv:2: serial: invalid UTF-8", ""},
		{"truncated last line", "d.csv", "asset_tag,serial,hostname\nN-1,S1,h1\nN-2,S2", "d.csv:3: row: has 2 fields, the header has 3", ""},
		{"truncated in a quote", "d.csv", "asset_tag,serial\nN-1,S1\nN-2,\"S2", "d.csv:3: row: unterminated or stray quote", ""},
		{"empty file", "d.csv", "", "d.csv:1: header: empty file (no header)", ""},
		{"blank file", "d.csv", " \n\n", "d.csv:1: header: empty file (no header)", ""},
		{"bad MAC", "d.csv", "asset_tag,mac\nN-1,00:11:22\n", "d.csv:2: mac: \"00:11:22\" is not a MAC address", ""},
		{"bad IP", "d.csv", "asset_tag,ip\nN-1,10.0.0.300\n", "d.csv:2: ip: \"10.0.0.300\" is not an IP address", ""},
		{"unknown status", "d.csv", "asset_tag,status\nN-1,borrowed by ward 3\n", "d.csv:2: status: unknown status", ""},
		{"model without manufacturer", "d.csv", "asset_tag,manufacturer,model\nN-1,,X1\n", "d.csv:2: manufacturer: empty while model is \"X1\"", ""},
		{"control character", "d.csv", "asset_tag,hostname\nN-1,\"a\x1b[31mb\"\n", "d.csv:2: hostname: control character U+001B", ""},
		{"empty asset tag", "d.csv", "asset_tag,serial\n,S1\n", "d.csv:2: asset_tag: empty", ""},
		{"no asset tag column", "d.csv", "serial,hostname\nS1,h\n", "d.csv:1: header: cannot tell devices, models or locations", ""},
		{"no asset tag column, kind given", "d.csv", "serial,hostname\nS1,h\n", "d.csv:1: header: no asset_tag column", exchange.Devices},
		{"same field twice", "d.csv", "asset_tag,mac,MAC Address\nN-1,,\n", "d.csv:1: header: columns \"mac\" and \"MAC Address\" both mean mac", ""},
		{"unknown room name", "d.csv", "asset_tag,location\nN-1,Room nowhere\n", "d.csv:2: location: not found: no room with key, barcode or name \"Room nowhere\"", ""},
		{"bad date after good rows", "d.csv", "asset_tag,serial,last_pm\nN-1,A,\nN-2,B,2026-1-5\n", "d.csv:3: last_pm: bad date", ""},
		{"json bad date", "d.json", "{\"devices\": [\n{\"asset_tag\": \"N-1\"},\n{\"asset_tag\": \"N-2\",\n \"last_pm\": \"yesterday\"}\n]}\n",
			"d.json:3: last_pm: bad date \"yesterday\"", ""},
		{"json unknown key", "d.json", "[{\"asset_tag\": \"N-1\", \"colour\": \"red\"}]", "d.json:1: keys: unknown column \"colour\"", ""},
		{"json truncated", "d.json", "{\"devices\": [\n{\"asset_tag\": \"N-1\"},\n{\"asset_tag\": \"N-", "d.json:3: json: unexpected end of JSON (truncated file?)", ""},
		{"json invalid UTF-8", "d.json", "[{\"asset_tag\": \"N-\xff\"}]", "d.json:1: asset_tag: invalid UTF-8", ""},
		{"json trailing garbage", "d.json", "[{\"asset_tag\": \"N-1\"}] x", "d.json:1: json: data after the end of the array", ""},
		{"model file bad date", "m.csv", "manufacturer,model,os_eol\nBD,X,soon\n", "m.csv:2: os_eol: bad date", ""},
		{"location key mismatch", "l.csv", "key,building,floor,room\nMAIN/3/3W-1,MAIN,4,3W-1\n", "l.csv:2: floor: \"4\" does not match key", ""},
		{"location bad CIDR", "l.csv", "key,segments\nMAIN/3/3W-1,10.0.0.0/33=clinical\n", "l.csv:2: segments: \"10.0.0.0/33\" is not a CIDR", ""},
		{"duplicate room", "l.csv", "key,name\nMAIN/3/A,a\nMAIN/3/A,b\n", "l.csv:3: key: MAIN/3/A appears again (first on line 2)", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := open(t)
			mustImport(t, st, "seed.csv", sample, exchange.Options{})
			before := snapshot(t, st)
			res, err := importString(t, st, tt.file, tt.data, exchange.Options{Kind: tt.kind})
			if err == nil {
				t.Fatalf("import succeeded: %+v", res)
			}
			if !strings.HasPrefix(err.Error(), tt.want) {
				t.Fatalf("error\n got %v\nwant prefix %s", err, tt.want)
			}
			var re *exchange.RowError
			if !errors.As(err, &re) {
				t.Errorf("error %T is not a *RowError", err)
			}
			if after := snapshot(t, st); after != before {
				t.Fatal("failed import changed the database")
			}
		})
	}
}

func TestSkipBadImportsTheRestAndListsEveryLine(t *testing.T) {
	ctx := context.Background()
	st := open(t)
	mustImport(t, st, "seed.csv", sample, exchange.Options{})
	data := "asset_tag,serial,mac,last_pm\n" +
		"N-1,S1,,\n" +
		"N-2,S2,,someday\n" + // bad date
		"N-3,S3,00:09:fb:12:34:56,\n" + // MAC of BME-1: fails after the device row is written
		"N-4,S4,,\n" +
		"N-1,S5,,\n" + // duplicate tag
		"N-6,S6\n" // truncated
	res, err := importString(t, st, "s.csv", data, exchange.Options{SkipBad: true})
	if err != nil {
		t.Fatal(err)
	}
	var lines []int
	for _, s := range res.Skipped {
		lines = append(lines, s.Line)
	}
	if res.Created != 2 || len(lines) != 4 || lines[0] != 3 || lines[1] != 4 || lines[2] != 6 || lines[3] != 7 {
		t.Fatalf("result = %+v, skipped lines %v", res, lines)
	}
	// The row that failed halfway left nothing behind.
	if _, err := st.Device(ctx, "N-3"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("N-3: %v, want not found", err)
	}
	if _, err := st.Device(ctx, "N-4"); err != nil {
		t.Fatal(err)
	}
	if es, _ := st.Journal(ctx, store.JournalQuery{AssetTag: "N-3"}); len(es) != 0 {
		t.Fatalf("skipped row journalled: %+v", es)
	}
}

func TestAliasesAndMap(t *testing.T) {
	ctx := context.Background()
	st := open(t)
	mustImport(t, st, "rooms.csv", "key,name,barcode,segments\nMAIN/3/3W-12,ICU bed 12,LOC-3W12,10.3.12.0/24=clinical\n", exchange.Options{})
	// A Snipe-IT hardware export: rooms by display name, statuses by label.
	snipe := "ID,Company,Asset Name,Asset Tag,Model,Model No.,Category,Manufacturer,Serial,Purchased,Cost,Location,Status,Notes,MAC Address,Last Audit,Next Audit Date\n" +
		"17,Acme Health,,BME-9,Radical-7,,pulse oximeter,Masimo,R7-1,2021-01-02,4000,ICU bed 12,Ready to Deploy,,E0:C2:B7:00:00:01,2025-01-01 10:00:00,2026-01-01\n"
	mustImport(t, st, "snipe.csv", snipe, exchange.Options{})
	d, err := st.Device(ctx, "BME-9")
	if err != nil {
		t.Fatal(err)
	}
	if d.CMDBID != "17" || d.LocationKey != "MAIN/3/3W-12" || d.DeviceClass != "pulse oximeter" || d.MAC != "e0:c2:b7:00:00:01" ||
		d.LastAudited.Format("2006-01-02") != "2025-01-01" || d.Status != store.StatusInService {
		t.Fatalf("snipe device = %+v", d)
	}
	// A ServiceNow list export.
	sn := "sys_id,asset_tag,serial_number,manufacturer,model_id,mac_address,ip_address,install_status,location,u_ward\n" +
		"9f2c,BME-10,SN-10,GE Healthcare,CARESCAPE B450,00:00:5e:00:53:01,10.3.12.40,Installed,LOC-3W12,3W\n"
	if _, err := importString(t, st, "sn.csv", sn, exchange.Options{}); err == nil || !strings.Contains(err.Error(), `"u_ward"`) {
		t.Fatalf("custom column not refused: %v", err)
	}
	m, _ := exchange.ParseMap([]string{"u_ward=-"})
	mustImport(t, st, "sn.csv", sn, exchange.Options{Map: m})
	d, _ = st.Device(ctx, "BME-10")
	if d.CMDBID != "9f2c" || d.Serial != "SN-10" || d.IP != "10.3.12.40" || d.LocationKey != "MAIN/3/3W-12" {
		t.Fatalf("servicenow device = %+v", d)
	}
	// --map names a field for an unknown column.
	m, _ = exchange.ParseMap([]string{"Tag Number=asset_tag", "Wifi MAC=mac"})
	mustImport(t, st, "x.csv", "Tag Number,Wifi MAC\nBME-11,00:00:5e:00:53:02\n", exchange.Options{Map: m})
	if d, _ := st.Device(ctx, "BME-11"); d.MAC != "00:00:5e:00:53:02" {
		t.Fatalf("mapped device = %+v", d)
	}
	m, _ = exchange.ParseMap([]string{"Tag Number=colour"})
	if _, err := importString(t, st, "x.csv", "Tag Number\nBME-12\n", exchange.Options{Map: m, Kind: exchange.Devices}); err == nil || !strings.Contains(err.Error(), `no field "colour"`) {
		t.Fatalf("bad --map target: %v", err)
	}
	// ServiceNow's JSON envelope with reference objects.
	js := `{"result":[{"asset_tag":"BME-13","model_id":{"display_value":"Plum 360","link":"x"},"manufacturer":"ICU Medical","install_status":"In Maintenance"}]}`
	res := mustImport(t, st, "sn.json", js, exchange.Options{})
	if d, _ := st.Device(ctx, "BME-13"); res.Created != 1 || d.Model != "Plum 360" || d.Status != store.StatusInRepair {
		t.Fatalf("servicenow json device = %+v (%+v)", d, res)
	}
}

func TestKindDetection(t *testing.T) {
	st := open(t)
	for _, tt := range []struct{ data, want string }{
		{"manufacturer,model,min_firmware\nBD,Alaris 8015 PC Unit,12.1.0\n", "models"},
		{"key,name\nMAIN/3/3W-12,ICU bed 12\n", "locations"},
		{"building,floor,room,name\nMAIN,3,3W-14,ICU bed 14\n", "locations"},
		{"Asset Tag,Serial\nX-1,S\n", "devices"},
		{"[{\"manufacturer\":\"Masimo\",\"model\":\"Radical-7\"}]", "models"},
		{"building;floor;room\nMAIN;4;ICU-01\n", "locations"},
	} {
		res := mustImport(t, st, "f", tt.data, exchange.Options{})
		if len(res.Kinds) != 1 || string(res.Kinds[0]) != tt.want || res.Created != 1 {
			t.Errorf("%q: result %+v, want one %s created", tt.data, res, tt.want)
		}
	}
}

// TestRoundTrip: export, import into a fresh database, export again gives
// identical bytes, for CSV of each kind and for a JSON bundle.
func TestRoundTrip(t *testing.T) {
	ctx := context.Background()
	src := open(t)
	if err := gen.New(gen.Options{Seed: 11, Devices: 250, Now: day}).Load(ctx, src); err != nil {
		t.Fatal(err)
	}
	// Fields the generator leaves empty, and awkward characters.
	err := src.Write(ctx, "t", func(w *store.Writer) error {
		_, err := w.UpdateDevice("BME-0000001", store.OpUpdate, func(d *store.Device) error {
			d.LastSeen = time.Date(2026, 5, 1, 8, 30, 0, 0, time.UTC)
			d.CMDBVersion = "42"
			d.Owner = `ICU "north", bay 3`
			d.Hostname = "héllo-ünïcode"
			return nil
		})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Run("csv", func(t *testing.T) {
		dst := open(t)
		for _, k := range exchange.Kinds {
			first := export(t, src, exchange.CSV, k)
			mustImport(t, dst, string(k)+".csv", first, exchange.Options{Kind: k})
			if second := export(t, dst, exchange.CSV, k); second != first {
				t.Fatalf("%s: second export differs\n%s", k, firstDiff(first, second))
			}
		}
	})
	t.Run("json", func(t *testing.T) {
		dst := open(t)
		first := export(t, src, exchange.JSON, exchange.Kinds...)
		res := mustImport(t, dst, "all.json", first, exchange.Options{})
		if len(res.Kinds) != 3 {
			t.Fatalf("kinds = %v", res.Kinds)
		}
		if second := export(t, dst, exchange.JSON, exchange.Kinds...); second != first {
			t.Fatalf("second export differs\n%s", firstDiff(first, second))
		}
		// And a JSON export of devices alone round-trips too.
		dev := export(t, src, exchange.JSON, exchange.Devices)
		dst2 := open(t)
		mustImport(t, dst2, "d.json", dev, exchange.Options{})
		if again := export(t, dst2, exchange.JSON, exchange.Devices); again != dev {
			t.Fatalf("devices json differs\n%s", firstDiff(dev, again))
		}
	})
}

func firstDiff(a, b string) string {
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := range min(len(al), len(bl)) {
		if al[i] != bl[i] {
			return "line " + string(rune('0'+i%10)) + ":\n- " + al[i] + "\n+ " + bl[i]
		}
	}
	return "lengths differ"
}

// TestRoomKeysAreTrimmed: a key with spaces around its parts names the
// same room as without, and exports as a key that matches its columns
// (found by FuzzImportCSV).
func TestRoomKeysAreTrimmed(t *testing.T) {
	ctx := context.Background()
	st := open(t)
	mustImport(t, st, "d.csv", "asset_tag,location\nA-1, MAIN /3/ 3W-12 \n", exchange.Options{})
	mustImport(t, st, "l.csv", "key,name\nMAIN/ 3 /3W-12,ICU bed 12\n", exchange.Options{})
	ls, _ := st.Locations(ctx)
	if len(ls) != 1 || ls[0].Key != "MAIN/3/3W-12" || ls[0].Building != "MAIN" || ls[0].Name != "ICU bed 12" {
		t.Fatalf("locations = %+v", ls)
	}
}
