package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSetTechnician(t *testing.T) {
	tests := []struct {
		name, before, who string
		wantErr           bool
	}{
		{"no file", "", "Sam Quinn", false},
		{"keeps targets and comments", "# my laptop\n[log]\nlevel = \"info\"\n", "Sam", false},
		{"replaces an empty technician", "technician = \"\"\n[log]\nlevel = \"warn\"\n", "Ana \"the\" Tech", false},
		{"quotes a backslash", "", `DOM\sam`, false},
		{"control characters refused", "", "a\x1bb", true},
		{"empty refused", "", "  ", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "rounds", "config.toml")
			if tc.before != "" {
				os.MkdirAll(filepath.Dir(path), 0o700)
				if err := os.WriteFile(path, []byte(tc.before), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			err := SetTechnician(path, tc.who)
			if tc.wantErr {
				if err == nil {
					t.Fatal("no error")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			c, err := Load(path)
			if err != nil || c.Technician != strings.TrimSpace(tc.who) {
				t.Fatalf("technician %q, %v", c.Technician, err)
			}
			b, _ := os.ReadFile(path)
			for _, l := range strings.Split(tc.before, "\n") {
				if l != "" && !strings.HasPrefix(l, "technician") && !strings.Contains(string(b), l) {
					t.Errorf("line %q lost:\n%s", l, b)
				}
			}
			if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
				t.Errorf("mode %v %v", fi.Mode(), err)
			}
		})
	}
}
