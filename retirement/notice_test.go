package retirement_test

import (
	"strings"
	"testing"
	"time"

	"github.com/steward-governance/steward/catalog"
	"github.com/steward-governance/steward/retirement"
)

func TestNoticeHeaderValues(t *testing.T) {
	c := caseIn(retirement.Approved, catalog.VisibilityPublic)
	c.Deprecation = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	c.Sunset = time.Date(2026, 4, 1, 0, 0, 0, 0, time.FixedZone("CEST", 2*3600))
	c.Replacement = "https://pets.example.com/v2"
	n := retirement.NewNotice(c, "https://steward.example.com/retirements/7/notice")
	want := map[string]string{
		"Deprecation": "@1767225600",
		"Sunset":      "Tue, 31 Mar 2026 22:00:00 GMT",
		"Link": `<https://steward.example.com/retirements/7/notice>; rel="deprecation"; type="text/html", ` +
			`<https://pets.example.com/v2>; rel="successor-version", ` +
			`<https://steward.example.com/retirements/7/notice>; rel="sunset"; type="text/html"`,
	}
	for _, h := range n.Headers {
		if want[h.Name] != h.Value {
			t.Errorf("%s: %q, want %q", h.Name, h.Value, want[h.Name])
		}
		delete(want, h.Name)
	}
	if len(want) > 0 {
		t.Errorf("missing headers: %v", want)
	}
	for _, line := range []string{
		"  - name: response-transformer",
		`          - "Deprecation:@1767225600"`,
		`          - "Sunset:Tue, 31 Mar 2026 22:00:00 GMT"`,
		`          - "Link:<https://steward.example.com/retirements/7/notice>; rel=\"deprecation\"; type=\"text/html\", `,
	} {
		if !strings.Contains(n.Kong, line) {
			t.Errorf("Kong config lacks %q:\n%s", line, n.Kong)
		}
	}
	for _, line := range []string{
		`add_header Deprecation "@1767225600" always;`,
		`add_header Sunset "Tue, 31 Mar 2026 22:00:00 GMT" always;`,
		`add_header Link "<https://steward.example.com/retirements/7/notice>; rel=\"deprecation\"; type=\"text/html\", <https://pets.example.com/v2>; rel=\"successor-version\", <https://steward.example.com/retirements/7/notice>; rel=\"sunset\"; type=\"text/html\"" always;`,
	} {
		if !strings.Contains(n.Nginx, line) {
			t.Errorf("nginx config lacks %q:\n%s", line, n.Nginx)
		}
	}
	// A migration guide of the team's own replaces the notice page in
	// the links; no successor, no successor link.
	c.Replacement, c.MigrationURL = "", "https://docs.example.com/pets/v1-to-v2"
	link := retirement.NewNotice(c, "https://steward.example.com/retirements/7/notice").Headers[2].Value
	if link != `<https://docs.example.com/pets/v1-to-v2>; rel="deprecation"; type="text/html", <https://docs.example.com/pets/v1-to-v2>; rel="sunset"; type="text/html"` {
		t.Errorf("link with a migration guide: %s", link)
	}
}

func TestJudgeNeedsCoverage(t *testing.T) {
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	ago := func(d int) time.Time { return now.AddDate(0, 0, -d) }
	old := ago(45)
	recent := ago(3)
	for _, tc := range []struct {
		name  string
		spans []retirement.Span
		last  *time.Time
		want  retirement.Verdict
	}{
		{"no source", nil, nil, retirement.Unknown},
		{"covered, silent", []retirement.Span{{ago(40), now.Add(-time.Hour)}}, nil, retirement.Zombie},
		{"covered, last call long ago", []retirement.Span{{ago(400), now}}, &old, retirement.Zombie},
		{"covered, called", []retirement.Span{{ago(40), now}}, &recent, retirement.Active},
		{"called, even uncovered", nil, &recent, retirement.Active},
		{"coverage starts too late", []retirement.Span{{ago(20), now}}, nil, retirement.Unknown},
		{"coverage stale", []retirement.Span{{ago(60), ago(3)}}, nil, retirement.Unknown},
		{"two sources together", []retirement.Span{{ago(60), ago(10)}, {ago(10).Add(30 * time.Minute), now}}, nil, retirement.Zombie},
		{"two sources with a gap", []retirement.Span{{ago(60), ago(12)}, {ago(10), now}}, nil, retirement.Unknown},
	} {
		got, why := retirement.Judge(tc.spans, tc.last, 30, now)
		if got != tc.want || why == "" {
			t.Errorf("%s: %s (%s), want %s", tc.name, got, why, tc.want)
		}
	}
}
