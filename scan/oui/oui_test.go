package oui

import "testing"

func TestLookup(t *testing.T) {
	tests := []struct {
		name, mac, want string
	}{
		{"MA-L", "00:09:FB:12:34:56", "Philips Patient Monitoring"},
		{"MA-L dashes lower", "00-09-fb-12-34-56", "Philips Patient Monitoring"},
		{"MA-L cisco dots", "0009.fb12.3456", "Philips Patient Monitoring"},
		{"MA-M beats MA-L", "74:1A:E0:9A:BC:DE", "Private"},
		{"MA-S beats MA-L", "00:1B:C5:07:4A:BC", "Dynasthetics"},
		{"MA-S sibling", "70:B3:D5:F2:F1:23", "TELEPLATFORMS"},
		{"registration authority block without sub-assignment", "70:B3:D5:00:00:00", "IEEE Registration Authority"},
		{"IAB", "00:50:C2:7D:51:23", "DEUTA-WERKE GmbH"},
		{"locally administered", "02:09:fb:12:34:56", ""},
		{"malformed", "00:09:fb:12:34", ""},
		{"empty", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Lookup(tt.mac); got != tt.want {
				t.Errorf("Lookup(%q) = %q, want %q", tt.mac, got, tt.want)
			}
		})
	}
}

func TestLen(t *testing.T) {
	// The Debian ieee-data of 2022 holds about 46,500 assignments across
	// the four registries; a broken embed or parse shows as far fewer.
	if n := Len(); n < 40000 {
		t.Fatalf("Len() = %d, want the whole registry (> 40000)", n)
	}
}

func BenchmarkLookup(b *testing.B) {
	Lookup("00:09:fb:00:00:00")
	b.ResetTimer()
	for b.Loop() {
		Lookup("00:1B:C5:07:4A:BC")
	}
}
