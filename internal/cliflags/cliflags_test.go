package cliflags

import (
	"errors"
	"flag"
	"io"
	"slices"
	"testing"
)

func TestParseInterleaved(t *testing.T) {
	tests := []struct {
		name       string
		args       []string
		positional []string
		format     string
		strict     bool
		err        error // compared with errors.Is; nil means none
		anyErr     bool  // some error, not a sentinel
	}{
		{name: "flags first", args: []string{"--format", "json", "a", "b"}, positional: []string{"a", "b"}, format: "json"},
		{name: "flags last", args: []string{"a", "b", "--format=json"}, positional: []string{"a", "b"}, format: "json"},
		{name: "flags between", args: []string{"a", "--strict", "b", "--format", "json", "c"}, positional: []string{"a", "b", "c"}, format: "json", strict: true},
		{name: "no flags", args: []string{"a"}, positional: []string{"a"}, format: "text"},
		{name: "nothing", args: nil, positional: nil, format: "text"},
		{name: "everything after -- is positional", args: []string{"--format=json", "--", "--strict", "b"}, positional: []string{"--strict", "b"}, format: "json"},
		{name: "-- after a positional", args: []string{"a", "--", "--format", "x"}, positional: []string{"a", "--format", "x"}, format: "text"},
		{name: "a lone dash is positional", args: []string{"-", "--strict"}, positional: []string{"-"}, format: "text", strict: true},
		{name: "help", args: []string{"a", "-h"}, err: flag.ErrHelp},
		{name: "unknown flag between files", args: []string{"a", "--nope", "b"}, anyErr: true},
		{name: "flag without its value", args: []string{"a", "--format"}, anyErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fs := flag.NewFlagSet("test", flag.ContinueOnError)
			fs.SetOutput(io.Discard)
			format := fs.String("format", "text", "")
			strict := fs.Bool("strict", false, "")
			got, err := ParseInterleaved(fs, tc.args)
			switch {
			case tc.err != nil || tc.anyErr:
				if err == nil || (tc.err != nil && !errors.Is(err, tc.err)) {
					t.Fatalf("error %v, want %v", err, tc.err)
				}
				return
			case err != nil:
				t.Fatal(err)
			}
			if !slices.Equal(got, tc.positional) || *format != tc.format || *strict != tc.strict {
				t.Errorf("positional %q, format %q, strict %v; want %q, %q, %v", got, *format, *strict, tc.positional, tc.format, tc.strict)
			}
		})
	}
}
