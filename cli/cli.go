// Package cli implements Steward's subcommands: serve (the default),
// import and diff. Each subcommand gets its arguments and writers passed
// in, so tests run them like a shell would.
package cli

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"github.com/steward-governance/steward/breaking"
)

type command struct {
	name, summary string
	run           func(ctx context.Context, args []string, stdout, stderr io.Writer) int
}

func commands() []command {
	return []command{
		{"serve", "run the web portal and JSON API (the default)", runServe},
		{"import", "import Backstage catalog-info.yaml files or a folder of OpenAPI specs", runImport},
		{"diff", "classify the changes between two OpenAPI specs (for CI); needs no database", func(ctx context.Context, args []string, stdout, stderr io.Writer) int {
			return breaking.Run(args, stdout, stderr)
		}},
		{"lint", "lint OpenAPI specs with a Spectral-compatible ruleset (for CI); needs no database", runLint},
		{"token", "create an API token: token create --email EMAIL --role admin|governance|member", runToken},
		{"healthcheck", "probe a running Steward's /readyz (for container health checks)", runHealthcheck},
	}
}

// Run dispatches to a subcommand and returns the process exit status.
func Run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") && args[0] != "-h" && args[0] != "--help" && args[0] != "-help" {
		return runServe(ctx, args, stdout, stderr)
	}
	switch args[0] {
	case "help", "-h", "--help", "-help":
		usage(stdout)
		return 0
	}
	for _, c := range commands() {
		if c.name == args[0] {
			return c.run(ctx, args[1:], stdout, stderr)
		}
	}
	fmt.Fprintf(stderr, "steward: unknown command %q\n\n", args[0])
	usage(stderr)
	return 2
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "Steward: a self-hosted API governance portal.")
	fmt.Fprintln(w, "\nUsage: steward [command] [flags]")
	fmt.Fprintln(w, "\nCommands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-12s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nRun 'steward COMMAND --help' for a command's flags. Every serve flag can also be set")
	fmt.Fprintln(w, "with its STEWARD_* environment variable; see the README.")
}

// newLogger builds the process logger from the configured level and format.
func newLogger(w io.Writer, level, format string) *slog.Logger {
	var lv slog.Level
	_ = lv.UnmarshalText([]byte(level))
	opts := &slog.HandlerOptions{Level: lv}
	if format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

var getenv = os.Getenv
