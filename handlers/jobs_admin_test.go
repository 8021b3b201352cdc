package handlers_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestJobsPageRunsAJobAndShowsItsRecord(t *testing.T) {
	s := newSite(t, "sqlite")
	key := s.addSource("payments SDK", "treblle", "")
	for range 3 {
		if p := s.send("/ingest/treblle", "application/json", []byte(treblleEvent(key)), nil); p.status != http.StatusAccepted {
			t.Fatalf("ingest: %d", p.status)
		}
	}
	jobs := s.get("/admin/jobs")
	if jobs.status != http.StatusOK || jobs.count("tr[data-job=rollup]") != 1 {
		t.Fatalf("jobs page: %d, rollup row %d", jobs.status, jobs.count("tr[data-job=rollup]"))
	}
	if got := jobs.text("tr[data-job=rollup] td:nth-child(3)"); got != "only when run by hand" {
		t.Errorf("next run of a job without schedule: %q", got)
	}
	if jobs.count("[data-testid=no-runs]") != 1 {
		t.Error("a fresh Steward lists runs")
	}
	p := s.post("/admin/jobs", "/admin/jobs/rollup/run", nil)
	if p.status != http.StatusSeeOther || !strings.HasPrefix(p.location, "/admin/jobs/runs/") {
		t.Fatalf("run now: %d %s", p.status, p.location)
	}
	var run *page
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		run = s.get(p.location)
		if run.text("[data-testid=run-status]") != "running" {
			break
		}
		if run.header.Get("Refresh") == "" {
			t.Fatal("a running job's page does not refresh itself")
		}
	}
	if got := run.text("[data-testid=run-status]"); got != "succeeded" {
		t.Fatalf("run status %q: %s", got, run.text("[data-testid=run-error]"))
	}
	if !strings.Contains(run.text("dl.facts"), "events3") {
		t.Errorf("run counts: %q", run.text("dl.facts"))
	}
	if s.get("/admin/jobs").count("[data-testid=runs] tbody tr") != 1 {
		t.Error("the run is not listed")
	}
}

func TestJobScheduleIsCheckedAndSaved(t *testing.T) {
	s := newSite(t, "sqlite")
	cases := []struct {
		schedule   string
		wantStatus int
		wantError  string
	}{
		{"every day", http.StatusUnprocessableEntity, "is not a schedule"},
		{"@every 100ms", http.StatusUnprocessableEntity, "at least 1s"},
		{"*/10 * * * *", http.StatusSeeOther, ""},
	}
	for _, c := range cases {
		p := s.post("/admin/jobs", "/admin/jobs/rollup/schedule", url.Values{"schedule": {c.schedule}, "enabled": {"true"}})
		if p.status != c.wantStatus {
			t.Fatalf("%q: %d, want %d", c.schedule, p.status, c.wantStatus)
		}
		if c.wantError != "" && !strings.Contains(p.text("tr[data-job=rollup] .field-error, tr[data-job=rollup] .error"), c.wantError) {
			t.Errorf("%q: error shown %q", c.schedule, p.text("tr[data-job=rollup]"))
		}
	}
	page := s.get("/admin/jobs")
	if v, _ := page.doc.Find("tr[data-job=rollup] input[name=schedule]").Attr("value"); v != "*/10 * * * *" {
		t.Errorf("schedule shown after saving: %q", v)
	}
	if page.text("tr[data-job=rollup] td:nth-child(3)") == "only when run by hand" {
		t.Error("an enabled schedule shows no next run")
	}
	if p := s.post("/admin/jobs", "/admin/jobs/nope/run", nil); p.status != http.StatusNotFound {
		t.Errorf("unknown job: %d", p.status)
	}
}
