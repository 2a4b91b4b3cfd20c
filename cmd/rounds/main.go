// Command rounds is the terminal app biomed technicians carry on floor
// rounds: it sweeps a room over BLE and IP, reconciles what it saw against
// the offline inventory, and syncs corrections to the CMDB.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
