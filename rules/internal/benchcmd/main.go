// Command benchcmd writes the rule engine's benchmark document to a file, so
// other linters can be run on the same bytes, and lints a file the way the
// benchmark does, reporting wall time, CPU time and peak memory.
//
//	go run ./rules/internal/benchcmd spec -corpus ../shared/corpus -o /tmp/bench-13mb.json
//	go build -o /tmp/benchcmd ./rules/internal/benchcmd
//	/usr/bin/time -v /tmp/benchcmd lint /tmp/bench-13mb.json
//
// docs/benchmarks.md ("Rule engine") has the whole procedure.
package main

import (
	"context"
	"crypto/sha256"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"syscall"
	"time"

	"github.com/steward-governance/steward/rules"
	"github.com/steward-governance/steward/rules/internal/benchspec"
)

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	var err error
	switch os.Args[1] {
	case "spec":
		err = writeSpec(os.Args[2:])
	case "lint":
		err = lint(os.Args[2:])
	default:
		usage()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchcmd:", err)
		os.Exit(1)
	}
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: benchcmd spec -corpus DIR -o FILE | benchcmd lint [-ruleset FILE] [-runs N] FILE")
	os.Exit(2)
}

func writeSpec(args []string) error {
	fs := flag.NewFlagSet("spec", flag.ExitOnError)
	corpus := fs.String("corpus", "../shared/corpus", "the shared corpus folder (with specs/)")
	out := fs.String("o", "bench-13mb.json", "where to write the document")
	size := fs.Int("size", benchspec.Size13MB, "minimum size in bytes")
	_ = fs.Parse(args)
	src, err := benchspec.Build(*corpus, *size)
	if err != nil {
		return err
	}
	if err := os.WriteFile(*out, src, 0o644); err != nil {
		return err
	}
	fmt.Printf("%s: %d bytes, sha256 %x\n", *out, len(src), sha256.Sum256(src))
	return nil
}

func lint(args []string) error {
	fs := flag.NewFlagSet("lint", flag.ExitOnError)
	rulesetFile := fs.String("ruleset", "", "ruleset file (default: extends [[spectral:oas, all]])")
	runs := fs.Int("runs", 1, "how many times to read, parse and lint the file in this process")
	_ = fs.Parse(args)
	if fs.NArg() != 1 {
		usage()
	}
	var rs *rules.Ruleset
	var err error
	if *rulesetFile == "" {
		rs, err = rules.Parse([]byte("extends: [[spectral:oas, all]]"), "bench.yaml", nil)
	} else {
		rs, err = rules.Load(os.DirFS(filepath.Dir(*rulesetFile)), filepath.Base(*rulesetFile))
	}
	if err != nil {
		return err
	}
	for i := 0; i < *runs; i++ {
		start := time.Now()
		src, err := os.ReadFile(fs.Arg(0))
		if err != nil {
			return err
		}
		rep, err := rs.LintBytes(context.Background(), src, rules.LintOptions{Source: fs.Arg(0)})
		if err != nil {
			return err
		}
		fmt.Printf("run %d: %.3f s, %d findings, %d rule errors\n", i+1, time.Since(start).Seconds(), len(rep.Findings), len(rep.RuleErrors))
	}
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err == nil {
		cpu := time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
		// Linux reports ru_maxrss in KiB.
		fmt.Printf("process: cpu %.3f s (user %.3f, sys %.3f), peak RSS %.0f MB, GOMAXPROCS %d\n",
			cpu.Seconds(), time.Duration(ru.Utime.Nano()).Seconds(), time.Duration(ru.Stime.Nano()).Seconds(),
			float64(ru.Maxrss)*1024/1e6, runtime.GOMAXPROCS(0))
	}
	return nil
}
