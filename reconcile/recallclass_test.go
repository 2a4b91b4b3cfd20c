package reconcile

import (
	"testing"

	"github.com/biomed-rounds/rounds/reconcile/advisory"
)

// TestRecallSeverityByClass: a recall flag is graded by its FDA class
// (issue 10: every recall was CRITICAL whatever its class).
func TestRecallSeverityByClass(t *testing.T) {
	for _, tt := range []struct {
		sev     string
		certain bool
		want    Severity
	}{
		{"critical", true, Critical}, {"warning", true, Warning}, {"notice", true, Info},
		{"critical", false, Warning}, {"notice", false, Info},
	} {
		fl := hitFlag(advisory.Hit{Kind: advisory.KindRecall, Document: "Z-1", Certain: tt.certain, Severity: tt.sev}, "")
		if fl.Severity != tt.want {
			t.Errorf("recall %s certain=%v: severity %v, want %v", tt.sev, tt.certain, fl.Severity, tt.want)
		}
	}
}
