package version

import (
	"errors"
	"testing"
)

func TestParseRange(t *testing.T) {
	tests := []struct {
		expr    string
		in, out []string
	}{
		{"All versions", []string{"0.1", "99"}, nil},
		{"all", []string{"1"}, nil},
		{"*", []string{"1"}, nil},
		{"vers:all/*", []string{"1"}, nil},
		{"2.X", []string{"2", "2.0", "2.9.9", "2.1.0b"}, []string{"1.9", "3.0", "20.1"}},
		{"2.1.x", []string{"2.1", "2.1.7"}, []string{"2.2", "2.10"}},
		{"5.*", []string{"5.3"}, []string{"4.9"}},
		{"<= 4.2", []string{"4.2", "4.1.9", "4.2.0"}, []string{"4.2.1", "4.3"}},
		{"<=V4.2", []string{"4.2"}, []string{"4.3"}},
		{"< 4.2", []string{"4.1"}, []string{"4.2"}},
		{">= 3", []string{"3.0", "4"}, []string{"2.9"}},
		{"4.X | 5.X", []string{"4.1", "5.0"}, []string{"3.9", "6.0"}},
		{"4.x or 5.x", []string{"4.1", "5.0"}, []string{"6.0"}},
		{"vers:generic/>=1.0|<2.0", []string{"1.0", "1.9.9"}, []string{"0.9", "2.0"}},
		{"vers:generic/>=1.0|<2.0|>=3.0|<3.5", []string{"1.5", "3.2"}, []string{"2.5", "3.5"}},
		{"vers:generic/<=2.0|!=1.5", []string{"1.4", "2.0"}, []string{"1.5", "2.1"}},
		{"vers:generic/1.2|1.4", []string{"1.2", "1.4.0"}, []string{"1.3"}},
		{"versions prior to 3.1", []string{"3.0.9", "2"}, []string{"3.1", "3.1.0", "3.2"}},
		{"Versions prior to version 3.1", []string{"3.0"}, []string{"3.1"}},
		{"prior to v3.1", []string{"3.0"}, []string{"3.1"}},
		{"v3.0 and prior", []string{"3.0", "2.9"}, []string{"3.0.1"}},
		{"3.0 and earlier", []string{"3.0"}, []string{"3.1"}},
		{"Version 7.0.1 and prior versions", []string{"7.0.1"}, []string{"7.0.2"}},
		{"4.3 SP1 and prior", []string{"4.3", "4.3 SP1"}, []string{"4.3 SP2"}},
		{"3.0 and later", []string{"3.0", "4"}, []string{"2.9"}},
		{"2.0+", []string{"2.0", "2.1"}, []string{"1.9"}},
		{"up to 2.3", []string{"2.3"}, []string{"2.4"}},
		{"between 2.0 and 3.0", []string{"2.0", "2.5", "3.0"}, []string{"1.9", "3.1"}},
		{"2.0 - 3.0", []string{"2.5"}, []string{"3.1"}},
		{"2.0 through 3.0", []string{"3.0"}, []string{"3.0.1"}},
		{">=1.0, <2.0", []string{"1.5"}, []string{"2.0"}},
		{">= 1.0 < 2.0", []string{"1.5"}, []string{"2.0"}},
		{"2.1, 2.2 and 2.3", []string{"2.1", "2.3"}, []string{"2.4"}},
		{"4.2", []string{"4.2.0"}, []string{"4.2.1"}},
		{"B.06.18 and prior", []string{"B.06.17", "A.99"}, []string{"B.06.19"}},
		{"≤ 1.4", []string{"1.4"}, []string{"1.5"}},
	}
	for _, tt := range tests {
		r, err := ParseRange(tt.expr)
		if err != nil {
			t.Errorf("ParseRange(%q): %v", tt.expr, err)
			continue
		}
		for _, v := range tt.in {
			if in, ok := r.ContainsString(v); !ok || !in {
				t.Errorf("%q (%s) does not contain %q", tt.expr, r, v)
			}
		}
		for _, v := range tt.out {
			if in, _ := r.ContainsString(v); in {
				t.Errorf("%q (%s) contains %q", tt.expr, r, v)
			}
		}
	}
}

func TestParseRangeRejects(t *testing.T) {
	for _, expr := range []string{"", "Windows 7", "see vendor", "2.0 (US only, EU later)", "vers:", "vers:generic/>=abc", "latest"} {
		if r, err := ParseRange(expr); !errors.Is(err, ErrRange) {
			t.Errorf("ParseRange(%q) = %s, %v; want ErrRange", expr, r, err)
		}
	}
}
