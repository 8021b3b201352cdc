// Command steward-ingest-bench measures Steward's ingestion: Treblle events
// over HTTP driven by wrk against Steward's real ingest path and, in the
// same run, against a null Go server; and the rollup job draining a journal
// of millions of events. Its numbers belong in docs/benchmarks.md, never in
// timed test assertions: they depend on the machine.
//
//	steward-ingest-bench http   --duration 20s --warmup 3s --connections 32
//	steward-ingest-bench rollup --events 10000000 [--database-url postgres://...]
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
	case "http":
		return runHTTP(ctx, args[1:], stdout, stderr)
	case "rollup":
		return runRollup(ctx, args[1:], stdout, stderr)
	case "help", "-h", "--help", "-help":
		usage(stdout)
		return 0
	}
	fmt.Fprintf(stderr, "steward-ingest-bench: unknown command %q\n\n", args[0])
	usage(stderr)
	return 2
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "steward-ingest-bench: measure Steward's event ingestion and rollup.")
	fmt.Fprintln(w, "\nUsage:")
	fmt.Fprintln(w, "  steward-ingest-bench http   [--duration 20s --warmup 3s --connections 32 --threads 2 --rounds 1 --dir DIR --request-log file|off --cpuprofile FILE]")
	fmt.Fprintln(w, "  steward-ingest-bench rollup [--events 10000000 --versions 100 --database-url URL --dir DIR --cpuprofile FILE]")
	fmt.Fprintln(w, "\nThe http command needs wrk on the PATH (apt-get install -y wrk).")
	fmt.Fprintln(w, "Run 'steward-ingest-bench COMMAND --help' for a command's flags.")
}
