// Command steward-bench fills a database with a synthetic catalogue and
// measures how fast Steward's catalogue pages answer under concurrent load.
// Its numbers belong in docs/benchmarks.md, never in timed test assertions:
// they depend on the machine.
//
//	steward-bench generate --database-url /tmp/bench.db --apis 10000
//	steward-bench run --database-url /tmp/bench.db --concurrency 32 --duration 20s
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := dispatch(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

func dispatch(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stderr)
		return 2
	}
	switch args[0] {
	case "generate":
		return runGenerate(ctx, args[1:], stdout, stderr)
	case "run":
		return runBench(ctx, args[1:], stdout, stderr)
	case "queries":
		return runQueries(ctx, args[1:], stdout, stderr)
	case "help", "-h", "--help", "-help":
		usage(stdout)
		return 0
	}
	fmt.Fprintf(stderr, "steward-bench: unknown command %q\n\n", args[0])
	usage(stderr)
	return 2
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "steward-bench: load a synthetic catalogue and measure Steward's pages.")
	fmt.Fprintln(w, "\nUsage:")
	fmt.Fprintln(w, "  steward-bench generate --database-url URL [--apis 10000 --endpoints-per-api 10 --teams 40 --seed 1]")
	fmt.Fprintln(w, "  steward-bench run      --database-url URL [--concurrency 32 --duration 20s --warmup 3s --cpuprofile FILE]")
	fmt.Fprintln(w, "  steward-bench queries  --database-url URL [--samples 40]   (each SQL statement of a page, timed alone)")
	fmt.Fprintln(w, "\nRun 'steward-bench COMMAND --help' for a command's flags.")
}
