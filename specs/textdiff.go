package specs

import (
	"fmt"
	"sort"
	"strings"

	udiff "github.com/aymanbagabas/go-udiff"
)

// Bounds on TextDiff inputs: beyond these a line-by-line diff is both slow
// to compute and useless to read in a browser.
const (
	// MaxDiffBytes is the largest text, in bytes, TextDiff compares.
	MaxDiffBytes = 5 << 20
	// MaxDiffLines is the most lines a text TextDiff compares may have.
	MaxDiffLines = 100_000
)

// diffContext is the number of unchanged lines shown around each change,
// as in `diff -u`.
const diffContext = 3

// DiffLine is one line of a unified diff, ready to render.
type DiffLine struct {
	Kind    byte   // ' ' context, '+' added, '-' removed, '@' hunk header
	Text    string // the line without its newline; for '@' the "@@ -a,b +c,d @@" header
	OldLine int    // 1-based line in the old text; 0 for '+' and '@'
	NewLine int    // 1-based line in the new text; 0 for '-' and '@'
}

// TextDiff compares two texts line by line and returns the unified diff
// with three lines of context, or nil when they are equal. It refuses texts
// over MaxDiffBytes or MaxDiffLines with an error saying so.
//
// The hunks are assembled here from go-udiff's line edits rather than with
// its ToUnified, which recounts lines from the start of the text for every
// edit and becomes quadratic on large, heavily edited files.
func TextDiff(oldName, oldText, newName, newText string) ([]DiffLine, error) {
	for _, t := range []struct{ name, text string }{{oldName, oldText}, {newName, newText}} {
		if len(t.text) > MaxDiffBytes {
			return nil, fmt.Errorf("specs: the diff is too large to show: %s is %s, over the %s limit", t.name, humanBytes(int64(len(t.text))), humanBytes(MaxDiffBytes))
		}
		if n := strings.Count(t.text, "\n"); n > MaxDiffLines {
			return nil, fmt.Errorf("specs: the diff is too large to show: %s has %d lines, over the %d line limit", t.name, n, MaxDiffLines)
		}
	}
	if oldText == newText {
		return nil, nil
	}
	edits := udiff.Lines(oldText, newText)
	if len(edits) == 0 {
		return nil, nil
	}
	oldLines, oldStarts := splitDiffLines(oldText)

	// Translate byte edits into line ranges of the old text plus the lines
	// that replace them.
	type change struct {
		from, to int // old lines [from, to), 0-based
		added    []string
	}
	lineAt := func(offset int) int { return sort.SearchInts(oldStarts, offset) }
	changes := make([]change, 0, len(edits))
	for _, e := range edits {
		added, _ := splitDiffLines(e.New)
		changes = append(changes, change{from: lineAt(e.Start), to: lineAt(e.End), added: added})
	}

	var out []DiffLine
	shift := 0 // new line index minus old line index before the current change
	for i := 0; i < len(changes); {
		// A hunk takes every following change whose unchanged gap is small
		// enough that the context of the two would touch.
		j := i + 1
		for j < len(changes) && changes[j].from-changes[j-1].to <= 2*diffContext {
			j++
		}
		start := max(0, changes[i].from-diffContext)
		end := min(len(oldLines), changes[j-1].to+diffContext)
		headerAt := len(out)
		out = append(out, DiffLine{Kind: '@'})
		oldCount, newCount := 0, 0
		newStart := start + shift
		context := func(from, to int) {
			for k := from; k < to; k++ {
				out = append(out, DiffLine{Kind: ' ', Text: oldLines[k], OldLine: k + 1, NewLine: k + shift + 1})
				oldCount++
				newCount++
			}
		}
		at := start
		for _, c := range changes[i:j] {
			context(at, c.from)
			for k := c.from; k < c.to; k++ {
				out = append(out, DiffLine{Kind: '-', Text: oldLines[k], OldLine: k + 1})
				oldCount++
			}
			for k, text := range c.added {
				out = append(out, DiffLine{Kind: '+', Text: text, NewLine: c.from + shift + k + 1})
				newCount++
			}
			shift += len(c.added) - (c.to - c.from)
			at = c.to
		}
		context(at, end)
		out[headerAt].Text = fmt.Sprintf("@@ -%s +%s @@", hunkRange(start, oldCount), hunkRange(newStart, newCount))
		i = j
	}
	return out, nil
}

// hunkRange formats one side of a hunk header the way diff -u does: an
// empty side names the line before it.
func hunkRange(start, count int) string {
	switch count {
	case 0:
		return fmt.Sprintf("%d,0", start)
	case 1:
		return fmt.Sprintf("%d", start+1)
	default:
		return fmt.Sprintf("%d,%d", start+1, count)
	}
}

// splitDiffLines splits text into lines without their newlines and returns
// the byte offset each line starts at, plus len(text) as a final entry.
func splitDiffLines(text string) ([]string, []int) {
	var lines []string
	starts := []int{0}
	for start := 0; start < len(text); {
		i := strings.IndexByte(text[start:], '\n')
		if i < 0 {
			lines = append(lines, text[start:])
			starts = append(starts, len(text))
			break
		}
		lines = append(lines, text[start:start+i])
		start += i + 1
		starts = append(starts, start)
	}
	return lines, starts
}
