package main

import (
	"strings"
	"testing"
)

func TestParseFormats(t *testing.T) {
	tests := []struct {
		format, in string
	}{
		{"BlueZ C", "int bt_error(uint16_t code)\n{\n\tswitch (code) {\n\tcase 0:\n\t\treturn \"Success\";\n\t}\n}\nconst char *bt_compidtostr(int compid)\n{\n\tswitch (compid) {\n\tcase 0:\n\t\treturn \"Ericsson Technology Licensing\";\n\tcase 76:\n\t\treturn \"Apple, Inc.\";\n\tcase 1410:\n\t\treturn \"LLC \\\"MEGA-F service\\\"\";\n\tdefault:\n\t\treturn \"not assigned\";\n\t}\n}\n"},
		{"Python", "MANUFACTURERS = {\n    0x0000: \"Ericsson Technology Licensing\",\n    0x004C: 'Apple, Inc.',\n    0x0582: \"LLC \\\"MEGA-F service\\\"\",\n}\n"},
		{"JSON", `[{"code":0,"name":"Ericsson Technology Licensing"},{"code":76,"name":"Apple, Inc."},{"code":1410,"name":"LLC \"MEGA-F service\""}]`},
		{"SIG YAML", "company_identifiers:\n  - value: 0x0582\n    name: 'LLC \"MEGA-F service\"'\n  - value: 0x004C\n    name: 'Apple, Inc.'\n  - value: 0x0000\n    name: 'Ericsson Technology Licensing'\n"},
	}
	for _, tt := range tests {
		m, format, err := parse([]byte(tt.in))
		if err != nil || format != tt.format {
			t.Fatalf("%s: format %q err %v", tt.format, format, err)
		}
		if len(m) != 3 || m[0] != "Ericsson Technology Licensing" || m[0x4c] != "Apple, Inc." || m[0x582] != `LLC "MEGA-F service"` {
			t.Errorf("%s: %v", tt.format, m)
		}
	}
	if _, _, err := parse([]byte("hello")); err == nil {
		t.Error("unrecognised input accepted")
	}
}

func TestRender(t *testing.T) {
	code, err := render(map[uint16]string{0: "A", 2: "B\x07", 0xffff: "test"}, "src")
	if err != nil {
		t.Fatal(err)
	}
	s := string(code)
	for _, want := range []string{"DO NOT EDIT", `const CompanySource = "src"`, `0x0000: "A"`, `0xFFFF: "test"`} {
		if !strings.Contains(s, want) {
			t.Errorf("missing %q in\n%s", want, s)
		}
	}
	if clean("B\x07  C") != "B C" {
		t.Errorf("clean %q", clean("B\x07  C"))
	}
}
