package handlers_test

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/steward-governance/steward/catalog"
	"github.com/steward-governance/steward/models"
)

// caseURL is the case a redirect after proposing leads to.
func caseURL(t *testing.T, p *page) string {
	t.Helper()
	if p.status != http.StatusSeeOther || !strings.HasPrefix(p.location, "/retirements/") {
		t.Fatalf("propose: %d %q %s", p.status, p.location, p.text("main"))
	}
	u, _ := url.Parse(p.location)
	return u.Path
}

// An owner proposes retiring pets v1 from its retirement page, sees it in
// their inbox, approves it, and the notice page gives the exact headers,
// the gateway configuration and the consumer still calling.
func TestRetirementJourney(t *testing.T) {
	s := newSite(t, "sqlite")
	s.petsDeployed()
	key := s.addSource("edge SDK", "treblle", "")
	if p := s.send("/ingest/treblle", "application/json", []byte(eventNow(key, "https://pets.example.com/pets/7", 200)), nil); p.status != http.StatusAccepted {
		t.Fatalf("ingest: %d", p.status)
	}
	s.rollUp()

	// A viewer sees the page but no form.
	s.switchTo("viewer")
	retire := "/apis/pets/versions/v1/retire"
	if p := s.get(retire); p.status != http.StatusOK || p.count("[data-testid=propose-form]") != 0 || p.count("[data-testid=propose-note]") != 1 {
		t.Fatalf("viewer's retire page: %d forms=%d", p.status, p.count("[data-testid=propose-form]"))
	}
	if p := s.get("/apis/pets/versions/v1"); p.count("[data-testid=retire-link]") != 1 {
		t.Error("the version page has no Propose retirement link")
	}

	s.switchTo("owner") // owner of the first team, zoo
	if p := s.post(retire, "/apis/pets/versions/v1/retirements", url.Values{"reason": {"v2 replaces it"}}); p.status != http.StatusUnprocessableEntity ||
		p.count(".has-error #migration_notes") != 1 || p.doc.Find("#reason").Text() != "v2 replaces it" {
		t.Fatalf("proposal without migration notes: %d", p.status)
	}
	sunset := time.Now().UTC().AddDate(0, 0, 60).Format(time.DateOnly)
	caseURL := caseURL(t, s.post(retire, "/apis/pets/versions/v1/retirements", url.Values{
		"scope": {"version"}, "reason": {"v2 replaces it"}, "sunset": {sunset}, "replacement": {"https://pets.example.com/v2"},
		"migration_notes": {"Call **/v2/pets** instead."},
	}))
	p := s.get(caseURL)
	if p.status != http.StatusOK || p.text("[data-testid=case-state]") != "proposed" || p.count("[data-testid=approve]") != 1 {
		t.Fatalf("case page: %d %q", p.status, p.text("main"))
	}
	if !strings.Contains(p.text("[data-testid=missing-approvals]"), "an owner of team zoo") || p.count("[data-testid=consumer]") != 1 {
		t.Errorf("case page: missing %q, consumers %d", p.text("[data-testid=missing-approvals]"), p.count("[data-testid=consumer]"))
	}
	inbox := s.get("/inbox")
	if inbox.doc.Find(`[data-testid=inbox-item] a[href="`+caseURL+`"]`).Length() != 1 {
		t.Errorf("the owner's inbox lacks the case: %s", inbox.text("main"))
	}
	if p := s.get("/retirements?waiting=me"); p.count("[data-testid=case-row]") != 1 {
		t.Errorf("waiting for the owner: %d cases", p.count("[data-testid=case-row]"))
	}

	// A governance lead does not approve an internal API's retirement.
	s.switchTo("governance")
	if p := s.get(caseURL); p.count("[data-testid=approve]") != 0 || !strings.Contains(p.text("[data-testid=approve-note]"), "owner of team zoo") {
		t.Errorf("governance sees approve=%d note %q", p.count("[data-testid=approve]"), p.text("[data-testid=approve-note]"))
	}
	if p := s.post(caseURL, caseURL+"/approve", nil); p.status != http.StatusForbidden {
		t.Errorf("governance approving: %d", p.status)
	}
	if p := s.get("/retirements?waiting=me"); p.count("[data-testid=case-row]") != 0 {
		t.Errorf("waiting for governance: %d cases", p.count("[data-testid=case-row]"))
	}
	if p := s.post(caseURL, caseURL+"/reject", url.Values{"text": {" "}}); p.status != http.StatusUnprocessableEntity || p.count(".has-error #reject") != 1 {
		t.Errorf("rejecting without a reason: %d", p.status)
	}
	if p := s.post(caseURL, caseURL+"/comment", url.Values{"text": {"Partner X still calls it on Mondays."}}); p.status != http.StatusSeeOther {
		t.Errorf("comment: %d", p.status)
	}

	s.switchTo("owner")
	if p := s.post(caseURL, caseURL+"/approve", nil); p.status != http.StatusSeeOther {
		t.Fatalf("approve: %d %s", p.status, p.text("main"))
	}
	p = s.get(caseURL + "?done=approve")
	if p.text("[data-testid=case-state]") != "approved" || p.count("[data-testid=notice-link]") != 1 || p.count("[data-testid=case-event]") != 3 {
		t.Errorf("after approval: %q, events %d", p.text("[data-testid=case-state]"), p.count("[data-testid=case-event]"))
	}
	if p := s.get("/apis/pets/versions/v1"); p.text("[data-testid=version-stage]") != "deprecated" {
		t.Errorf("version stage after approval: %q", p.text("[data-testid=version-stage]"))
	}
	if p := s.post(caseURL, caseURL+"/approve", nil); p.status != http.StatusConflict {
		t.Errorf("approving again: %d", p.status)
	}

	notice := s.get(caseURL + "/notice")
	rc := findCase(t, s.store, caseURL)
	header := func(name string) string {
		return strings.TrimSpace(notice.doc.Find(`[data-header="` + name + `"] code`).Text())
	}
	if got, want := header("Deprecation"), "@"+strconv.FormatInt(rc.Deprecation.Unix(), 10); got != want {
		t.Errorf("Deprecation %q, want %q", got, want)
	}
	if got, want := header("Sunset"), rc.Sunset.Format(http.TimeFormat); got != want || !strings.HasSuffix(got, " GMT") {
		t.Errorf("Sunset %q, want %q", got, want)
	}
	noticeURL := s.srv.URL + caseURL + "/notice"
	if got := header("Link"); !strings.Contains(got, "<"+noticeURL+`>; rel="deprecation"`) || !strings.Contains(got, `<https://pets.example.com/v2>; rel="successor-version"`) ||
		!strings.Contains(got, `rel="sunset"`) {
		t.Errorf("Link %q", got)
	}
	if kong := notice.text("[data-testid=notice-kong]"); !strings.Contains(kong, "response-transformer") || !strings.Contains(kong, `"Deprecation:@`) {
		t.Errorf("Kong: %s", kong)
	}
	if nginx := notice.text("[data-testid=notice-nginx]"); !strings.Contains(nginx, `add_header Sunset "`+rc.Sunset.Format(http.TimeFormat)+`" always;`) {
		t.Errorf("nginx: %s", nginx)
	}
	if notice.count("[data-testid=consumer]") != 0 {
		t.Errorf("consumers since the notice: %d (the only call was before it)", notice.count("[data-testid=consumer]"))
	}

	// Extending needs a later date; the owner moves it.
	if p := s.post(caseURL, caseURL+"/extend", url.Values{"sunset": {"2020-01-01"}}); p.status != http.StatusUnprocessableEntity || p.count(".has-error #sunset") != 1 {
		t.Errorf("extend to the past: %d", p.status)
	}
	later := time.Now().UTC().AddDate(0, 0, 120).Format(time.DateOnly)
	if p := s.post(caseURL, caseURL+"/extend", url.Values{"sunset": {later}}); p.status != http.StatusSeeOther {
		t.Errorf("extend: %d %s", p.status, p.text("main"))
	}
	if got := findCase(t, s.store, caseURL).Sunset.Format(time.DateOnly); got != later {
		t.Errorf("sunset after extension: %s", got)
	}
	audit, _ := s.store.AuditFor(t.Context(), "retirement", strings.TrimPrefix(caseURL, "/retirements/"), 20)
	var actions []string
	for _, a := range audit {
		actions = append(actions, a.Action)
	}
	if got := strings.Join(actions, ","); got != "retirement.extend,retirement.approve,retirement.comment,retirement.open" {
		t.Errorf("audit: %s", got)
	}
}

func findCase(t *testing.T, s *models.Store, caseURL string) *struct {
	Deprecation, Sunset time.Time
} {
	t.Helper()
	id, _ := strconv.ParseInt(strings.TrimPrefix(caseURL, "/retirements/"), 10, 64)
	c, err := s.Case(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return &struct{ Deprecation, Sunset time.Time }{c.Deprecation, c.Sunset}
}

// The catalogue marks APIs with a zombie version and filters on them.
func TestCatalogueZombieBadgeAndFilter(t *testing.T) {
	s := newSite(t, "sqlite")
	s.petsDeployed()
	ctx := t.Context()
	if _, err := s.store.CreateAPI(ctx, catalog.SystemActor("test"), catalog.APIInput{Slug: "toys", Name: "Toys", TeamSlug: "zoo", Kind: "rest", Visibility: "internal"}); err != nil {
		t.Fatal(err)
	}
	v, _ := s.store.GetVersion(ctx, "pets", "v1")
	if err := s.store.SaveZombieVerdicts(ctx, []models.ZombieVerdict{{VersionID: v.ID, Verdict: "zombie", Days: 30, Reason: "silent", ComputedAt: time.Now()}}, nil); err != nil {
		t.Fatal(err)
	}
	all := s.get("/apis")
	if all.count("[data-testid=api-item]") != 2 || all.count("[data-testid=zombie-badge]") != 1 {
		t.Fatalf("catalogue: %d APIs, %d badges", all.count("[data-testid=api-item]"), all.count("[data-testid=zombie-badge]"))
	}
	if got := strings.Join(strings.Fields(all.text("[data-testid=facet-zombie]")), " "); !strings.Contains(got, "zombies 1") {
		t.Errorf("zombie facet: %q", got)
	}
	z := s.get("/apis?zombie=1")
	if z.count("[data-testid=api-item]") != 1 || z.doc.Find(`[data-testid=api-item] a.api-name`).Text() != "Pets" || z.text("[data-testid=result-count]") != "Showing 1–1 of 1 APIs" {
		t.Errorf("zombie filter: %d items, %q", z.count("[data-testid=api-item]"), z.text("[data-testid=result-count]"))
	}
	if p := s.get("/apis/pets/versions/v1/retire"); p.text("[data-testid=verdict]") != "zombie" {
		t.Errorf("retire page verdict: %q", p.text("[data-testid=verdict]"))
	}
}

// Governance leads set the zombie window, notice period, cool-off and
// grace, and an API's own window.
func TestRetirementSettings(t *testing.T) {
	s := newSite(t, "sqlite")
	s.petsDeployed()
	s.switchTo("governance")
	form := url.Values{"zombie_days": {"45"}, "notice_days": {"60"}, "cooloff_days": {"30"}, "grace_percent": {"0.5"}, "final_window_days": {"14"}}
	if p := s.post("/retirements/settings", "/retirements/settings", form); p.status != http.StatusSeeOther {
		t.Fatalf("save: %d %s", p.status, p.text("main"))
	}
	set, _ := s.store.RetirementSettings(t.Context())
	if set.ZombieDays != 45 || set.NoticeDays != 60 || set.CoolOffDays != 30 || set.GracePercent != 0.5 || set.FinalWindowDays != 14 {
		t.Errorf("saved: %+v", set)
	}
	form.Set("zombie_days", "0")
	if p := s.post("/retirements/settings", "/retirements/settings", form); p.status != http.StatusUnprocessableEntity || p.count(".has-error #zombie_days") != 1 {
		t.Errorf("zero days: %d", p.status)
	}
	if p := s.post("/retirements/settings", "/retirements/settings/apis", url.Values{"api": {"nope"}, "days": {"10"}}); p.status != http.StatusUnprocessableEntity || p.count(".has-error #api") != 1 {
		t.Errorf("unknown API: %d", p.status)
	}
	if p := s.post("/retirements/settings", "/retirements/settings/apis", url.Values{"api": {"pets"}, "days": {"10"}}); p.status != http.StatusSeeOther {
		t.Errorf("API window: %d", p.status)
	}
	if p := s.get("/retirements/settings"); p.count("[data-testid=api-windows] tbody tr") != 1 {
		t.Errorf("API windows listed: %d", p.count("[data-testid=api-windows] tbody tr"))
	}
}
