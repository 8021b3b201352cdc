// Package lintreport writes the findings of `steward lint` in the formats CI
// tools read: text for people, json in the shape of `spectral lint -f json`,
// SARIF 2.1.0 for code-scanning dashboards and JUnit XML for test reporters.
// It only formats; linting is the rules package's job.
package lintreport

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"unicode"

	"github.com/steward-governance/steward/rules"
)

// Format names an output format.
type Format string

// The formats Write knows.
const (
	Text  Format = "text"
	JSON  Format = "json"
	SARIF Format = "sarif"
	JUnit Format = "junit"
)

// Formats lists every format, in the order usage messages show them.
var Formats = []Format{Text, JSON, SARIF, JUnit}

// ParseFormat reads a --format value.
func ParseFormat(s string) (Format, error) {
	for _, f := range Formats {
		if string(f) == s {
			return f, nil
		}
	}
	return "", fmt.Errorf("unknown format %q: want text, json, sarif or junit", s)
}

// FileResult is what linting one spec file found.
type FileResult struct {
	// Source names the file in the report. steward lint passes an absolute
	// path with forward slashes, which is what Spectral writes.
	Source   string
	Findings []rules.Finding
}

// Options carries what some formats need beyond the findings.
type Options struct {
	// Ruleset supplies SARIF's rule descriptions and documentation links;
	// nil lists only the rules that fired, without descriptions.
	Ruleset *rules.Ruleset
	// FailSeverity is the level that fails the run: JUnit reports the
	// findings at or above it as failures, and the text report names it
	// when nothing was found. The zero value is rules.Error.
	FailSeverity rules.Severity
	// BaseDir is the folder SARIF locations are made relative to (code
	// scanning wants paths relative to the checkout); files outside it get
	// absolute file URIs. Empty means every URI is absolute.
	BaseDir string
	// Version is Steward's version for SARIF's tool.driver.version; empty
	// leaves it out.
	Version string
}

// Write renders results in format f. Files are reported in order of their
// Source and findings in Spectral's order (position, then rule, then path),
// so output does not depend on how the files were given.
func Write(w io.Writer, f Format, results []FileResult, opts Options) error {
	results = sortedResults(results)
	var err error
	switch f {
	case Text:
		err = writeText(w, results, opts)
	case JSON:
		err = writeJSON(w, results)
	case SARIF:
		err = writeSARIF(w, results, opts)
	case JUnit:
		err = writeJUnit(w, results, opts)
	default:
		return fmt.Errorf("lintreport: unknown format %q", f)
	}
	if err != nil {
		return fmt.Errorf("lintreport: write %s report: %w", f, err)
	}
	return nil
}

// counts tallies findings by severity.
type counts struct {
	Errors, Warnings, Infos, Hints int
}

func (c counts) total() int { return c.Errors + c.Warnings + c.Infos + c.Hints }

func count(results []FileResult) counts {
	var c counts
	for _, r := range results {
		for _, f := range r.Findings {
			switch f.Severity {
			case rules.Error:
				c.Errors++
			case rules.Warn:
				c.Warnings++
			case rules.Info:
				c.Infos++
			case rules.Hint:
				c.Hints++
			}
		}
	}
	return c
}

// Failing reports whether any finding is at or above threshold: the
// condition for exit status 1, as in Spectral's --fail-severity.
func Failing(results []FileResult, threshold rules.Severity) bool {
	for _, r := range results {
		for _, f := range r.Findings {
			if atOrAbove(f.Severity, threshold) {
				return true
			}
		}
	}
	return false
}

// atOrAbove compares severities, where a lower number is more severe.
func atOrAbove(s, threshold rules.Severity) bool { return s != rules.Off && s <= threshold }

// sortedResults copies results into Spectral's order without touching the
// caller's slices.
func sortedResults(results []FileResult) []FileResult {
	out := make([]FileResult, len(results))
	for i, r := range results {
		out[i] = FileResult{Source: r.Source, Findings: append([]rules.Finding(nil), r.Findings...)}
		sort.SliceStable(out[i].Findings, func(a, b int) bool {
			return lessFinding(out[i].Findings[a], out[i].Findings[b])
		})
	}
	sort.SliceStable(out, func(a, b int) bool { return out[a].Source < out[b].Source })
	return out
}

func lessFinding(a, b rules.Finding) bool {
	if a.Range.Start.Line != b.Range.Start.Line {
		return a.Range.Start.Line < b.Range.Start.Line
	}
	if a.Range.Start.Column != b.Range.Start.Column {
		return a.Range.Start.Column < b.Range.Start.Column
	}
	if c := naturalCompare(a.Code, b.Code); c != 0 {
		return c < 0
	}
	for i := 0; i < len(a.Path) && i < len(b.Path); i++ {
		if c := naturalCompare(a.Path[i], b.Path[i]); c != 0 {
			return c < 0
		}
	}
	return len(a.Path) < len(b.Path)
}

// naturalCompare orders strings with runs of digits compared as numbers, so
// owasp:api2 comes before owasp:api10 as it does in Spectral's reports.
func naturalCompare(a, b string) int {
	for a != "" && b != "" {
		da, db := digitRun(a), digitRun(b)
		if da > 0 && db > 0 {
			na, nb := strings.TrimLeft(a[:da], "0"), strings.TrimLeft(b[:db], "0")
			if len(na) != len(nb) {
				return cmpInt(len(na), len(nb))
			}
			if na != nb {
				return strings.Compare(na, nb)
			}
			a, b = a[da:], b[db:]
			continue
		}
		if a[0] != b[0] {
			return cmpInt(int(a[0]), int(b[0]))
		}
		a, b = a[1:], b[1:]
	}
	return cmpInt(len(a), len(b))
}

func digitRun(s string) int {
	n := 0
	for n < len(s) && s[n] >= '0' && s[n] <= '9' {
		n++
	}
	return n
}

func cmpInt(a, b int) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// severityName is the word reports use; "warning" and "information" are
// Spectral's words in its text output.
func severityName(s rules.Severity) string {
	switch s {
	case rules.Error:
		return "error"
	case rules.Warn:
		return "warning"
	case rules.Info:
		return "information"
	case rules.Hint:
		return "hint"
	}
	return "off"
}

// dotPath renders a path the way people read it: paths./pets.get.tags[0].
func dotPath(path []string) string {
	var b strings.Builder
	for i, seg := range path {
		switch {
		case isIndex(seg):
			b.WriteString("[" + seg + "]")
		case seg == "" || strings.ContainsAny(seg, ".[]'") || strings.IndexFunc(seg, unicode.IsSpace) >= 0:
			b.WriteString("['" + strings.ReplaceAll(seg, "'", `\'`) + "']")
		default:
			if i > 0 {
				b.WriteByte('.')
			}
			b.WriteString(seg)
		}
	}
	return b.String()
}

func isIndex(s string) bool { return s != "" && digitRun(s) == len(s) }
