package inventory

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestNormalizeMAC(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"00:09:FB:12:34:56", "00:09:fb:12:34:56"},
		{"00-09-fb-12-34-56", "00:09:fb:12:34:56"},
		{"0009.fb12.3456", "00:09:fb:12:34:56"},
		{"00 09 FB 12 34 56", "00:09:fb:12:34:56"}, // scan accepted spaces, store did not
		{"0009FB123456", "00:09:fb:12:34:56"},
		{"00:09:fb:12:34", ""},
		{"00:09:fb:12:34:56:78", ""},
		{"00:09:fb:12:34:5g", ""},
		{"", ""},
	} {
		if got := NormalizeMAC(tt.in); got != tt.want {
			t.Errorf("NormalizeMAC(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestParseLocationKey(t *testing.T) {
	for _, tt := range []struct {
		in, want string
		ok       bool
	}{
		{"MAIN/3/3W-12", "MAIN/3/3W-12", true},
		{" MAIN / 3 / 3W-12 ", "MAIN/3/3W-12", true},
		{"MAIN/3/3W-12/A", "MAIN/3/3W-12/A", true},
		{"a//b", "", false}, // sync accepted this, store refused it
		{"a/b", "", false},
		{"/3/12", "", false},
		{"MAIN/3/ ", "", false},
		{"", "", false},
	} {
		got, err := CanonicalLocationKey(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("CanonicalLocationKey(%q) = %q, %v; want %q ok=%v", tt.in, got, err, tt.want, tt.ok)
		}
		if err != nil && !errors.Is(err, ErrLocationKey) {
			t.Errorf("%q: error %v does not wrap ErrLocationKey", tt.in, err)
		}
	}
}

func TestCheckLen(t *testing.T) {
	if err := CheckLen("asset_tag", strings.Repeat("A", MaxAssetTag), MaxAssetTag); err != nil {
		t.Errorf("64 characters refused: %v", err)
	}
	if err := CheckLen("name", strings.Repeat("é", MaxName), MaxName); err != nil {
		t.Errorf("256 two-byte characters refused (limits count characters): %v", err)
	}
	err := CheckLen("asset_tag", strings.Repeat("A", 100000), MaxAssetTag)
	if !errors.Is(err, ErrTooLong) || !strings.Contains(err.Error(), "asset_tag") || !strings.Contains(err.Error(), "97.7 KiB") {
		t.Errorf("100,000-character tag: %v", err)
	}
}

func TestFormatSize(t *testing.T) {
	for _, tt := range []struct {
		n    int64
		want string
	}{{812, "812 bytes"}, {64 << 10, "64.0 KiB"}, {65 << 20, "65.0 MiB"}, {3 << 30, "3.0 GiB"}} {
		if got := FormatSize(tt.n); got != tt.want {
			t.Errorf("FormatSize(%d) = %q, want %q", tt.n, got, tt.want)
		}
	}
}

// TestFieldTable: the journal order is the one journals already hold
// (changing it would reorder stored changes), names are unique, and every
// field reads back what it was set to.
func TestFieldTable(t *testing.T) {
	var journal []string
	seen := map[string]bool{}
	for _, f := range Fields {
		if seen[f.Name] {
			t.Errorf("field %s twice", f.Name)
		}
		seen[f.Name] = true
		if f.Journalled {
			journal = append(journal, f.Name)
		}
		if f.MaxLen <= 0 {
			t.Errorf("field %s has no limit", f.Name)
		}
	}
	want := []string{"serial", "manufacturer", "model", "location", "status", "firmware_version", "os",
		"os_version", "hostname", "ip", "mac", "ble_address", "last_seen", "last_audited", "next_audit_due",
		"last_pm", "next_pm_due", "owner", "cmdb_id"}
	if !slices.Equal(journal, want) {
		t.Errorf("journal order %v, want %v", journal, want)
	}
	d := Device{AssetTag: "A1", Serial: "S", Manufacturer: "BD", Model: "Alaris", LocationKey: "MAIN/3/12",
		Status: StatusInRepair, FirmwareVersion: "1.2", OS: "Linux", OSVersion: "5", Hostname: "h", IP: "10.0.0.1",
		MAC: "00:09:fb:12:34:56", BLEAddress: "00:09:FB:12:34:57", LastSeen: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
		LastAudited: time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC), NextAuditDue: time.Date(2027, 1, 2, 0, 0, 0, 0, time.UTC),
		LastPM: time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC), NextPMDue: time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC),
		Owner: "ICU", CMDBID: "x1", CMDBVersion: "7", DeviceClass: "pump"}
	for _, f := range Fields {
		var e Device
		if err := f.Set(&e, f.Get(&d)); err != nil {
			t.Errorf("%s: Set(Get) = %v", f.Name, err)
		}
		if f.Get(&e) != f.Get(&d) {
			t.Errorf("%s: round trip %q -> %q", f.Name, f.Get(&d), f.Get(&e))
		}
	}
	if f, _ := FieldByName("location"); f.Set(&d, "a//b") == nil {
		t.Error("location a//b accepted")
	}
	if err := CheckDevice(&Device{AssetTag: strings.Repeat("T", 65)}); !errors.Is(err, ErrTooLong) {
		t.Errorf("CheckDevice with a 65-character tag: %v", err)
	}
}

func FuzzNormalizeMAC(f *testing.F) {
	for _, s := range []string{"00:09:FB:12:34:56", "0009.fb12.3456", "00 09 fb 12 34 56", "", "zz", "000000000000000"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n := NormalizeMAC(s)
		if n == "" {
			return
		}
		if len(n) != 17 || NormalizeMAC(n) != n {
			t.Fatalf("NormalizeMAC(%q) = %q: not a fixed point of form xx:xx:xx:xx:xx:xx", s, n)
		}
	})
}

func FuzzParseLocationKey(f *testing.F) {
	for _, s := range []string{"MAIN/3/12", "a//b", " a / b / c ", "a/b/c/d", "///", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		k, err := CanonicalLocationKey(s)
		if err != nil {
			return
		}
		if k2, err := CanonicalLocationKey(k); err != nil || k2 != k {
			t.Fatalf("canonical key %q of %q does not parse to itself: %q %v", k, s, k2, err)
		}
	})
}

// TestFieldCopy: every row copies its value exactly.
func TestFieldCopy(t *testing.T) {
	src := Device{AssetTag: "A", Serial: "S", LocationKey: "M/1/2", Status: StatusLoaned,
		LastSeen: time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC), NextPMDue: time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC),
		Owner: "o", CMDBVersion: "9", DeviceClass: "c"}
	var dst Device
	for _, f := range Fields {
		f.Copy(&dst, &src)
	}
	if dst.LastSeen != src.LastSeen || dst.NextPMDue != src.NextPMDue || dst.Status != src.Status ||
		dst.LocationKey != src.LocationKey || dst.Owner != src.Owner || dst.CMDBVersion != src.CMDBVersion || dst.AssetTag != "A" {
		t.Errorf("copy of every field: %+v", dst)
	}
}
