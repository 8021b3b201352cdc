package handlers_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// discoverHosts sends requests to pets (deployed) and to two hosts no
// deployment names, through a real source, and rolls them up.
func (s *site) discoverHosts() (key string) {
	s.t.Helper()
	s.petsDeployed()
	key = s.addSource("edge SDK", "treblle", "")
	for _, ev := range []struct {
		url    string
		status int
	}{
		{"https://orders.example.com/orders/17", 200},
		{"https://orders.example.com/orders/18", 404},
		{"http://orders.example.com/orders", 201},
		{"http://orders.example.com/orders", 500},
		{"http://legacy.example.com/status", 200},
		{"https://pets.example.com/pets/1", 200},
	} {
		s.ingest(key, ev.url, ev.status)
	}
	s.rollUp()
	return key
}

func (s *site) ingest(key, url string, status int) {
	s.t.Helper()
	if p := s.send("/ingest/treblle", "application/json", []byte(eventNow(key, url, status)), nil); p.status != http.StatusAccepted {
		s.t.Fatalf("ingest %s: %d %s", url, p.status, p.body)
	}
}

// squash joins an element's words with single spaces.
func squash(s string) string { return strings.Join(strings.Fields(s), " ") }

func TestDiscoveredPageListsUnknownHosts(t *testing.T) {
	s := newSite(t, "sqlite")
	if p := s.get("/discovered"); p.status != http.StatusOK || !strings.Contains(p.text("[data-testid=no-discovered]"), "no traffic source") {
		t.Fatalf("before any source: %d %q", p.status, p.text("main"))
	}
	s.discoverHosts()

	p := s.get("/discovered")
	if p.status != http.StatusOK || p.count("[data-testid=discovered-hosts] tbody tr") != 2 {
		t.Fatalf("discovered page: %d %q", p.status, p.text("main"))
	}
	if p.count(`tr[data-host="pets.example.com"]`) != 0 {
		t.Error("a deployed host is listed as discovered")
	}
	orders := p.doc.Find(`tr[data-host="orders.example.com"] td`)
	got := []string{}
	for i := range orders.Length() {
		got = append(got, squash(orders.Eq(i).Text()))
	}
	// Host, requests, HTTPS, authenticated, endpoints, first, last, status.
	if len(got) != 8 || got[0] != "orders.example.com" || got[1] != "4" || got[2] != "50%" || got[3] != "100%" || got[4] != "2" || got[7] != "new" {
		t.Errorf("orders row: %q", got)
	}
	if href, _ := p.doc.Find(`tr[data-host="orders.example.com"] td a`).Attr("href"); href != "/discovered/orders.example.com" {
		t.Errorf("host link: %q", href)
	}
	// Busiest first.
	if first, _ := p.doc.Find("[data-testid=discovered-hosts] tbody tr").First().Attr("data-host"); first != "orders.example.com" {
		t.Errorf("first row: %s", first)
	}
	if p := s.get("/discovered?days=2"); p.status != http.StatusBadRequest {
		t.Errorf("days=2: %d, want 400", p.status)
	}

	detail := s.get("/discovered/orders.example.com")
	if detail.status != http.StatusOK {
		t.Fatalf("detail: %d %q", detail.status, detail.text("main"))
	}
	// The SDK events are all GETs. Requests, 2xx, 4xx, 5xx, HTTPS, authenticated.
	for endpoint, want := range map[string][]string{
		"GET /orders/{id}": {"2", "1", "1", "0", "100%", "100%"},
		"GET /orders":      {"2", "1", "0", "1", "0%", "100%"},
	} {
		cells := detail.doc.Find(`[data-testid=discovered-endpoints] tr[data-endpoint="` + endpoint + `"] td`)
		var got []string
		for i := 1; i < cells.Length() && i <= len(want); i++ {
			got = append(got, squash(cells.Eq(i).Text()))
		}
		if strings.Join(got, " ") != strings.Join(want, " ") {
			t.Errorf("%s: %q, want %q", endpoint, got, want)
		}
	}
	if got := detail.text("[data-testid=claim-deployment]"); got != "https://orders.example.com" {
		t.Errorf("deployment offered: %q", got)
	}
	for field, want := range map[string]string{"name": "Orders", "version": "v1", "environment": "production"} {
		if v, _ := detail.doc.Find(`[data-testid=claim] input[name=` + field + `]`).Attr("value"); v != want {
			t.Errorf("claim form %s = %q, want %q", field, v, want)
		}
	}
	if v, _ := detail.doc.Find(`[data-testid=claim] select[name=stage] option[selected]`).Attr("value"); v != "production" {
		t.Errorf("stage offered: %q", v)
	}
	if legacy := s.get("/discovered/legacy.example.com"); legacy.text("[data-testid=claim-deployment]") != "http://legacy.example.com" {
		t.Errorf("a host only seen over HTTP is offered %q", legacy.text("[data-testid=claim-deployment]"))
	}
	if p := s.get("/discovered/nowhere.example.com"); p.status != http.StatusNotFound {
		t.Errorf("unknown host: %d, want 404", p.status)
	}
}

func TestClaimDiscoveredHost(t *testing.T) {
	s := newSite(t, "sqlite")
	key := s.discoverHosts()
	const page = "/discovered/orders.example.com"

	bad := s.post(page, page+"/claim", url.Values{"name": {""}, "slug": {"Orders API!"}, "team": {"zoo"}, "version": {"v 1"}, "stage": {"production"}, "environment": {"production"}})
	if bad.status != http.StatusUnprocessableEntity {
		t.Fatalf("bad form: %d %q", bad.status, bad.text("main"))
	}
	for _, field := range []string{"name", "slug", "version"} {
		if bad.count("[data-testid=error-"+field+"]") != 1 {
			t.Errorf("no error shown for %s: %q", field, bad.text("[data-testid=claim]"))
		}
	}
	if v, _ := bad.doc.Find(`[data-testid=claim] input[name=slug]`).Attr("value"); v != "Orders API!" {
		t.Errorf("the slug typed was not kept: %q", v)
	}
	if v, _ := bad.doc.Find(`[data-testid=claim] select[name=team] option[selected]`).Attr("value"); v != "zoo" {
		t.Errorf("the team chosen was not kept: %q", v)
	}
	taken := s.post(page, page+"/claim", url.Values{"name": {"Orders"}, "slug": {"pets"}, "team": {"zoo"}, "version": {"v1"}, "stage": {"production"}, "environment": {"production"}})
	if taken.status != http.StatusUnprocessableEntity || !strings.Contains(taken.text("[data-testid=error-slug]"), "taken") {
		t.Errorf("a taken slug: %d %q", taken.status, taken.text("[data-testid=error-slug]"))
	}

	claim := url.Values{"name": {"Orders"}, "team": {"zoo"}, "version": {"v1"}, "stage": {"production"}, "environment": {"production"}}
	p := s.post(page, page+"/claim", claim)
	if p.status != http.StatusSeeOther || !strings.HasPrefix(p.location, "/apis/orders") {
		t.Fatalf("claim: %d %s %q", p.status, p.location, p.text("main"))
	}
	v := s.get("/apis/orders/versions/v1")
	if v.status != http.StatusOK || !strings.Contains(v.text("main"), "https://orders.example.com") {
		t.Errorf("the claimed version shows no deployment: %d %q", v.status, v.text("main"))
	}
	list := s.get("/discovered")
	if st := list.doc.Find(`tr[data-host="orders.example.com"] [data-testid=host-status] a`); squash(st.Text()) != "claimed" || st.AttrOr("href", "") != "/apis/orders" {
		t.Errorf("status after claiming: %q → %q", squash(st.Text()), st.AttrOr("href", ""))
	}
	detail := s.get(page)
	if detail.count("[data-testid=claim]") != 0 || detail.count("[data-testid=ignore]") != 0 {
		t.Error("a claimed host still offers to claim or ignore it")
	}
	if href, _ := detail.doc.Find("[data-testid=claimed-api]").Attr("href"); href != "/apis/orders" {
		t.Errorf("the detail page links to %q", href)
	}
	if !strings.Contains(detail.text("[data-testid=decisions]"), "claimed it") {
		t.Errorf("decisions: %q", detail.text("[data-testid=decisions]"))
	}
	if again := s.post("/discovered", page+"/claim", claim); again.status != http.StatusConflict {
		t.Errorf("claiming twice: %d, want 409", again.status)
	}
	if p := s.post("/discovered", "/discovered/nowhere.example.com/claim", claim); p.status != http.StatusNotFound {
		t.Errorf("claiming an unknown host: %d, want 404", p.status)
	}

	// Traffic from now on is the API's: its endpoints appear, inferred and
	// undocumented, on its traffic page.
	s.ingest(key, "https://orders.example.com/orders/19", 200)
	s.rollUp()
	traffic := s.get("/apis/orders/versions/v1/traffic")
	if row := squash(traffic.text(`tr[data-endpoint="GET /orders/{id}"]`)); !strings.Contains(row, "undocumented") {
		t.Errorf("the claimed API's traffic: %q", traffic.text("main"))
	}
	events, _ := s.store.AuditFor(t.Context(), "discovered_host", "orders.example.com", 10)
	if len(events) != 1 || events[0].Action != "discovered.claim" || events[0].Actor != "admin@example.com" {
		t.Errorf("audit: %+v", events)
	}
}

func TestIgnoreDiscoveredHost(t *testing.T) {
	s := newSite(t, "sqlite")
	s.discoverHosts()
	const page = "/discovered/legacy.example.com"
	s.signOut()
	s.signIn("governance")
	if s.get(page).count("[data-testid=ignore]") != 1 {
		t.Fatal("a governance lead is not offered to ignore the host")
	}
	long := s.post(page, page+"/ignore", url.Values{"reason": {strings.Repeat("x", 1001)}})
	if long.status != http.StatusUnprocessableEntity || long.count("[data-testid=error-reason]") != 1 {
		t.Errorf("a long reason: %d", long.status)
	}
	p := s.post(page, page+"/ignore", url.Values{"reason": {"The old status probe."}})
	if p.status != http.StatusSeeOther || p.location != page {
		t.Fatalf("ignore: %d %s", p.status, p.location)
	}
	detail := s.get(page)
	if got := squash(detail.text("[data-testid=host-facts] [data-testid=host-status]")); got != "ignored" {
		t.Errorf("status: %q", got)
	}
	if got := squash(detail.text("[data-testid=decisions] li")); !strings.Contains(got, "governance@example.com ignored it") ||
		detail.text("[data-testid=decision-reason]") != "The old status probe." {
		t.Errorf("decisions: %q", got)
	}
	if detail.count("[data-testid=ignore]") != 0 {
		t.Error("an ignored host still offers to ignore it")
	}
	if got := squash(s.get("/discovered").text(`tr[data-host="legacy.example.com"] [data-testid=host-status]`)); got != "ignored" {
		t.Errorf("list status: %q", got)
	}
	if p := s.post("/discovered", "/discovered/nowhere.example.com/ignore", nil); p.status != http.StatusNotFound {
		t.Errorf("ignoring an unknown host: %d, want 404", p.status)
	}
}

func TestDiscoveredHostPolicy(t *testing.T) {
	s := newSite(t, "sqlite")
	s.discoverHosts()
	const page = "/discovered/legacy.example.com"
	claim := url.Values{"name": {"Legacy"}, "team": {"zoo"}, "version": {"v1"}, "stage": {"production"}, "environment": {"production"}}

	s.signOut()
	s.signIn("viewer")
	nav := s.get("/discovered")
	if nav.count(`nav a[href="/discovered"]`) != 1 || nav.count(`nav a[href="/admin/sources"]`) != 0 || nav.count(`nav a[href="/admin/jobs"]`) != 0 {
		t.Errorf("viewer's navigation: %q", nav.text("nav.site-nav"))
	}
	p := s.get(page)
	if p.count("[data-testid=claim]") != 0 || p.count("[data-testid=ignore]") != 0 || p.count("[data-testid=claim-needs-team]") != 1 {
		t.Error("a viewer in no team is offered to claim or ignore")
	}
	if p := s.post("/discovered", page+"/claim", claim); p.status != http.StatusForbidden {
		t.Errorf("viewer claims for a team they are not in: %d, want 403", p.status)
	}
	if p := s.post("/discovered", page+"/ignore", nil); p.status != http.StatusForbidden {
		t.Errorf("viewer ignores: %d, want 403", p.status)
	}

	s.signOut()
	s.signIn("owner") // owner of zoo, the first team
	p = s.get(page)
	if p.count("[data-testid=claim] select[name=team] option[value=zoo]") != 1 || p.count("[data-testid=ignore]") != 0 {
		t.Errorf("owner: claim form %d, ignore form %d", p.count("[data-testid=claim]"), p.count("[data-testid=ignore]"))
	}
	if p := s.post("/discovered", page+"/ignore", nil); p.status != http.StatusForbidden {
		t.Errorf("a team owner ignores: %d, want 403", p.status)
	}
	if p := s.post("/discovered", page+"/claim", claim); p.status != http.StatusSeeOther {
		t.Errorf("owner claims for their team: %d %q", p.status, p.text("main"))
	}

	s.signOut()
	s.signIn("admin")
	admin := s.get("/discovered")
	if admin.count(`nav a[href="/admin/sources"]`) != 1 || admin.count(`nav a[href="/admin/jobs"]`) != 1 {
		t.Errorf("admin's navigation: %q", admin.text("nav.site-nav"))
	}
}
