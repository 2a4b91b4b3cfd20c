package tui

import (
	"fmt"

	"github.com/biomed-rounds/rounds/scan"
)

func scanFingerprint(hostile string) scan.Fingerprint {
	return scan.Fingerprint{Kind: "http", Port: 80, Fields: map[string]string{"server": "srv" + hostile, "title": hostile}}
}

// onlyStyleSequences reports the first byte sequence in s that could do
// more than colour text: any escape sequence but SGR (CSI ... m), any C0
// control but newline, DEL, any C1 control, bidi overrides.
func onlyStyleSequences(s string) error {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == 0x1b:
			if i+1 >= len(s) || s[i+1] != '[' {
				return fmt.Errorf("non-CSI escape at %d: %q", i, s[i:min(len(s), i+12)])
			}
			j := i + 2
			for j < len(s) && (s[j] >= '0' && s[j] <= '9' || s[j] == ';' || s[j] == ':') {
				j++
			}
			if j >= len(s) || s[j] != 'm' {
				return fmt.Errorf("non-SGR CSI at %d: %q", i, s[i:min(len(s), j+1)])
			}
			i = j
		case c < 0x20 && c != '\n', c == 0x7f:
			return fmt.Errorf("control byte %#x at %d", c, i)
		}
	}
	for i, r := range s {
		if (r >= 0x80 && r < 0xa0) || (r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069) {
			return fmt.Errorf("control rune %U at %d", r, i)
		}
	}
	return nil
}
