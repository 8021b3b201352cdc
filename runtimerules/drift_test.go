package runtimerules

import (
	"context"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/steward-governance/steward/rules"
	"github.com/steward-governance/steward/scorecard"
	"github.com/steward-governance/steward/specs"
)

var lastWeek = time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)

func TestComputeDrift(t *testing.T) {
	documented := []Endpoint{
		{Method: "GET", Path: "/users", Statuses: []string{"200", "4XX"}},
		{Method: "post", Path: "/users", Statuses: []string{"201", "400"}},
		{Method: "GET", Path: "/users/{userId}", Statuses: []string{"200", "404", "default"}},
		{Method: "DELETE", Path: "/users/{userId}", Statuses: []string{"204"}},
		{Method: "GET", Path: "/users/me", Statuses: []string{"200"}},
		{Method: "GET", Path: "/files/{path...}", Statuses: []string{"2xx"}},
		{Method: "GET", Path: "/reports/yearly", Statuses: []string{"200"}},
	}
	seen := []SeenEndpoint{
		// Documented, with a 4XX range covering 401 and 429 but not 500.
		{Method: "GET", Path: "/users", Documented: true, Requests: 120, LastSeen: lastWeek,
			Statuses: map[int]int64{200: 100, 401: 5, 429: 3, 500: 12}},
		// 409 is not in 201/400.
		{Method: "POST", Path: "/users", Documented: true, Requests: 30, Statuses: map[int]int64{201: 25, 409: 5}},
		// Another parameter name and syntax: the same endpoint; default
		// covers everything.
		{Method: "GET", Path: "/users/:id", Requests: 40, Statuses: map[int]int64{200: 30, 503: 10}},
		// The literal beats the parameter: /users/me, whose 404 is
		// undocumented (0 and 999 are unknown statuses, ignored).
		{Method: "GET", Path: "/users/me", Documented: true, Requests: 9, Statuses: map[int]int64{200: 5, 404: 2, 0: 1, 999: 1}},
		// A catch-all.
		{Method: "GET", Path: "/files/a/b/c.txt", Requests: 2, Statuses: map[int]int64{206: 2}},
		// HEAD is the path's GET; OPTIONS is a CORS preflight.
		{Method: "HEAD", Path: "/users", Requests: 4, Statuses: map[int]int64{200: 4}},
		{Method: "OPTIONS", Path: "/users/{id}", Requests: 50, Statuses: map[int]int64{204: 50}},
		{Method: "OPTIONS", Path: "/nowhere", Requests: 50, Statuses: map[int]int64{204: 50}},
		// Undocumented method on a documented path; undocumented paths.
		{Method: "PATCH", Path: "/users/{id}", Requests: 7, LastSeen: lastWeek, Statuses: map[int]int64{200: 7}},
		{Method: "GET", Path: "/admin/debug", Requests: 200, LastSeen: lastWeek.Add(time.Hour), Statuses: map[int]int64{200: 200}},
		{Method: "GET", Path: "/admin/debug/", Requests: 1, LastSeen: lastWeek, Statuses: map[int]int64{200: 1}},
		// The matcher had it documented, the current spec does not.
		{Method: "GET", Path: "/v1/legacy", Documented: true, Requests: 3},
		// No requests in the window: not seen.
		{Method: "DELETE", Path: "/users/{id}", Requests: 0},
	}
	d := ComputeDrift(documented, seen)

	wantUnseen := []Endpoint{documented[3], documented[6]}
	if !reflect.DeepEqual(d.Unseen, wantUnseen) {
		t.Errorf("unseen\n got %+v\nwant %+v", d.Unseen, wantUnseen)
	}
	wantUndocumented := []UndocumentedEndpoint{
		{Method: "GET", Path: "/admin/debug", Kind: UndocumentedPath, Requests: 201, LastSeen: lastWeek.Add(time.Hour)},
		{Method: "PATCH", Path: "/users/{id}", Kind: UndocumentedMethod, Requests: 7, LastSeen: lastWeek},
		{Method: "GET", Path: "/v1/legacy", Kind: UndocumentedPath, Requests: 3, MatchedAtIngest: true},
	}
	if !reflect.DeepEqual(d.Undocumented, wantUndocumented) {
		t.Errorf("undocumented\n got %+v\nwant %+v", d.Undocumented, wantUndocumented)
	}
	wantStatuses := []UndocumentedStatuses{
		{Method: "GET", Path: "/users", Codes: []StatusCount{{500, 12}}},
		{Method: "POST", Path: "/users", Codes: []StatusCount{{409, 5}}},
		{Method: "GET", Path: "/users/me", Codes: []StatusCount{{404, 2}}},
	}
	if !reflect.DeepEqual(d.UndocumentedStatuses, wantStatuses) {
		t.Errorf("undocumented statuses\n got %+v\nwant %+v", d.UndocumentedStatuses, wantStatuses)
	}
	// Targets: 7 documented; 5 documented seen + 3 undocumented; status
	// codes per endpoint: GET /users 200 401 429 500, POST 201 409,
	// /users/{id} 200 503, /users/me 200 404, files 206.
	if d.Documented != 7 || d.Seen != 8 || d.StatusCodes != 11 || d.UndocumentedStatusCount() != 3 {
		t.Errorf("documented %d seen %d status codes %d undocumented codes %d, want 7 8 11 3",
			d.Documented, d.Seen, d.StatusCodes, d.UndocumentedStatusCount())
	}
}

func TestComputeDriftEdges(t *testing.T) {
	for _, tc := range []struct {
		name       string
		documented []Endpoint
		seen       []SeenEndpoint
		unseen     int
		undoc      []string
		statuses   int
	}{
		{"nothing at all", nil, nil, 0, nil, 0},
		{"no traffic", []Endpoint{{Method: "GET", Path: "/a"}}, nil, 1, nil, 0},
		{"no spec", nil, []SeenEndpoint{{Method: "GET", Path: "/a", Requests: 1}}, 0, []string{"GET /a path"}, 0},
		{"no responses documented", []Endpoint{{Method: "GET", Path: "/a"}},
			[]SeenEndpoint{{Method: "GET", Path: "/a", Requests: 1, Statuses: map[int]int64{200: 1}}}, 0, nil, 1},
		{"lower-case range and default", []Endpoint{{Method: "GET", Path: "/a", Statuses: []string{"2xx"}}, {Method: "GET", Path: "/b", Statuses: []string{"Default"}}},
			[]SeenEndpoint{{Method: "GET", Path: "/a", Requests: 2, Statuses: map[int]int64{204: 1, 302: 1}}, {Method: "GET", Path: "/b", Requests: 1, Statuses: map[int]int64{418: 1}}}, 0, nil, 1},
		{"documented HEAD and OPTIONS are themselves", []Endpoint{{Method: "HEAD", Path: "/a"}, {Method: "OPTIONS", Path: "/a"}},
			[]SeenEndpoint{{Method: "HEAD", Path: "/a", Requests: 1}, {Method: "OPTIONS", Path: "/a", Requests: 1}}, 0, nil, 0},
		{"HEAD without a GET", []Endpoint{{Method: "POST", Path: "/a"}},
			[]SeenEndpoint{{Method: "HEAD", Path: "/a", Requests: 1}}, 1, []string{"HEAD /a method"}, 0},
		{"parameter does not match a literal", []Endpoint{{Method: "GET", Path: "/users/me"}},
			[]SeenEndpoint{{Method: "GET", Path: "/users/{id}", Requests: 1}}, 1, []string{"GET /users/{id} path"}, 0},
		{"root and trailing slash", []Endpoint{{Method: "GET", Path: "/"}, {Method: "GET", Path: "/a/"}},
			[]SeenEndpoint{{Method: "GET", Path: "", Requests: 1}, {Method: "GET", Path: "/a", Requests: 1}}, 0, nil, 0},
		{"mixed segment", []Endpoint{{Method: "GET", Path: "/users/{id}.json"}},
			[]SeenEndpoint{{Method: "GET", Path: "/users/{uid}.json", Requests: 1}, {Method: "GET", Path: "/users/{uid}.xml", Requests: 1}}, 0, []string{"GET /users/{uid}.xml path"}, 0},
		{"one operation listed twice", []Endpoint{{Method: "GET", Path: "/a"}, {Method: "GET", Path: "/a"}}, nil, 1, nil, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := ComputeDrift(tc.documented, tc.seen)
			var undoc []string
			for _, u := range d.Undocumented {
				undoc = append(undoc, u.Method+" "+u.Path+" "+string(u.Kind))
			}
			if len(d.Unseen) != tc.unseen || !reflect.DeepEqual(undoc, tc.undoc) || d.UndocumentedStatusCount() != tc.statuses {
				t.Errorf("unseen %d undocumented %q statuses %d; want %d %q %d", len(d.Unseen), undoc, d.UndocumentedStatusCount(), tc.unseen, tc.undoc, tc.statuses)
			}
		})
	}
}

func TestDriftFindings(t *testing.T) {
	documented := []Endpoint{
		{Method: "GET", Path: "/users", Statuses: []string{"200"}},
		{Method: "GET", Path: "/users/{id}", Statuses: []string{"200", "404"}},
		{Method: "DELETE", Path: "/users/{id}", Statuses: []string{"204"}},
		{Method: "GET", Path: "/health", Statuses: []string{"200"}},
	}
	seen := []SeenEndpoint{
		{Method: "GET", Path: "/users", Requests: 100, Statuses: map[int]int64{200: 88, 500: 12}},
		{Method: "GET", Path: "/users/{id}", Requests: 50, Statuses: map[int]int64{200: 40, 404: 10}},
		{Method: "GET", Path: "/health", Requests: 1000, Statuses: map[int]int64{200: 1000}},
		{Method: "POST", Path: "/internal/reindex", Requests: 1, Statuses: map[int]int64{202: 1}},
	}
	d := ComputeDrift(documented, seen)
	type want struct {
		rule            string
		status          scorecard.Status
		targets, failed int
		weight, credit  float64
		message         string
		evidence        []string
	}
	wants := []want{
		{RuleUndocumentedEndpoints, scorecard.Fail, 4, 1, 3, 2.25,
			"1 of 4 endpoints that received traffic in the last 7 days is not in the spec.",
			[]string{"POST /internal/reindex: 1 request, path not in the spec"}},
		{RuleUndocumentedStatuses, scorecard.Fail, 5, 1, 1, 0.8,
			"1 of 5 status codes documented endpoints returned in the last 7 days is not in the spec.",
			[]string{"GET /users returned 500 (12 times)"}},
		{RuleUnseenEndpoints, scorecard.Fail, 4, 1, 0.5, 0.375,
			"1 of 4 documented endpoints received no traffic in the last 7 days.",
			[]string{"DELETE /users/{id}"}},
	}
	got := d.GovernanceFindings()
	if len(got) != len(wants) {
		t.Fatalf("%d findings", len(got))
	}
	for i, w := range wants {
		f := got[i]
		g := want{f.Rule, f.Status, f.Targets, f.FailedTargets, f.Weight, f.Credit, f.Message, f.Evidence}
		if !reflect.DeepEqual(g, w) {
			t.Errorf("got  %+v\nwant %+v", g, w)
		}
		if f.Category != rules.Governance || f.HowToFix == "" || f.ThresholdText() != "" || f.MeasuredText() != fmt.Sprintf("1 of %d", w.targets) {
			t.Errorf("%s: category %s how-to-fix %q threshold %q measured %q", f.Rule, f.Category, f.HowToFix, f.ThresholdText(), f.MeasuredText())
		}
		rr := f.RuleResult()
		if rr.Targets != w.targets || rr.FailedTargets != 1 || rr.Credit != f.Credit || len(rr.Evidence) != 1 {
			t.Errorf("%s as a rule result: %+v", f.Rule, rr)
		}
	}

	set, err := Parse([]byte(`x-steward-runtime:
  window: 30d
  rules:
    runtime-drift-unseen-endpoints: off
    runtime-drift-undocumented-endpoints: { severity: warn, x-steward-category: security }
`))
	if err != nil {
		t.Fatal(err)
	}
	fs := d.Findings(set)
	if len(fs) != 2 || fs[0].Rule != RuleUndocumentedEndpoints || fs[0].Category != rules.Security || fs[0].Weight != 1.5 ||
		fs[0].Message != "1 of 4 endpoints that received traffic in the last 30 days is not in the spec." {
		t.Errorf("with the standard's settings: %+v", fs)
	}

	clean := ComputeDrift([]Endpoint{{Method: "GET", Path: "/users", Statuses: []string{"default"}}}, seen[:1])
	for _, f := range clean.GovernanceFindings() {
		if f.Status != scorecard.Pass || f.Credit != f.Weight {
			t.Errorf("%s: %s %q, want a pass", f.Rule, f.Status, f.Message)
		}
	}
	if f := clean.GovernanceFindings()[0]; f.Message != "The endpoint that received traffic in the last 7 days is in the spec." {
		t.Errorf("message %q", f.Message)
	}

	for _, f := range ComputeDrift(nil, nil).GovernanceFindings() {
		if f.Status != scorecard.NotApplicable || f.Scored() {
			t.Errorf("%s with nothing to check: %s %q", f.Rule, f.Status, f.Message)
		}
	}
}

func TestEndpointsOfDescribedSpec(t *testing.T) {
	spec := []byte(`openapi: 3.0.3
info: {title: Users, version: "1"}
tags: [{name: users}, {name: admin}]
paths:
  /users/{id}:
    get:
      tags: [users, admin]
      responses:
        "200": {description: ok}
        4XX: {description: client error}
        default: {description: error}
    delete:
      responses:
        "204": {description: gone}
  /users:
    get:
      tags: [users]
      responses:
        "200": {description: ok}
`)
	doc, err := specs.Describe(context.Background(), spec, specs.DefaultLimits())
	if err != nil {
		t.Fatal(err)
	}
	got := EndpointsOf(doc)
	want := []Endpoint{
		{Method: "GET", Path: "/users", Statuses: []string{"200"}},
		{Method: "GET", Path: "/users/{id}", Statuses: []string{"200", "4XX", "default"}},
		{Method: "DELETE", Path: "/users/{id}", Statuses: []string{"204"}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("endpoints\n got %+v\nwant %+v", got, want)
	}
}
