package advisory

import (
	"errors"
	"strings"
	"testing"
)

// TestTooLargeMessage: a document cut at the limit by its reader (65 MB
// read through a MaxDocument+1 limit) is reported by the limit, not by
// the 33554433 bytes that were read.
func TestTooLargeMessage(t *testing.T) {
	data := make([]byte, MaxDocument+1)
	_, err := ParseCSAF("big.json", data)
	if !errors.Is(err, ErrTooLarge) {
		t.Fatalf("err = %v, want ErrTooLarge", err)
	}
	if msg := err.Error(); strings.Contains(msg, "33554433") || !strings.Contains(msg, "32.0 MiB") {
		t.Errorf("message %q: want the limit in readable units and no read length", msg)
	}
}

// TestTypeErrorsSpeakJSON: a field of the wrong JSON type is reported by
// its path and the JSON expected, without Go type names.
func TestTypeErrorsSpeakJSON(t *testing.T) {
	doc := "{\n\"document\": {\"category\": \"csaf_security_advisory\",\n \"tracking\": \"oops\"}}"
	_, err := ParseCSAF("bad.json", []byte(doc))
	if err == nil {
		t.Fatal("accepted a string tracking")
	}
	msg := err.Error()
	if strings.Contains(msg, "advisory.") || strings.Contains(msg, "struct") || !strings.Contains(msg, "an object") || !strings.HasPrefix(msg, "bad.json:3:") {
		t.Errorf("message %q: want bad.json:3:..., the field and \"an object\", no Go types", msg)
	}
}
