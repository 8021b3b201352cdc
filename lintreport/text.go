package lintreport

import (
	"bufio"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// writeText writes Spectral's "stylish" layout: each file with findings,
// one aligned row per finding, then a one-line summary.
func writeText(w io.Writer, results []FileResult, opts Options) error {
	bw := bufio.NewWriter(w)
	c := count(results)
	if c.total() == 0 {
		// Spectral's words, which scripts may look for.
		fmt.Fprintf(bw, "No results with a severity of '%s' found!\n", opts.FailSeverity)
		return bw.Flush()
	}
	for _, r := range results {
		if len(r.Findings) == 0 {
			continue
		}
		fmt.Fprintln(bw, r.Source)
		rows := make([][]string, len(r.Findings))
		for i, f := range r.Findings {
			rows[i] = []string{
				fmt.Sprintf("%d:%d", f.Range.Start.Line, f.Range.Start.Column),
				severityName(f.Severity),
				f.Code,
				oneLine(f.Message),
				dotPath(f.Path),
			}
		}
		writeTable(bw, rows)
		fmt.Fprintln(bw)
	}
	fmt.Fprintf(bw, "✖ %s (%s, %s, %s, %s)\n", plural(c.total(), "problem"),
		plural(c.Errors, "error"), plural(c.Warnings, "warning"), plural(c.Infos, "info"), plural(c.Hints, "hint"))
	return bw.Flush()
}

// writeTable pads every column but the last to its widest cell.
func writeTable(w io.Writer, rows [][]string) {
	if len(rows) == 0 {
		return
	}
	widths := make([]int, len(rows[0]))
	for _, row := range rows {
		for i, cell := range row {
			widths[i] = max(widths[i], utf8.RuneCountInString(cell))
		}
	}
	for _, row := range rows {
		var b strings.Builder
		for i, cell := range row {
			b.WriteString(cell)
			if i < len(row)-1 {
				b.WriteString(strings.Repeat(" ", widths[i]-utf8.RuneCountInString(cell)+2))
			}
		}
		fmt.Fprintln(w, strings.TrimRight(b.String(), " "))
	}
}

var newlines = strings.NewReplacer("\r\n", " ", "\n", " ", "\r", " ")

// oneLine keeps a multi-line message (a schema error, say) on its row.
func oneLine(s string) string {
	return newlines.Replace(s)
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
