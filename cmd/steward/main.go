// Command steward runs the Steward API governance portal and its tools.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/steward-governance/steward/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
