package specs

import (
	"fmt"
	"math/rand/v2"
	"regexp"
	"strings"
	"testing"

	udiff "github.com/aymanbagabas/go-udiff"
)

// render prints DiffLines the way diff -u does, without file headers.
func render(lines []DiffLine) string {
	var b strings.Builder
	for _, l := range lines {
		if l.Kind == '@' {
			b.WriteString(l.Text + "\n")
			continue
		}
		b.WriteByte(l.Kind)
		b.WriteString(l.Text + "\n")
	}
	return b.String()
}

func numbered(n int, change map[int]string) string {
	var b strings.Builder
	for i := 1; i <= n; i++ {
		if s, ok := change[i]; ok {
			if s != "" {
				b.WriteString(s + "\n")
			}
			continue
		}
		fmt.Fprintf(&b, "line %d\n", i)
	}
	return b.String()
}

func TestTextDiff(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		old, new string
		want     string
	}{
		{name: "equal", old: "a\nb\n", new: "a\nb\n", want: ""},
		{name: "both empty", old: "", new: "", want: ""},
		{name: "one line changed", old: "a\nb\nc\n", new: "a\nB\nc\n", want: "@@ -1,3 +1,3 @@\n a\n-b\n+B\n c\n"},
		{name: "added to empty", old: "", new: "x\ny\n", want: "@@ -0,0 +1,2 @@\n+x\n+y\n"},
		{name: "all removed", old: "x\n", new: "", want: "@@ -1 +0,0 @@\n-x\n"},
		{
			name: "context is three lines", old: numbered(10, nil), new: numbered(10, map[int]string{5: "five"}),
			want: "@@ -2,7 +2,7 @@\n line 2\n line 3\n line 4\n-line 5\n+five\n line 6\n line 7\n line 8\n",
		},
		{
			name: "distant changes make two hunks", old: numbered(20, nil), new: numbered(20, map[int]string{2: "two", 18: ""}),
			want: "@@ -1,5 +1,5 @@\n line 1\n-line 2\n+two\n line 3\n line 4\n line 5\n" +
				"@@ -15,6 +15,5 @@\n line 15\n line 16\n line 17\n-line 18\n line 19\n line 20\n",
		},
		{
			name: "a deletion shifts later new-side numbers", old: numbered(20, nil), new: numbered(20, map[int]string{2: "", 18: "eighteen"}),
			want: "@@ -1,5 +1,4 @@\n line 1\n-line 2\n line 3\n line 4\n line 5\n" +
				"@@ -15,6 +14,6 @@\n line 15\n line 16\n line 17\n-line 18\n+eighteen\n line 19\n line 20\n",
		},
		{
			name: "near changes share a hunk", old: numbered(12, nil), new: numbered(12, map[int]string{2: "two", 9: "nine"}),
			want: "@@ -1,12 +1,12 @@\n line 1\n-line 2\n+two\n line 3\n line 4\n line 5\n line 6\n line 7\n line 8\n-line 9\n+nine\n line 10\n line 11\n line 12\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := TextDiff("old.yaml", tt.old, "new.yaml", tt.new)
			if err != nil {
				t.Fatalf("TextDiff: %v", err)
			}
			if r := render(got); r != tt.want {
				t.Errorf("diff =\n%s\nwant\n%s", r, tt.want)
			}
		})
	}
}

// TestTextDiffLineNumbers checks each line's numbers point at the same
// text in the old and new inputs.
func TestTextDiffLineNumbers(t *testing.T) {
	t.Parallel()
	old := numbered(40, nil)
	new := numbered(40, map[int]string{3: "", 10: "ten\nten and a half", 30: "thirty"})
	got, err := TextDiff("a", old, "b", new)
	if err != nil {
		t.Fatal(err)
	}
	oldLines, newLines := strings.Split(old, "\n"), strings.Split(new, "\n")
	for _, l := range got {
		if l.Kind == ' ' || l.Kind == '-' {
			if l.OldLine < 1 || oldLines[l.OldLine-1] != l.Text {
				t.Errorf("%c %q claims old line %d", l.Kind, l.Text, l.OldLine)
			}
		}
		if l.Kind == ' ' || l.Kind == '+' {
			if l.NewLine < 1 || newLines[l.NewLine-1] != l.Text {
				t.Errorf("%c %q claims new line %d", l.Kind, l.Text, l.NewLine)
			}
		}
		if l.Kind == '-' && l.NewLine != 0 || l.Kind == '+' && l.OldLine != 0 || l.Kind == '@' && (l.OldLine != 0 || l.NewLine != 0) {
			t.Errorf("line %+v has a number for the wrong side", l)
		}
	}
}

// newSide drops the new-file range from hunk headers: go-udiff v0.4.1
// miscounts it after deletions (TestTextDiffLineNumbers checks ours).
var newSide = regexp.MustCompile(`(?m)^(@@ -\S+) \+\S+ @@$`)

// TestTextDiffMatchesUnified cross-checks the hunk assembly against
// go-udiff's own unified output on random edits.
func TestTextDiffMatchesUnified(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 200 {
		n := 1 + rng.IntN(60)
		changes := map[int]string{}
		for range rng.IntN(8) {
			line := 1 + rng.IntN(n)
			switch rng.IntN(3) {
			case 0:
				changes[line] = ""
			case 1:
				changes[line] = fmt.Sprintf("changed %d", line)
			default:
				changes[line] = fmt.Sprintf("line %d\ninserted after %d", line, line)
			}
		}
		old, new := numbered(n, nil), numbered(n, changes)
		got, err := TextDiff("a", old, "b", new)
		if err != nil {
			t.Fatal(err)
		}
		want := udiff.Unified("a", "b", old, new)
		want = strings.TrimPrefix(want, "--- a\n+++ b\n")
		if r := newSide.ReplaceAllString(render(got), "$1"); r != newSide.ReplaceAllString(want, "$1") {
			t.Fatalf("case %d: diff =\n%s\ngo-udiff says\n%s", i, r, want)
		}
	}
}

func TestTextDiffTooLarge(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		old, new string
		mention  string
	}{
		{"old over 5 MB", strings.Repeat("x", MaxDiffBytes+1), "", "old.yaml is 5.0 MB"},
		{"new over 100000 lines", "", strings.Repeat("\n", MaxDiffLines+1), "new.yaml has 100001 lines"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := TextDiff("old.yaml", tt.old, "new.yaml", tt.new)
			if err == nil || !strings.Contains(err.Error(), "too large to show") || !strings.Contains(err.Error(), tt.mention) {
				t.Fatalf("err = %v, want it to say the diff is too large and mention %q", err, tt.mention)
			}
		})
	}
}

func BenchmarkTextDiffLarge(b *testing.B) {
	changes := map[int]string{}
	for i := 1; i < 90_000; i += 7 {
		changes[i] = "changed"
	}
	old, new := numbered(90_000, nil), numbered(90_000, changes)
	for b.Loop() {
		if _, err := TextDiff("a", old, "b", new); err != nil {
			b.Fatal(err)
		}
	}
}
