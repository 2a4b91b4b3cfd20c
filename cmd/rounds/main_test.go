package main

import (
	"os"
	"testing"
)

// TestMain points the state and config directories at a temporary
// directory, so that tests never write the developer's log file or read
// their configuration.
func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "rounds-cmd-test-")
	if err != nil {
		panic(err)
	}
	os.Setenv("XDG_STATE_HOME", dir+"/state")
	os.Setenv("XDG_CONFIG_HOME", dir+"/config")
	os.Unsetenv("ROUNDS_CONFIG")
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}
