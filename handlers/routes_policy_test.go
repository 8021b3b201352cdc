package handlers_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/steward-governance/steward/catalog"
	"github.com/steward-governance/steward/identity"
	"github.com/steward-governance/steward/models"
	"github.com/steward-governance/steward/retirement"
)

// Who may use each route. Every route the server registers must be listed,
// so a new route cannot ship without a decision.
const (
	anyone = "anyone" // no sign-in needed
	reader = "reader" // any signed-in person
	member = "member" // member or owner of the API's team, or an admin
	owner  = "owner"  // owner of the team, or an admin
	admin  = "admin"  // admins only
	// governance leads (and admins): standards and waivers
	governance = "governance"
	// anyone who may make some lifecycle move: members, owners, governance
	// leads and admins; which move each may make is the lifecycle's table,
	// tested in lifecycle_test.go
	stageMover = "stage mover"
	// owners of the team, governance leads and admins: who proposes,
	// approves and rejects retirements (which approval each gives is the
	// retirement rules' table, tested in retirement/case_test.go)
	decider = "decider"
	// a source's ingest key, and nothing else: no session or API token
	// lets anyone post events
	ingestKey = "ingest key"
)

var routePolicy = map[string]string{
	// Retirements: anyone signed in reads cases and comments; the probe's
	// case is pets v1 (internal), so only an owner of zoo (or an admin)
	// approves it and extends its sunset, and only governance leads (or
	// admins) retire a blocked one anyway.
	"GET /retirements":                              reader,
	"GET /retirements/:case":                        reader,
	"GET /retirements/:case/notice":                 reader,
	"POST /retirements/:case/comment":               reader,
	"POST /retirements/:case/approve":               owner,
	"POST /retirements/:case/reject":                decider,
	"POST /retirements/:case/extend":                owner,
	"POST /retirements/:case/override":              governance,
	"GET /retirements/settings":                     governance,
	"POST /retirements/settings":                    governance,
	"POST /retirements/settings/apis":               governance,
	"GET /apis/:api/versions/:version/retire":       reader,
	"POST /apis/:api/versions/:version/retirements": decider,

	"GET /healthz":             anyone,
	"GET /readyz":              anyone,
	"GET /static/*":            anyone,
	"GET /login":               anyone,
	"GET /login/oidc":          anyone,
	"POST /login/dev":          anyone,
	"GET /auth/callback":       anyone,
	"POST /logout":             anyone,
	"GET /api/v1/openapi.json": anyone,
	"GET /metrics":             reader,

	"GET /":                                               reader,
	"GET /apis":                                           reader,
	"GET /apis/new":                                       reader,
	"GET /apis/:api":                                      reader,
	"GET /apis/:api/edit":                                 reader,
	"GET /apis/:api/delete":                               reader,
	"GET /apis/:api/versions/new":                         reader,
	"GET /apis/:api/versions/:version":                    reader,
	"GET /apis/:api/versions/:version/edit":               reader,
	"GET /apis/:api/versions/:version/delete":             reader,
	"GET /apis/:api/versions/:version/spec":               reader,
	"GET /apis/:api/versions/:version/revisions/:rev":     reader,
	"GET /apis/:api/versions/:version/revisions/:rev/raw": reader,
	"GET /apis/:api/versions/:version/pending/:id":        reader,
	"GET /apis/:api/versions/:version/diff":               reader,
	"GET /apis/:api/versions/:version/scorecard":          reader,
	"GET /apis/:api/versions/:version/traffic":            reader,
	"GET /teams":                                          reader,
	"GET /teams/new":                                      reader,
	"GET /teams/:team":                                    reader,
	"GET /teams/:team/edit":                               reader,
	"GET /teams/:team/delete":                             reader,
	"GET /governance":                                     reader,
	"GET /tokens":                                         reader,
	"POST /tokens":                                        reader,
	"POST /tokens/:id/revoke":                             owner, // the test's token is a zoo team token

	"POST /apis":                                                member,
	"POST /apis/:api":                                           member,
	"POST /apis/:api/versions":                                  member,
	"POST /apis/:api/versions/:version":                         member,
	"POST /apis/:api/versions/:version/delete":                  member,
	"POST /apis/:api/versions/:version/deployments":             member,
	"POST /apis/:api/versions/:version/deployments/:env/delete": member,
	"POST /apis/:api/versions/:version/spec":                    member,
	"POST /apis/:api/delete":                                    owner,
	"POST /teams/:team":                                         owner,
	"POST /teams/:team/members":                                 owner,
	"POST /teams/:team/members/:user/remove":                    owner,
	"POST /teams/:team/group":                                   admin,
	"POST /teams":                                               admin,
	"POST /teams/:team/delete":                                  admin,
	"GET /admin/audit":                                          admin,

	"GET /api/v1/teams":                                           reader,
	"GET /api/v1/teams/:team":                                     reader,
	"GET /api/v1/apis":                                            reader,
	"GET /api/v1/apis/:api":                                       reader,
	"GET /api/v1/apis/:api/versions":                              reader,
	"GET /api/v1/apis/:api/versions/:version":                     reader,
	"GET /api/v1/apis/:api/versions/:version/deployments":         reader,
	"GET /api/v1/apis/:api/versions/:version/spec":                reader,
	"GET /api/v1/apis/:api/versions/:version/scorecard":           reader,
	"GET /api/v1/apis/:api/versions/:version/drift":               reader,
	"GET /api/v1/apis/:api/versions/:version/revisions":           reader,
	"POST /api/v1/teams":                                          admin,
	"PUT /api/v1/teams/:team":                                     owner,
	"DELETE /api/v1/teams/:team":                                  admin,
	"POST /api/v1/apis":                                           member,
	"PUT /api/v1/apis/:api":                                       member,
	"DELETE /api/v1/apis/:api":                                    owner,
	"POST /api/v1/apis/:api/versions":                             member,
	"PUT /api/v1/apis/:api/versions/:version":                     member,
	"DELETE /api/v1/apis/:api/versions/:version":                  member,
	"PUT /api/v1/apis/:api/versions/:version/deployments/:env":    member,
	"DELETE /api/v1/apis/:api/versions/:version/deployments/:env": member,
	"PUT /api/v1/apis/:api/versions/:version/spec":                member,

	// Standards and waivers.
	"GET /standards": reader,
	"GET /standards/:standard/versions/:number":               reader,
	"GET /standards/:standard/diff":                           reader,
	"POST /standards/:standard/drafts":                        governance,
	"GET /standards/:standard/draft":                          governance,
	"POST /standards/:standard/draft":                         governance,
	"POST /standards/:standard/draft/delete":                  governance,
	"POST /standards/:standard/draft/preview":                 governance,
	"GET /standards/:standard/draft/preview":                  governance,
	"POST /standards/:standard/draft/publish":                 governance,
	"POST /apis/:api/versions/:version/waivers":               member,
	"POST /apis/:api/versions/:version/pending/:id/exception": member,
	"POST /apis/:api/versions/:version/pending/:id/approve":   governance,
	"POST /apis/:api/versions/:version/pending/:id/deny":      governance,
	"GET /waivers":                          governance,
	"POST /waivers/:id/approve":             governance,
	"POST /waivers/:id/deny":                governance,
	"GET /api/v1/standards/:standard":       reader,
	"PUT /api/v1/standards/:standard/draft": governance,

	// Pending revisions: withdrawn by their team, and the same flow in the
	// JSON API as on their page.
	"POST /apis/:api/versions/:version/pending/:id/withdraw":                   member,
	"GET /api/v1/pending-revisions":                                            reader,
	"GET /api/v1/apis/:api/versions/:version/pending-revisions/:id":            reader,
	"POST /api/v1/apis/:api/versions/:version/pending-revisions/:id/exception": member,
	"POST /api/v1/apis/:api/versions/:version/pending-revisions/:id/approve":   governance,
	"POST /api/v1/apis/:api/versions/:version/pending-revisions/:id/deny":      governance,
	"POST /api/v1/apis/:api/versions/:version/pending-revisions/:id/withdraw":  member,

	// Runtime sources and jobs.
	"GET /admin/sources":              admin,
	"POST /admin/sources":             admin,
	"POST /admin/sources/:id/enabled": admin,
	"POST /admin/sources/:id/delete":  admin,
	"GET /admin/jobs":                 admin,
	"POST /admin/jobs/:job/run":       admin,
	"POST /admin/jobs/:job/schedule":  admin,
	"GET /admin/jobs/runs/:id":        admin,
	"POST /ingest/treblle":            ingestKey,
	"POST /v1/traces":                 ingestKey,

	// Notifications: webhooks are for admins; everyone has an inbox.
	"GET /admin/webhooks":              admin,
	"POST /admin/webhooks":             admin,
	"POST /admin/webhooks/:id/enabled": admin,
	"POST /admin/webhooks/:id/test":    admin,
	"POST /admin/webhooks/:id/delete":  admin,
	"GET /inbox":                       reader,

	// Lifecycle: the probe's form posts no target stage, which everyone
	// with a lifecycle right hears about (422) and others may not ask (403).
	"POST /apis/:api/versions/:version/stage":          stageMover,
	"GET /api/v1/apis/:api/versions/:version/timeline": reader,

	// Discovered APIs: anyone signed in reads them; a team's members claim
	// one for their team (the probe's form names team zoo); governance
	// leads ignore one.
	"GET /discovered":               reader,
	"GET /discovered/:host":         reader,
	"POST /discovered/:host/claim":  member,
	"POST /discovered/:host/ignore": governance,

	// The runtime in the JSON API: sources and jobs for admins, traffic
	// and discovered hosts for anyone signed in.
	"GET /api/v1/sources":                             admin,
	"POST /api/v1/sources":                            admin,
	"GET /api/v1/sources/:id":                         admin,
	"GET /api/v1/jobs":                                admin,
	"POST /api/v1/jobs/:job/runs":                     admin,
	"GET /api/v1/jobs/runs/:id":                       admin,
	"GET /api/v1/apis/:api/versions/:version/traffic": reader,
	"GET /api/v1/discovered":                          reader,

	// The governance overview: anyone signed in reads it, on the pages
	// and in the JSON API.
	"GET /governance/teams/:team":      reader,
	"GET /governance/figures/:figure":  reader,
	"GET /api/v1/overview":             reader,
	"GET /api/v1/overview/teams/:team": reader,
}

// roles are the people the table is checked for, least privileged first.
var roles = []string{"anonymous", "viewer", "member", "owner", "governance", "admin"}

func allowed(rule, role string) bool {
	switch rule {
	case anyone:
		return true
	case reader:
		return role != "anonymous"
	case member:
		return role == "member" || role == "owner" || role == "admin"
	case owner:
		return role == "owner" || role == "admin"
	case admin:
		return role == "admin"
	case governance:
		return role == "governance" || role == "admin"
	case stageMover:
		return role == "member" || role == "owner" || role == "governance" || role == "admin"
	case decider:
		return role == "owner" || role == "governance" || role == "admin"
	case ingestKey:
		return false
	}
	panic("unknown rule " + rule)
}

// TestEveryRouteHasAPolicy runs every registered route for every role on a
// fresh database and checks it is refused or let through as the table says.
func TestEveryRouteHasAPolicy(t *testing.T) {
	probe := newSite(t, "sqlite")
	var routes []string
	for _, r := range probe.e.Routes() {
		if r.Path == "/api/v1/*" || r.Method == "echo_route_not_found" {
			continue // the JSON API's catch-all answers 404 to everyone
		}
		for _, m := range methodsOf(r.Method) {
			routes = append(routes, m+" "+r.Path)
		}
	}
	sort.Strings(routes)
	for _, route := range routes {
		if _, ok := routePolicy[route]; !ok {
			t.Errorf("route %s has no entry in routePolicy: decide who may use it", route)
		}
	}
	for route := range routePolicy {
		found := false
		for _, r := range routes {
			found = found || r == route
		}
		if !found {
			t.Errorf("routePolicy lists %s, which the server does not register", route)
		}
	}
	if t.Failed() {
		t.FailNow()
	}
	for _, route := range routes {
		route := route
		t.Run(route, func(t *testing.T) {
			s := newSite(t, "sqlite")
			fx := s.fixtures()
			rule := routePolicy[route]
			method, path, _ := strings.Cut(route, " ")
			// Refused roles go first: an allowed delete must not leave the
			// refused ones facing a 404 instead of the policy.
			ordered := append([]string(nil), roles...)
			sort.SliceStable(ordered, func(i, j int) bool { return !allowed(rule, ordered[i]) && allowed(rule, ordered[j]) })
			for _, role := range ordered {
				res := fx.request(role, method, path)
				got := classify(res)
				want := allowed(rule, role)
				if want && got != "through" {
					t.Errorf("%s as %s: refused with %d (%s), want it allowed", route, role, res.status, res.location)
				}
				if !want && got == "through" {
					t.Errorf("%s as %s: answered %d, want it refused", route, role, res.status)
				}
				if rule == ingestKey {
					if res.status != http.StatusUnauthorized {
						t.Errorf("%s as %s without an ingest key: answered %d, want 401", route, role, res.status)
					}
					continue
				}
				if !want && role != "anonymous" && got != "forbidden" {
					t.Errorf("%s as %s: answered %d, want 403", route, role, res.status)
				}
			}
		})
	}
}

func methodsOf(m string) []string {
	if m == "RouteNotFound" {
		return nil
	}
	return []string{m}
}

// classify says whether a request got past authorisation.
func classify(p *page) string {
	switch {
	case p.status == http.StatusUnauthorized, p.status == http.StatusSeeOther && strings.HasPrefix(p.location, "/login?next="):
		return "signin"
	case p.status == http.StatusForbidden:
		return "forbidden"
	}
	return "through"
}

// fixtures is a team "zoo" with API "pets" v1 (two spec revisions and a
// production deployment), a zoo team token, and a session and an
// admin-scoped token for each role.
type fixtures struct {
	s        *site
	sessions map[string]string
	tokens   map[string]string
	tokenID  uint
	memberID uint
	caseID   int64 // a proposed retirement of pets v1
}

func (s *site) fixtures() *fixtures {
	s.t.Helper()
	ctx := context.Background()
	st := s.store
	sys := catalog.SystemActor("test")
	must := func(err error) {
		s.t.Helper()
		if err != nil {
			s.t.Fatal(err)
		}
	}
	_, err := st.CreateTeam(ctx, sys, catalog.TeamInput{Slug: "zoo", Name: "Zoo"})
	must(err)
	_, err = st.CreateAPI(ctx, sys, catalog.APIInput{Slug: "pets", Name: "Pets", TeamSlug: "zoo", Kind: "rest", Visibility: "internal"})
	must(err)
	_, err = st.CreateVersion(ctx, sys, "pets", catalog.VersionInput{Name: "v1", Stage: "production"})
	must(err)
	for i, body := range []string{petsV1, petsV2} {
		_, _, err = st.SaveSpec(ctx, sys, "pets", "v1", models.SpecUpload{Content: []byte(body), Hash: fmt.Sprint("h", i), Format: "yaml", SpecVersion: "3.0.3"})
		must(err)
	}
	_, err = st.PutDeployment(ctx, sys, "pets", "v1", catalog.DeploymentInput{Environment: "prod", BaseURL: "https://pets.example.com"})
	must(err)
	fx := &fixtures{s: s, sessions: map[string]string{}, tokens: map[string]string{}}
	for _, role := range roles[1:] {
		u, err := st.UpsertUser(ctx, models.Identity{Issuer: "test", Subject: role, Email: role + "@example.com", Admin: role == "admin", Governance: role == "governance"})
		must(err)
		if role == "member" || role == "owner" {
			must(st.SetMember(ctx, sys, "zoo", u.ID, role))
		}
		if role == "member" {
			fx.memberID = u.ID
		}
		raw, _ := identity.RandomString(16)
		must(st.CreateSession(ctx, raw, u.ID, time.Now().Add(time.Hour), "", "", ""))
		fx.sessions[role] = raw
		secret, shown, _ := identity.NewTokenSecret()
		_, err = st.CreateToken(ctx, sys, models.APIToken{Name: role, Prefix: shown, UserID: u.ID, Scope: "admin"}, secret)
		must(err)
		fx.tokens[role] = secret
		if role == "owner" {
			zoo, _ := st.GetTeam(ctx, "zoo")
			tok, err := st.CreateToken(ctx, sys, models.APIToken{Name: "zoo ci", Prefix: "stw_zooci", UserID: u.ID, TeamID: &zoo.ID, Scope: "read"}, "stw_zoo-ci-secret")
			must(err)
			fx.tokenID = tok.ID
		}
	}
	rc, err := (&retirement.Service{Store: st}).Open(ctx, retirement.SystemActor("test"), "pets", "v1",
		retirement.Proposal{Reason: "unused", MigrationNotes: "Use v2."})
	must(err)
	fx.caseID = rc.ID
	return fx
}

// request sends method path as role: pages with the role's session and a
// fresh CSRF token, the JSON API with the role's token.
func (fx *fixtures) request(role, method, pattern string) *page {
	s := fx.s
	path := strings.NewReplacer(
		":api", "pets", ":version", "v1", ":team", "zoo", ":rev", "1", ":env", "prod",
		":id", fmt.Sprint(fx.tokenID), ":user", fmt.Sprint(fx.memberID), "*", "app.css",
		":standard", "organisation", ":number", "1", ":case", fmt.Sprint(fx.caseID),
	).Replace(pattern)
	if strings.HasSuffix(pattern, "/diff") {
		path += "?from=1&to=2"
	}
	jar, _ := cookiejar.New(nil)
	u, _ := url.Parse(s.srv.URL)
	if role != "anonymous" {
		jar.SetCookies(u, []*http.Cookie{{Name: "steward_session", Value: fx.sessions[role]}})
	}
	as := &site{t: s.t, srv: s.srv, client: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}, store: s.store}
	if strings.HasPrefix(pattern, "/ingest/") || pattern == "/v1/traces" {
		// A well-formed event with the role's session and API token but no
		// ingest key.
		body, contentType := treblleEvent(""), "application/json"
		if pattern == "/v1/traces" {
			body = `{"resourceSpans":[]}`
		}
		req, _ := http.NewRequest(method, s.srv.URL+path, strings.NewReader(body))
		req.Header.Set("Content-Type", contentType)
		if role != "anonymous" {
			req.Header.Set("Authorization", "Bearer "+fx.tokens[role])
		}
		return as.do(req)
	}
	if strings.HasPrefix(pattern, "/api/v1/") {
		var body string
		switch {
		case strings.HasSuffix(pattern, "/spec"):
			body = petsV1
		case strings.HasSuffix(pattern, "/deployments/:env"):
			body = `{"base_url":"https://pets.example.com/v2"}`
		case strings.HasSuffix(pattern, "/versions") || strings.HasSuffix(pattern, "/versions/:version"):
			// A rename: a stage change is a lifecycle move, with a table
			// of its own (lifecycle_test.go).
			body = `{"name":"v9"}`
		case strings.HasSuffix(pattern, "/teams") || strings.HasSuffix(pattern, "/teams/:team"):
			body = `{"slug":"zoo2","name":"Zoo Two"}`
		default:
			body = `{"slug":"pets2","name":"Pets Two","team":"zoo","kind":"rest","visibility":"internal"}`
		}
		req, _ := http.NewRequest(method, s.srv.URL+path, nil)
		if method != http.MethodGet {
			req, _ = http.NewRequest(method, s.srv.URL+path, strings.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
		}
		if role != "anonymous" {
			req.Header.Set("Authorization", "Bearer "+fx.tokens[role])
		}
		return as.do(req)
	}
	if method == http.MethodGet {
		return as.get(path)
	}
	form := url.Values{
		"name": {"Zoo Animals"}, "slug": {"zoo-animals"}, "team": {"zoo"}, "kind": {"rest"}, "visibility": {"internal"},
		"stage": {"design"}, "environment": {"qa"}, "base_url": {"https://qa.example.com"},
		"email": {"member@example.com"}, "role": {"member"}, "group": {"zoo-people"},
		"scope": {"read"}, "expires_days": {"7"}, "persona": {"viewer"},
	}
	if pattern == "/apis/:api/versions/:version" || pattern == "/apis/:api/versions" {
		form.Set("name", "v2")
	}
	if pattern == "/tokens" {
		form.Del("team") // a personal token: anyone signed in may make one
	}
	formPage := "/tokens" // a page with a form for anyone signed in
	if role == "anonymous" {
		formPage = "/login"
	}
	return as.post(formPage, path, form)
}
