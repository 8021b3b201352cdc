package handlers_test

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/steward-governance/steward/catalog"
)

// rollUp runs the rollup job from the jobs page and waits for it.
func (s *site) rollUp() {
	s.t.Helper()
	p := s.post("/admin/jobs", "/admin/jobs/rollup/run", nil)
	if p.status != http.StatusSeeOther {
		s.t.Fatalf("run rollup: %d", p.status)
	}
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if st := s.get(p.location).text("[data-testid=run-status]"); st != "running" {
			if st != "succeeded" {
				s.t.Fatalf("rollup %s: %s", st, s.get(p.location).text("[data-testid=run-error]"))
			}
			return
		}
	}
	s.t.Fatal("rollup did not finish")
}

// eventNow is treblleEvent for url at the current time, so it falls in
// the traffic page's window.
func eventNow(key, url string, status int) string {
	e := treblleEvent(key)
	e = strings.Replace(e, "2026-11-25 10:15:02", time.Now().UTC().Add(-time.Hour).Format("2006-01-02 15:04:05"), 1)
	e = strings.Replace(e, "https://pets.example.com/pets/42?expand=owner", url, 1)
	return strings.Replace(e, `"code":200`, `"code":`+itoa(status), 1)
}

func TestTrafficPage(t *testing.T) {
	s := newSite(t, "sqlite")
	s.petsDeployed() // pets v1 at https://pets.example.com, documenting GET /pets and GET /pets/{petId}
	traffic := "/apis/pets/versions/v1/traffic"
	if p := s.get(traffic); p.count("[data-testid=no-runtime-data]") != 1 {
		t.Fatalf("without sources: %d %q", p.status, p.text("main"))
	}
	key := s.addSource("edge SDK", "treblle", "")
	for _, ev := range []struct {
		url    string
		status int
	}{
		{"https://pets.example.com/pets/1", 200},
		{"https://pets.example.com/pets/2", 200},
		{"https://pets.example.com/pets/3", 503},
		{"https://pets.example.com/pets", 200},
		{"http://pets.example.com/pets/4/toys", 404},
	} {
		if p := s.send("/ingest/treblle", "application/json", []byte(eventNow(key, ev.url, ev.status)), nil); p.status != http.StatusAccepted {
			t.Fatalf("ingest %s: %d %s", ev.url, p.status, p.body)
		}
	}
	s.rollUp()
	p := s.get(traffic)
	if p.status != http.StatusOK || p.count("[data-testid=traffic-summary]") != 1 {
		t.Fatalf("traffic page: %d %q", p.status, p.text("main"))
	}
	tiles := p.text("[data-testid=traffic-summary]")
	for _, want := range []string{"Requests5", "HTTPS80%", "Authenticated100%"} {
		if !strings.Contains(strings.Join(strings.Fields(tiles), ""), want) {
			t.Errorf("summary %q lacks %q", tiles, want)
		}
	}
	rows := map[string]string{}
	for _, sel := range []struct{ endpoint, want string }{
		{"GET /pets/{petId}", "yes"},
		{"GET /pets", "yes"},
		{"GET /pets/{id}/toys", "undocumented"}, // not in the spec: the template is inferred
	} {
		row := p.doc.Find(`tr[data-endpoint="` + sel.endpoint + `"]`)
		if row.Length() != 1 {
			t.Errorf("no row for %s", sel.endpoint)
			continue
		}
		rows[sel.endpoint] = strings.Join(strings.Fields(row.Text()), " ")
		if !strings.Contains(rows[sel.endpoint], sel.want) {
			t.Errorf("%s: %q lacks %q", sel.endpoint, rows[sel.endpoint], sel.want)
		}
	}
	pet := p.doc.Find(`tr[data-endpoint="GET /pets/{petId}"]`)
	if n, rate := pet.Find("td:nth-child(3)").Text(), pet.Find("td:nth-child(5)").Text(); n != "3" || rate != "33%" {
		t.Errorf("GET /pets/{petId}: %s requests, %s 5xx; want 3 and 33%%", n, rate)
	}
	if p.count("[data-testid=requests-chart] rect.seg") == 0 || p.count("[data-testid=consumers] tbody tr") != 1 {
		t.Errorf("chart segments %d, consumers %d", p.count("[data-testid=requests-chart] rect.seg"), p.count("[data-testid=consumers] tbody tr"))
	}
	if strings.Contains(p.body, "secret-token-value") {
		t.Error("the page shows a credential")
	}
	if p := s.get(traffic + "?days=3"); p.status != http.StatusBadRequest {
		t.Errorf("days=3: %d, want 400", p.status)
	}
	// A week later than anything seen, sources still cover the window for
	// another API's version, which must say "no traffic", not "no data".
	if p := s.get("/apis/pets/versions/v1/traffic?days=1"); p.count("[data-testid=traffic-summary]") != 1 {
		t.Errorf("1-day window: %q", p.text("main"))
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

// petsDeployed makes API pets with version v1 deployed at
// https://pets.example.com, its spec uploaded through the page.
func (s *site) petsDeployed() {
	s.t.Helper()
	ctx, sys := s.t.Context(), catalog.SystemActor("test")
	if _, err := s.store.CreateTeam(ctx, sys, catalog.TeamInput{Slug: "zoo", Name: "Zoo"}); err != nil {
		s.t.Fatal(err)
	}
	if _, err := s.store.CreateAPI(ctx, sys, catalog.APIInput{Slug: "pets", Name: "Pets", TeamSlug: "zoo", Kind: "rest", Visibility: "internal"}); err != nil {
		s.t.Fatal(err)
	}
	if _, err := s.store.CreateVersion(ctx, sys, "pets", catalog.VersionInput{Name: "v1", Stage: "production"}); err != nil {
		s.t.Fatal(err)
	}
	if _, err := s.store.PutDeployment(ctx, sys, "pets", "v1", catalog.DeploymentInput{Environment: "prod", BaseURL: "https://pets.example.com"}); err != nil {
		s.t.Fatal(err)
	}
	if p := s.upload("/apis/pets/versions/v1", "pets.yaml", []byte(petsV1)); p.status != http.StatusSeeOther {
		s.t.Fatalf("upload: %d %s", p.status, p.text("main"))
	}
}

// A held breaking change lists who calls the endpoints it breaks.
func TestPendingRevisionListsAffectedConsumers(t *testing.T) {
	s := newSite(t, "sqlite")
	s.petsDeployed()
	key := s.addSource("edge SDK", "treblle", "")
	for range 2 {
		if p := s.send("/ingest/treblle", "application/json", []byte(eventNow(key, "https://pets.example.com/pets/7", 200)), nil); p.status != http.StatusAccepted {
			t.Fatalf("ingest: %d", p.status)
		}
	}
	s.rollUp()
	held := s.upload("/apis/pets/versions/v1", "pets.yaml", []byte(petsV2)) // removes GET /pets/{petId}
	if held.status != http.StatusSeeOther || !strings.Contains(held.location, "/pending/") {
		t.Fatalf("breaking upload to production: %d %s", held.status, held.location)
	}
	p := s.get(held.location)
	row := p.doc.Find("[data-testid=pending-consumers] [data-testid=consumers] tbody tr")
	if row.Length() != 1 {
		t.Fatalf("consumers listed: %d; section says %q", row.Length(), p.text("[data-testid=pending-consumers]"))
	}
	if op, n := row.Find("td:nth-child(2)").Text(), row.Find("td:nth-child(3)").Text(); op != "GET /pets/{petId}" || n != "2" {
		t.Errorf("consumer row: %s %s requests", op, n)
	}
}
