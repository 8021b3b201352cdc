package breaking

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

// Formats accepted by Format.
const (
	FormatText     = "text"
	FormatJSON     = "json"
	FormatMarkdown = "markdown"
)

// Format writes r to w as "text" (for a terminal or CI log), "json" (for
// machines; it reads back into a Report) or "markdown" (for a pull request
// comment). An empty format means text.
func Format(w io.Writer, r Report, format string) error {
	var err error
	switch format {
	case FormatText, "":
		err = writeText(w, r)
	case FormatJSON:
		err = writeJSON(w, r)
	case FormatMarkdown:
		err = writeMarkdown(w, r)
	default:
		return fmt.Errorf("breaking: unknown format %q (want text, json or markdown)", format)
	}
	if err != nil {
		return fmt.Errorf("breaking: write %s report: %w", format, err)
	}
	return nil
}

// summary is the one line that ends a text report and heads a markdown one.
func summary(r Report) string {
	if len(r.Changes) == 0 {
		return "No changes between the two revisions."
	}
	return fmt.Sprintf("%s: %d breaking, %d warning, %d info.",
		plural(len(r.Changes), "change"), r.Count(Breaking), r.Count(Warning), r.Count(Info))
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// describe renders a location as "pointer (line N)", or "" when unknown.
func describe(l Location) string {
	switch {
	case l.Path != "" && l.Line > 0:
		return fmt.Sprintf("%s (line %d)", l.Path, l.Line)
	case l.Path != "":
		return l.Path
	case l.Line > 0:
		return fmt.Sprintf("line %d", l.Line)
	}
	return ""
}

// writeText prints two lines per change: what happened, then where.
//
//	breaking  GET /pets  added the new required `query` request parameter `limit`
//	          new-required-request-parameter; new: /paths/~1pets/get/parameters/1 (line 40)
func writeText(w io.Writer, r Report) error {
	bw := bufio.NewWriter(w)
	for _, c := range r.Changes {
		head := fmt.Sprintf("%-8s  ", c.Level)
		if c.Operation != "" {
			head += c.Operation + "  "
		}
		fmt.Fprintf(bw, "%s%s\n", head, c.Text)
		where := []string{c.ID}
		if s := describe(c.Old); s != "" {
			where = append(where, "old: "+s)
		}
		if s := describe(c.New); s != "" {
			where = append(where, "new: "+s)
		}
		fmt.Fprintf(bw, "%10s%s\n", "", strings.Join(where, "; "))
	}
	fmt.Fprintln(bw, summary(r))
	return bw.Flush()
}

// jsonReport is the JSON shape: the counts up front so a CI step can read
// them without walking the list.
type jsonReport struct {
	Worst   Level          `json:"worst"`
	Counts  map[string]int `json:"counts"`
	Changes []Change       `json:"changes"`
}

func writeJSON(w io.Writer, r Report) error {
	out := jsonReport{
		Worst: r.Worst(),
		Counts: map[string]int{
			Breaking.String(): r.Count(Breaking),
			Warning.String():  r.Count(Warning),
			Info.String():     r.Count(Info),
		},
		Changes: r.Changes,
	}
	if out.Changes == nil {
		out.Changes = []Change{}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

func writeMarkdown(w io.Writer, r Report) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "%s\n", summary(r))
	if len(r.Changes) > 0 {
		fmt.Fprint(bw, "\n| Level | Operation | Change | Check | Old | New |\n")
		fmt.Fprint(bw, "|---|---|---|---|---|---|\n")
		for _, c := range r.Changes {
			fmt.Fprintf(bw, "| %s | %s | %s | `%s` | %s | %s |\n",
				c.Level, cell(c.Operation), cell(c.Text), c.ID, codeCell(describe(c.Old)), codeCell(describe(c.New)))
		}
	}
	return bw.Flush()
}

var cellEscaper = strings.NewReplacer("|", `\|`, "\r\n", " ", "\n", " ", "\r", " ")

// cell makes s safe inside one markdown table cell.
func cell(s string) string { return cellEscaper.Replace(s) }

// codeCell shows a location in code style, where "~1" and "_" stay literal.
func codeCell(s string) string {
	if s == "" {
		return ""
	}
	return "`" + strings.ReplaceAll(cell(s), "`", "'") + "`"
}
