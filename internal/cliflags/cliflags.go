// Package cliflags parses the flags of Steward's file-taking subcommands
// (steward diff, steward lint), which accept flags before, between and
// after their file arguments, as their users type them in CI scripts.
package cliflags

import "flag"

// ParseInterleaved parses fs's flags wherever they stand among the
// positional arguments and returns the positional ones in order; the flag
// package alone stops at the first positional argument. Everything after
// "--" is positional. Errors are fs.Parse's, flag.ErrHelp included, and
// the flag set has already reported them to its output.
func ParseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return positional, nil
		}
		if consumed := len(args) - len(rest); consumed > 0 && args[consumed-1] == "--" {
			return append(positional, rest...), nil
		}
		positional = append(positional, rest[0])
		args = rest[1:]
	}
}
