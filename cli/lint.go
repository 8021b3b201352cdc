package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"time"

	"github.com/steward-governance/steward/internal/cliflags"
	"github.com/steward-governance/steward/lintreport"
	"github.com/steward-governance/steward/rules"
	"github.com/steward-governance/steward/rules/doc"
)

// Exit statuses of steward lint; they are Spectral's, so CI steps written
// for `spectral lint` read them the same way.
const (
	lintOK       = 0 // no finding at or above --fail-severity
	lintFindings = 1 // findings at or above --fail-severity
	lintTrouble  = 2 // bad arguments, an unusable ruleset or spec, or an unfinished run
)

const defaultStandard = "steward:recommended"

const lintUsage = "usage: steward lint [--ruleset FILE | --standard NAME] [--format text|json|sarif|junit] [--fail-severity error|warn|info|hint] [--timeout 60s] SPEC..."

// lintSpec is one spec file read and parsed, ready to lint.
type lintSpec struct {
	arg    string // as given, for messages
	source string // as reports name it: absolute, forward slashes
	src    []byte
	doc    *doc.Document
}

// runLint is `steward lint`: it lints spec files with a ruleset and writes a
// report. It needs no database and no server.
func runLint(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fset := flag.NewFlagSet("steward lint", flag.ContinueOnError)
	fset.SetOutput(stderr)
	var rulesetFile, standard, format, failSeverity string
	var displayOnlyFailures, ignoreUnknownFormat bool
	fset.StringVar(&rulesetFile, "ruleset", "", "lint with the ruleset in `FILE` (Spectral YAML or JSON; local extends are read next to it)")
	fset.StringVar(&standard, "standard", "", "lint with a built-in ruleset `NAME`: "+strings.Join(standardNames(), ", ")+" (default "+defaultStandard+")")
	fset.StringVar(&format, "format", string(lintreport.Text), "report `format`: text, json (as spectral lint -f json), sarif or junit")
	fset.StringVar(&failSeverity, "fail-severity", "error", "exit with status 1 when a finding is at or above this `level`: error, warn, info or hint")
	fset.BoolVar(&displayOnlyFailures, "display-only-failures", false, "report only the findings at or above --fail-severity")
	fset.BoolVar(&ignoreUnknownFormat, "ignore-unknown-format", false, "do not warn about files that are not OpenAPI 2 or 3")
	// Spectral's one-letter forms, so a CI step written for spectral lint
	// can swap binaries.
	fset.StringVar(&rulesetFile, "r", "", "short for --ruleset")
	fset.StringVar(&format, "f", string(lintreport.Text), "short for --format")
	fset.StringVar(&failSeverity, "F", "error", "short for --fail-severity")
	fset.BoolVar(&displayOnlyFailures, "D", false, "short for --display-only-failures")
	timeout := fset.Duration("timeout", 60*time.Second, "give up, with exit status 2, when linting takes longer than this (0: no limit)")
	fset.Usage = func() {
		fmt.Fprintln(stderr, lintUsage)
		fmt.Fprintln(stderr, "\nLints OpenAPI files with a Spectral-compatible ruleset. Exit status: 0 when no finding is")
		fmt.Fprintln(stderr, "at or above --fail-severity, 1 when one is, 2 when the run could not be completed.")
		fset.PrintDefaults()
	}

	specArgs, err := cliflags.ParseInterleaved(fset, args)
	if errors.Is(err, flag.ErrHelp) {
		return lintOK
	}
	if err != nil {
		return lintTrouble // the flag package has said why
	}
	fail := func(msg string, a ...any) int {
		fmt.Fprintf(stderr, "steward lint: "+msg+"\n", a...)
		return lintTrouble
	}
	if len(specArgs) == 0 {
		return fail("no spec files given\n%s", lintUsage)
	}
	outFormat, err := lintreport.ParseFormat(format)
	if err != nil {
		return fail("--format: %v", err)
	}
	threshold, err := parseFailSeverity(failSeverity)
	if err != nil {
		return fail("--fail-severity: %v", err)
	}
	if rulesetFile != "" && standard != "" {
		return fail("give --ruleset or --standard, not both")
	}
	if *timeout < 0 {
		return fail("--timeout must not be negative")
	}

	rs, rulesetDir, err := loadLintRuleset(rulesetFile, standard)
	if err != nil {
		return fail("%v", err)
	}
	specs, problems := readSpecs(specArgs)
	if len(problems) > 0 {
		for _, p := range problems {
			fmt.Fprintf(stderr, "steward lint: %s\n", p)
		}
		return lintTrouble
	}

	if *timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, *timeout)
		defer cancel()
	}
	results := make([]lintreport.FileResult, 0, len(specs))
	for _, s := range specs {
		rep, err := rs.Lint(ctx, s.doc, rules.LintOptions{Source: overrideSource(s.source, rulesetDir)})
		if err != nil {
			// A partial report is not written: it could pass for a clean one.
			if errors.Is(err, rules.ErrTimeout) {
				if errors.Is(ctx.Err(), context.DeadlineExceeded) {
					return fail("%s: evaluation timed out after %s; no report written (raise --timeout)", s.arg, *timeout)
				}
				return fail("%s: evaluation interrupted; no report written", s.arg)
			}
			return fail("%s: %v", s.arg, err)
		}
		if len(rep.RuleErrors) > 0 {
			for _, re := range rep.RuleErrors {
				fmt.Fprintf(stderr, "steward lint: %s: rule %s could not be evaluated: %v\n", s.arg, re.Rule, re.Err)
			}
			return fail("%s: %d rule(s) could not be evaluated; no report written", s.arg, len(rep.RuleErrors))
		}
		findings := lintreport.SpectralRanges(s.src, s.doc, rep.Findings)
		if len(rep.Formats) == 0 && !ignoreUnknownFormat {
			findings = append([]rules.Finding{unrecognizedFormat()}, findings...)
		}
		if displayOnlyFailures {
			findings = onlyFailures(findings, threshold)
		}
		results = append(results, lintreport.FileResult{Source: s.source, Findings: findings})
	}

	cwd, _ := os.Getwd()
	opts := lintreport.Options{Ruleset: rs, FailSeverity: threshold, BaseDir: cwd, Version: stewardVersion()}
	if err := lintreport.Write(stdout, outFormat, results, opts); err != nil {
		return fail("%v", err)
	}
	if lintreport.Failing(results, threshold) {
		return lintFindings
	}
	return lintOK
}

// loadLintRuleset reads --ruleset, or the built-in --standard, or Steward's
// default standard. It returns the folder override globs are relative to
// (empty for built-ins).
func loadLintRuleset(file, standard string) (*rules.Ruleset, string, error) {
	if file == "" {
		if standard == "" {
			standard = defaultStandard
		}
		if !knownStandard(standard) {
			return nil, "", fmt.Errorf("unknown --standard %q: want one of %s", standard, strings.Join(standardNames(), ", "))
		}
		rs, err := rules.Builtin(standard)
		if err != nil {
			return nil, "", fmt.Errorf("built-in ruleset %s: %w", standard, err)
		}
		return rs, "", nil
	}
	if st, err := os.Stat(file); err != nil {
		return nil, "", fmt.Errorf("cannot read ruleset %s: %w", file, unwrapPathError(err))
	} else if st.IsDir() {
		return nil, "", fmt.Errorf("ruleset %s is a folder, not a file", file)
	}
	abs, err := filepath.Abs(file)
	if err != nil {
		return nil, "", fmt.Errorf("ruleset %s: %w", file, err)
	}
	// The ruleset is read from the file system's root, not its own folder,
	// so that it may extend "../shared/base.yaml" as Spectral rulesets do.
	vol := filepath.VolumeName(abs)
	root := vol + string(filepath.Separator)
	name := filepath.ToSlash(strings.TrimPrefix(abs[len(vol):], string(filepath.Separator)))
	rs, err := rules.Load(os.DirFS(root), name)
	if err != nil {
		if le, ok := errors.AsType[*rules.LoadError](err); ok && !strings.HasPrefix(le.File, "builtin ") {
			named := *le
			named.File = displayPath(filepath.Join(root, filepath.FromSlash(le.File)))
			if chain, ok := strings.CutPrefix(le.Msg, "circular extends: "); ok {
				files := strings.Split(chain, " -> ")
				for i, f := range files {
					files[i] = displayPath(filepath.Join(root, filepath.FromSlash(f)))
				}
				named.Msg = "circular extends: " + strings.Join(files, " -> ")
			}
			return nil, "", fmt.Errorf("invalid ruleset: %w", &named)
		}
		return nil, "", fmt.Errorf("invalid ruleset %s: %w", file, err)
	}
	return rs, filepath.Dir(abs), nil
}

// displayPath names a file relative to the working folder when it is
// inside it, as the user would type it.
func displayPath(abs string) string {
	if cwd, err := os.Getwd(); err == nil {
		if rel, err := filepath.Rel(cwd, abs); err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
			return rel
		}
	}
	return abs
}

// standardNames are the names --standard accepts.
func standardNames() []string {
	return append(rules.BuiltinNames(), "spectral:owasp")
}

func knownStandard(name string) bool {
	for _, n := range standardNames() {
		if n == name {
			return true
		}
	}
	return false
}

// readSpecs reads and parses every spec before anything is linted, so one
// bad file is reported with all the others and no half report is written.
// An argument that names no file but holds a glob pattern is expanded,
// as Spectral does for quoted patterns.
func readSpecs(args []string) ([]lintSpec, []string) {
	var specs []lintSpec
	var problems []string
	seen := map[string]bool{}
	for _, arg := range args {
		paths := []string{arg}
		if _, err := os.Stat(arg); err != nil && strings.ContainsAny(arg, "*?[") {
			matches, globErr := filepath.Glob(arg)
			if globErr != nil || len(matches) == 0 {
				problems = append(problems, fmt.Sprintf("no spec file matches %s", arg))
				continue
			}
			paths = matches
		}
		for _, p := range paths {
			abs, err := filepath.Abs(p)
			if err != nil {
				abs = p
			}
			if seen[abs] {
				continue
			}
			seen[abs] = true
			src, err := os.ReadFile(p)
			if err != nil {
				if st, statErr := os.Stat(p); statErr == nil && st.IsDir() {
					problems = append(problems, fmt.Sprintf("spec %s is a folder; name the spec files (a quoted glob such as '%s' works)", p, filepath.Join(p, "*.yaml")))
				} else {
					problems = append(problems, fmt.Sprintf("cannot read spec %s: %v", p, unwrapPathError(err)))
				}
				continue
			}
			d, err := doc.ParseDocument(src)
			if err != nil {
				problems = append(problems, fmt.Sprintf("spec %s is not valid JSON or YAML: %v", p, err))
				continue
			}
			specs = append(specs, lintSpec{arg: p, source: filepath.ToSlash(abs), src: src, doc: d})
		}
	}
	return specs, problems
}

// unwrapPathError drops the path an *fs.PathError repeats.
func unwrapPathError(err error) error {
	if pe, ok := errors.AsType[*fs.PathError](err); ok {
		return pe.Err
	}
	return err
}

// overrideSource is the spec's path as a ruleset's overrides see it:
// relative to the ruleset's folder, as in Spectral.
func overrideSource(source, rulesetDir string) string {
	if rulesetDir == "" {
		return source
	}
	rel, err := filepath.Rel(rulesetDir, filepath.FromSlash(source))
	if err != nil {
		return source
	}
	return filepath.ToSlash(rel)
}

func parseFailSeverity(s string) (rules.Severity, error) {
	switch s {
	case "error":
		return rules.Error, nil
	case "warn":
		return rules.Warn, nil
	case "info":
		return rules.Info, nil
	case "hint":
		return rules.Hint, nil
	}
	return rules.Off, fmt.Errorf("unknown level %q: want error, warn, info or hint", s)
}

// unrecognizedFormat is the warning Spectral gives for a document that is
// neither OpenAPI 2 nor 3: most rules skip such a file, and silence must
// not read as a pass.
func unrecognizedFormat() rules.Finding {
	return rules.Finding{
		Code:     "unrecognized-format",
		Message:  `The document is not OpenAPI 2.0 or 3.x: it has no "swagger: 2.0" or "openapi: 3.x" field, so rules for OpenAPI did not run.`,
		Severity: rules.Warn,
		Path:     []string{},
		Range:    doc.Range{Start: doc.Pos{Line: 1, Column: 1}, End: doc.Pos{Line: 1, Column: 1}},
	}
}

func onlyFailures(findings []rules.Finding, threshold rules.Severity) []rules.Finding {
	var out []rules.Finding
	for _, f := range findings {
		if f.Severity != rules.Off && f.Severity <= threshold {
			out = append(out, f)
		}
	}
	return out
}

// stewardVersion is the module version the binary was built from, when Go
// recorded one.
func stewardVersion() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return ""
}
