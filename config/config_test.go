package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name, body, wantErr string
		check               func(Config) bool
	}{
		{"missing file", "", "", func(c Config) bool { return len(c.Targets) == 0 }},
		{"scan and target", `
[scan]
exclude = ["10.0.0.5", "00:09:fb"]
exclude_classes = ["ventilator"]

[[target]]
name = "snow"
kind = "servicenow"
url = "https://example.service-now.com"
options = { table = "cmdb_ci_med_device" }
`, "", func(c Config) bool {
			return len(c.Scan.Exclude) == 2 && c.Targets[0].Options["table"] == "cmdb_ci_med_device"
		}},
		{"syntax error names line", "[scan\nexclude = 1", "syntax_error_names_line.toml:2:", nil},
		{"unknown key", "[scan]\nexclud = []", `unknown key "scan.exclud"`, nil},
		{"technician, tui and log", "technician = \"jdoe\"\n[tui]\nmouse = true\n[log]\nfile = \"/tmp/r.log\"\nlevel = \"debug\"\n", "",
			func(c Config) bool {
				return c.Technician == "jdoe" && c.TUI.Mouse && c.Log.File == "/tmp/r.log" && c.Log.Level == "debug"
			}},
		{"unknown tui key", "[tui]\nmouse = true\ncolour = 1\n", `unknown key "tui.colour"`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := filepath.Join(dir, strings.ReplaceAll(tt.name, " ", "_")+".toml")
			if tt.body != "" {
				os.WriteFile(p, []byte(tt.body), 0o600)
			}
			c, err := Load(p)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want it to contain %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || !tt.check(c) {
				t.Fatalf("Load = %+v, %v", c, err)
			}
		})
	}
}
