package sync_test

import (
	"os"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	if spec := os.Getenv(fakeEnv); spec != "" {
		// A benchmark's fake server, in its own process.
		os.Exit(serveFake(spec))
	}
	goleak.VerifyTestMain(m)
}
