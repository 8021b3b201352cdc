package breaking

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

// sample is a report with one change at each level, in Report order.
var sample = Report{Changes: []Change{
	{
		ID: "api-removed-without-deprecation", Level: Breaking, Operation: "GET /pets/{id}",
		Text: "api removed without deprecation",
		Old:  Location{Path: "/paths/~1pets~1{id}/get", Line: 12, Column: 5},
	},
	{
		ID: "request-property-removed", Level: Warning, Operation: "POST /pets",
		Text: "removed the request property `tags|labels`",
		Old:  Location{Path: "/components/schemas/Pet/properties/tags", Line: 40, Column: 9},
		New:  Location{Path: "/paths/~1pets/post", Line: 20, Column: 5},
	},
	{
		ID: "endpoint-added", Level: Info, Operation: "GET /pets/count", Text: "endpoint added",
		New: Location{Path: "/paths/~1pets~1count/get", Line: 30, Column: 5},
	},
}}

func TestLevel(t *testing.T) {
	for _, l := range []Level{Info, Warning, Breaking} {
		got, err := ParseLevel(l.String())
		if err != nil || got != l {
			t.Errorf("ParseLevel(%q) = %v, %v; want %v", l.String(), got, err, l)
		}
	}
	if got := []string{Info.String(), Warning.String(), Breaking.String()}; !reflect.DeepEqual(got, []string{"info", "warning", "breaking"}) {
		t.Errorf("level names = %v", got)
	}
	if !(Info < Warning && Warning < Breaking) {
		t.Error("levels are not ordered info < warning < breaking")
	}
	if _, err := ParseLevel("error"); err == nil {
		t.Error(`ParseLevel("error") succeeded`)
	}
}

func TestReportWorstAndCount(t *testing.T) {
	tests := []struct {
		name   string
		report Report
		worst  Level
		counts [3]int // info, warning, breaking
	}{
		{"empty", Report{}, Info, [3]int{}},
		{"info only", Report{Changes: sample.Changes[2:]}, Info, [3]int{1, 0, 0}},
		{"warning and info", Report{Changes: sample.Changes[1:]}, Warning, [3]int{1, 1, 0}},
		{"all", sample, Breaking, [3]int{1, 1, 1}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.report.Worst(); got != tc.worst {
				t.Errorf("Worst() = %v, want %v", got, tc.worst)
			}
			for l, want := range tc.counts {
				if got := tc.report.Count(Level(l)); got != want {
					t.Errorf("Count(%v) = %d, want %d", Level(l), got, want)
				}
			}
		})
	}
}

func TestSortChanges(t *testing.T) {
	changes := []Change{
		{ID: "b", Level: Info, Operation: "GET /b"},
		{ID: "version", Level: Info},
		{ID: "a", Level: Breaking, Operation: "POST /a"},
		{ID: "w", Level: Warning, Operation: "GET /a"},
		{ID: "a2", Level: Breaking, Operation: "GET /a"},
		{ID: "a3", Level: Breaking, Operation: "GET /a/{id}"},
	}
	sortChanges(changes)
	var got []string
	for _, c := range changes {
		got = append(got, c.ID)
	}
	want := []string{"a2", "a", "a3", "w", "version", "b"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("order = %v, want %v", got, want)
	}
}

func TestFormat(t *testing.T) {
	tests := []struct {
		name   string
		report Report
		format string
		check  func(t *testing.T, out string)
	}{
		{"text", sample, FormatText, func(t *testing.T, out string) {
			for _, want := range []string{
				"breaking  GET /pets/{id}  api removed without deprecation",
				"api-removed-without-deprecation; old: /paths/~1pets~1{id}/get (line 12)",
				"new: /paths/~1pets~1count/get (line 30)",
				"3 changes: 1 breaking, 1 warning, 1 info.",
			} {
				if !strings.Contains(out, want) {
					t.Errorf("text output lacks %q:\n%s", want, out)
				}
			}
		}},
		{"empty format is text", sample, "", func(t *testing.T, out string) {
			if !strings.HasPrefix(out, "breaking  GET /pets/{id}") {
				t.Errorf("unexpected output:\n%s", out)
			}
		}},
		{"text without changes", Report{}, FormatText, func(t *testing.T, out string) {
			if out != "No changes between the two revisions.\n" {
				t.Errorf("output = %q", out)
			}
		}},
		{"json parses back", sample, FormatJSON, func(t *testing.T, out string) {
			var got struct {
				Worst   Level
				Counts  map[string]int
				Changes []Change
			}
			if err := json.Unmarshal([]byte(out), &got); err != nil {
				t.Fatalf("output is not JSON: %v\n%s", err, out)
			}
			if !reflect.DeepEqual(got.Changes, sample.Changes) {
				t.Errorf("changes did not round-trip:\n got %+v\nwant %+v", got.Changes, sample.Changes)
			}
			if got.Worst != Breaking || got.Counts["warning"] != 1 {
				t.Errorf("worst = %v, counts = %v", got.Worst, got.Counts)
			}
			if !strings.Contains(out, `"level": "breaking"`) {
				t.Error("levels are not written by name")
			}
			if strings.Contains(out, `"old": {}`) {
				t.Error("an unknown location is written as an empty object")
			}
		}},
		{"json without changes is an empty list", Report{}, FormatJSON, func(t *testing.T, out string) {
			if !strings.Contains(out, `"changes": []`) || !strings.Contains(out, `"worst": "info"`) {
				t.Errorf("output:\n%s", out)
			}
		}},
		{"markdown table", sample, FormatMarkdown, func(t *testing.T, out string) {
			lines := strings.Split(strings.TrimSpace(out), "\n")
			if len(lines) != 2+2+len(sample.Changes) {
				t.Fatalf("want summary, blank, header, rule and one row per change; got:\n%s", out)
			}
			if lines[2] != "| Level | Operation | Change | Check | Old | New |" || lines[3] != "|---|---|---|---|---|---|" {
				t.Errorf("no table header:\n%s", out)
			}
			for _, row := range lines[4:] {
				// Seven unescaped pipes make six cells, whatever the text holds.
				if n := strings.Count(row, "|") - strings.Count(row, `\|`); n != 7 {
					t.Errorf("row has %d cell borders, want 7: %s", n, row)
				}
			}
			if !strings.Contains(out, "| breaking | GET /pets/{id} | api removed without deprecation | `api-removed-without-deprecation` | `/paths/~1pets~1{id}/get (line 12)` |  |") {
				t.Errorf("first row is not as expected:\n%s", out)
			}
		}},
		{"markdown without changes", Report{}, FormatMarkdown, func(t *testing.T, out string) {
			if strings.Contains(out, "|") {
				t.Errorf("empty report has a table:\n%s", out)
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := Format(&buf, tc.report, tc.format); err != nil {
				t.Fatalf("Format: %v", err)
			}
			tc.check(t, buf.String())
		})
	}
}

func TestFormatUnknown(t *testing.T) {
	err := Format(&bytes.Buffer{}, sample, "html")
	if err == nil || !strings.Contains(err.Error(), `"html"`) {
		t.Errorf("Format(html) error = %v, want one naming the format", err)
	}
}
