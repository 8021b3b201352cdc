package breaking

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/steward-governance/steward/internal/cliflags"
)

// Exit statuses of Run, for CI gates.
const (
	ExitOK      = 0 // nothing at or above the --fail-on level
	ExitChanges = 1 // changes at or above the --fail-on level
	ExitUsage   = 2 // bad arguments, or a spec that cannot be read or loaded
)

const usage = "usage: steward diff OLD NEW [--format text|json|markdown] [--fail-on breaking|warning]"

// Run is `steward diff`: it compares the spec files OLD and NEW, writes the
// report to stdout and returns the exit status. args are the arguments after
// the subcommand name (a leading "diff" is tolerated); flags may come before,
// between or after the two files.
func Run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("steward diff", flag.ContinueOnError)
	fs.SetOutput(stderr)
	format := fs.String("format", FormatText, "report format: text, json or markdown")
	failOn := fs.String("fail-on", Breaking.String(), "exit with status 1 when a change is at or above this level: breaking or warning")
	fs.Usage = func() {
		fmt.Fprintln(stderr, usage)
		fs.PrintDefaults()
	}

	files, err := cliflags.ParseInterleaved(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		return ExitOK
	}
	if err != nil {
		return ExitUsage // the flag package has already said why
	}
	if len(files) == 3 && files[0] == "diff" {
		files = files[1:]
	}
	if len(files) != 2 {
		fmt.Fprintf(stderr, "steward diff: want two spec files, OLD and NEW, got %d\n%s\n", len(files), usage)
		return ExitUsage
	}
	switch *format {
	case FormatText, FormatJSON, FormatMarkdown:
	default:
		fmt.Fprintf(stderr, "steward diff: unknown --format %q: want text, json or markdown\n", *format)
		return ExitUsage
	}
	threshold, err := ParseLevel(*failOn)
	if err != nil || threshold == Info {
		fmt.Fprintf(stderr, "steward diff: unknown --fail-on %q: want breaking or warning\n", *failOn)
		return ExitUsage
	}

	sides := [2]string{SideOld, SideNew}
	var specs [2][]byte
	for i, path := range files {
		if specs[i], err = os.ReadFile(path); err != nil {
			fmt.Fprintf(stderr, "steward diff: read %s spec: %v\n", sides[i], err)
			return ExitUsage
		}
	}
	report, err := Compare(context.Background(), specs[0], specs[1])
	if err != nil {
		if le, ok := errors.AsType[*LoadError](err); ok {
			path := files[0]
			if le.Side == SideNew {
				path = files[1]
			}
			fmt.Fprintf(stderr, "steward diff: %s spec %s: %v\n", le.Side, path, le.Err)
		} else {
			fmt.Fprintf(stderr, "steward diff: %v\n", err)
		}
		return ExitUsage
	}
	if err := Format(stdout, report, *format); err != nil {
		fmt.Fprintf(stderr, "steward diff: %v\n", err)
		return ExitUsage
	}
	if len(report.Changes) > 0 && report.Worst() >= threshold {
		return ExitChanges
	}
	return ExitOK
}
