package jobs_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/steward-governance/steward/catalog"
	"github.com/steward-governance/steward/jobs"
	"github.com/steward-governance/steward/lifecycle"
	"github.com/steward-governance/steward/models"
	"github.com/steward-governance/steward/models/storetest"
	"github.com/steward-governance/steward/retirement"
	"github.com/steward-governance/steward/traffic"
)

// governedOrganisation builds an organisation whose overview figures are
// known by construction, through the store as the pages and jobs write
// it. now is the moment the overview is computed at.
//
//	team      owners  API     version  spec  score  versioning  traffic (7 days): requests https auth rate-limit headers
//	payments  1       pay     v1 prod  yes   80 B   pass        100 100  90 80
//	payments          ledger  v1 prod  yes   60 D   fail (3)     50  40  10  0, every Kong route rate limited
//	search    0       find    v1 prod  yes   90 A   pass         50  50  50  0; fails operation-description (2)
//	legacy    0       old     v1 prod  yes   -      -            none (1000 plain requests 10 days ago)
//	legacy            draft   v1 design no   -      -            none
//
// Zombie verdicts: pay active (0 of 2 endpoints silent), ledger active
// (1 of 2), find unknown, old zombie (2 of 2). Runtime scorecards: pay
// drifts (1 unseen, 2 undocumented endpoints, 1 undocumented status),
// ledger does not, find has no data. Discovered hosts: two new, one
// ignored. Waiting for approval: an exception on pay v1, a waiver on
// ledger v1, a retirement proposal on old v1.
func governedOrganisation(t *testing.T, s *models.Store, now time.Time) {
	t.Helper()
	ctx := context.Background()
	sys := catalog.SystemActor("test")
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, team := range []string{"payments", "search", "legacy"} {
		_, err := s.CreateTeam(ctx, sys, catalog.TeamInput{Slug: team, Name: team})
		must(err)
	}
	for role, team := range map[string]string{"owner": "payments", "member": "search"} {
		u, err := s.UpsertUser(ctx, models.Identity{Issuer: "test", Subject: role, Email: role + "@example.com"})
		must(err)
		must(s.SetMember(ctx, sys, team, u.ID, role))
	}
	must(s.EnsureDefaultStandard(ctx, "extends: [\"steward:recommended\"]\n"))
	_, sv, err := s.CurrentStandard(ctx)
	must(err)

	ids := map[string]uint{}
	for _, a := range []struct {
		slug, team, stage, host string
		spec                    bool
	}{
		{"pay", "payments", "production", "pay.example.com", true},
		{"ledger", "payments", "production", "ledger.example.com", true},
		{"find", "search", "production", "", true},
		{"old", "legacy", "production", "", true},
		{"draft", "legacy", "design", "", false},
	} {
		_, err := s.CreateAPI(ctx, sys, catalog.APIInput{Slug: a.slug, Name: a.slug + " API", TeamSlug: a.team, Kind: catalog.KindREST, Visibility: catalog.VisibilityInternal})
		must(err)
		v, err := s.CreateVersion(ctx, sys, a.slug, catalog.VersionInput{Name: "v1", Stage: catalog.Stage(a.stage)})
		must(err)
		ids[a.slug] = v.ID
		if a.host != "" {
			_, err = s.PutDeployment(ctx, sys, a.slug, "v1", catalog.DeploymentInput{Environment: "prod", BaseURL: "https://" + a.host})
			must(err)
		}
		if a.spec {
			_, _, err = s.SaveSpec(ctx, sys, a.slug, "v1", models.SpecUpload{Content: []byte(`{"openapi":"3.0.3"}`), Hash: "h-" + a.slug, Format: "json", SpecVersion: "3.0.3",
				Endpoints: []models.Endpoint{{Method: "GET", Path: "/items"}, {Method: "GET", Path: "/items/{id}"}}})
			must(err)
		}
	}

	for _, sc := range []struct {
		api, grade string
		score      int
		rules      string
	}{
		{"pay", "B", 80, `{"Rule":"steward-versioning","Category":"governance","Status":"pass","Findings":0}`},
		{"ledger", "D", 60, `{"Rule":"steward-versioning","Category":"governance","Status":"fail","Findings":3}`},
		{"find", "A", 90, `{"Rule":"steward-versioning","Category":"governance","Status":"pass","Findings":0},{"Rule":"operation-description","Category":"documentation","Status":"fail","Findings":2}`},
	} {
		v, err := s.GetVersion(ctx, sc.api, "v1")
		must(err)
		score := sc.score
		must(s.SaveScorecard(ctx, models.ScorecardRow{VersionID: v.ID, RevisionID: *v.CurrentRevisionID, StandardVersionID: sv.ID,
			ComputedAt: now.Add(-time.Hour), Status: "complete", Overall: &score, Grade: sc.grade, Result: `{"Rules":[` + sc.rules + `]}`}))
	}

	src, err := s.CreateSource(ctx, sys, models.NewSource{Name: "edge", Kind: traffic.KindTreblle, IngestKey: "k-edge"})
	must(err)
	hour := now.Add(-2 * time.Hour).Truncate(time.Hour)
	row := func(api string, at time.Time, requests, https, auth, limited int64) models.EndpointTraffic {
		return models.EndpointTraffic{VersionID: ids[api], Method: "GET", Template: "/items/{id}", Documented: true, Hour: at,
			Counters:  models.Counters{Requests: requests, Status2xx: requests, HTTPS: https, Authenticated: auth, RateLimited: limited, Legitimate: requests},
			FirstSeen: at, LastSeen: at.Add(time.Minute)}
	}
	discovered := func(host string) models.DiscoveredTraffic {
		return models.DiscoveredTraffic{Host: host, Method: "GET", Template: "/", Hour: hour, Requests: 5, Status2xx: 5, FirstSeen: hour, LastSeen: hour}
	}
	must(s.ApplyRollup(ctx, models.RollupBatch{
		Endpoints: []models.EndpointTraffic{
			row("pay", hour, 100, 100, 90, 80),
			row("ledger", hour, 50, 40, 10, 0),
			row("find", hour, 50, 50, 50, 0),
			row("old", now.Add(-10*24*time.Hour).Truncate(time.Hour), 1000, 0, 0, 0), // before the window
		},
		Discovered: []models.DiscoveredTraffic{discovered("shadow-1.example.com"), discovered("shadow-2.example.com"), discovered("ignored.example.com")},
		Sources:    []models.SourceDelta{{SourceID: src.ID, Events: 1215, From: hour, To: hour.Add(time.Hour), LastEventAt: hour.Add(time.Hour)}},
	}))
	must(s.IgnoreDiscoveredHost(ctx, sys, "ignored.example.com", "a test rig"))

	kong, err := s.CreateSource(ctx, sys, models.NewSource{Name: "kong", Kind: traffic.KindKong})
	must(err)
	must(s.ReplaceGatewayRoutes(ctx, kong.ID, []models.GatewayRoute{{RouteID: "r1", RouteName: "ledger", Hosts: []string{"ledger.example.com"}, Paths: []string{"/"}, RateLimited: true, FetchedAt: now}}))

	verdictsAt := now.Add(-30 * time.Minute)
	must(s.SaveZombieVerdicts(ctx, []models.ZombieVerdict{
		{VersionID: ids["pay"], Verdict: string(retirement.Active), Days: 30, ComputedAt: verdictsAt},
		{VersionID: ids["ledger"], Verdict: string(retirement.Active), Days: 30, ZombieEndpoints: 1, ComputedAt: verdictsAt},
		{VersionID: ids["find"], Verdict: string(retirement.Unknown), Days: 30, Reason: "sources did not cover the window", ComputedAt: verdictsAt},
		{VersionID: ids["old"], Verdict: string(retirement.Zombie), Days: 30, Reason: "no legitimate request for 30 days", ZombieEndpoints: 2, ComputedAt: verdictsAt},
	}, nil))

	for _, rs := range []struct {
		api                              string
		noData, drift                    bool
		unseen, undocumented, statusCode int
	}{
		{"pay", false, true, 1, 2, 1},
		{"ledger", false, false, 0, 0, 0},
		{"find", true, false, 0, 0, 0},
	} {
		_, err := s.SaveRuntimeScorecard(ctx, models.RuntimeScorecardRow{VersionID: ids[rs.api], StandardVersionID: sv.ID, ComputedAt: now.Add(-20 * time.Minute),
			WindowFrom: now.Add(-7 * 24 * time.Hour), WindowTo: now, NoData: rs.noData, HasDrift: rs.drift,
			UnseenEndpoints: rs.unseen, UndocumentedEndpoints: rs.undocumented, UndocumentedStatusCodes: rs.statusCode, Fingerprint: "f-" + rs.api})
		must(err)
	}

	pay, err := s.GetVersion(ctx, "pay", "v1")
	must(err)
	held, err := s.HoldSpec(ctx, sys, "pay", "v1", *pay.CurrentRevisionID, models.SpecUpload{Content: []byte(`{"openapi":"3.0.3","paths":{}}`), Hash: "h-pay-2", Format: "json", SpecVersion: "3.0.3"})
	must(err)
	_, err = s.RequestException(ctx, sys, "pay", "v1", held.ID, "clients moved")
	must(err)
	_, err = s.RequestWaiver(ctx, sys, "ledger", "v1", models.WaiverInput{Rule: "steward-versioning", Reason: "one version forever", Expires: now.Add(90 * 24 * time.Hour)})
	must(err)
	svc := &retirement.Service{Store: s, Traffic: s, Gates: func(context.Context) (lifecycle.Gates, error) { return lifecycle.DefaultGates, nil }}
	_, err = svc.Open(ctx, retirement.Actor{Actor: catalog.Actor{Name: "gina@example.com"}, UserID: 900, Governance: true}, "old", "v1",
		retirement.Proposal{Reason: "nobody calls it", MigrationNotes: "Nothing to migrate."})
	must(err)
}

func TestGovernanceSnapshotFiguresOnAKnownOrganisation(t *testing.T) {
	for _, engine := range storetest.Engines {
		t.Run(engine, func(t *testing.T) {
			ctx := context.Background()
			s := storetest.New(t, engine)
			now := time.Now().UTC()
			governedOrganisation(t, s, now)
			job := &jobs.GovernanceSnapshot{Store: s, Now: func() time.Time { return now }}
			if job.Name() != "overview" {
				t.Errorf("job name %q", job.Name())
			}
			if err := job.Run(ctx); err != nil {
				t.Fatal(err)
			}

			type want struct {
				measured bool
				num, den int64
			}
			check := func(team string, wants map[string]want) {
				t.Helper()
				snap, err := s.LatestGovernanceSnapshot(ctx, team)
				if err != nil {
					t.Fatalf("snapshot of %q: %v", team, err)
				}
				if !snap.ComputedAt.Equal(now.Truncate(time.Microsecond)) && snap.ComputedAt.Sub(now).Abs() > time.Millisecond {
					t.Errorf("%q computed at %s, want %s", team, snap.ComputedAt, now)
				}
				for key, w := range wants {
					f, ok := snap.Figure(key)
					if !ok {
						t.Errorf("%q has no figure %s", team, key)
						continue
					}
					if f.Measured != w.measured || (w.measured && (f.Numerator != w.num || f.Denominator != w.den)) {
						t.Errorf("%q %s = %d/%d measured=%v (%s), want %d/%d measured=%v", team, key, f.Numerator, f.Denominator, f.Measured, f.Reason, w.num, w.den, w.measured)
					}
					if !f.Measured && f.Reason == "" {
						t.Errorf("%q %s is not measured and says not why", team, key)
					}
				}
			}
			check("", map[string]want{
				models.FigureAverageScore:            {true, 230, 3},
				models.FigurePlainHTTP:               {true, 10, 200},
				models.FigureUnauthenticatedRequests: {true, 50, 200},
				models.FigureUnauthenticatedAPIs:     {true, 1, 3},
				models.FigureUnversionedAPIs:         {true, 1, 3},
				models.FigureRateLimitedAPIs:         {true, 2, 3},
				models.FigureZombieVersions:          {true, 1, 3},
				models.FigureZombieEndpoints:         {true, 3, 6},
				models.FigureShadowAPIs:              {true, 2, 3},
				models.FigureOwnerlessAPIs:           {true, 3, 5},
				models.FigureSpeclessAPIs:            {true, 1, 5},
				models.FigureDriftVersions:           {true, 1, 2},
				models.FigureOpenFindings:            {true, 5, 3},
				models.FigurePendingApprovals:        {true, 3, 5},
			})
			check("payments", map[string]want{
				models.FigureAverageScore:            {true, 140, 2},
				models.FigurePlainHTTP:               {true, 10, 150},
				models.FigureUnauthenticatedRequests: {true, 50, 150},
				models.FigureUnauthenticatedAPIs:     {true, 1, 2},
				models.FigureRateLimitedAPIs:         {true, 2, 2},
				models.FigureUnversionedAPIs:         {true, 1, 2},
				models.FigureZombieVersions:          {true, 0, 2},
				models.FigureZombieEndpoints:         {true, 1, 4},
				models.FigureOwnerlessAPIs:           {true, 0, 2},
				models.FigureDriftVersions:           {true, 1, 2},
				models.FigureOpenFindings:            {true, 3, 2},
				models.FigurePendingApprovals:        {true, 2, 2},
			})
			check("search", map[string]want{
				models.FigureAverageScore:   {true, 90, 1},
				models.FigureOwnerlessAPIs:  {true, 1, 1},
				models.FigureZombieVersions: {false, 0, 0}, // its only version's verdict is unknown
				models.FigureDriftVersions:  {false, 0, 0}, // no runtime data
			})
			check("legacy", map[string]want{
				models.FigureAverageScore:   {false, 0, 0},
				models.FigurePlainHTTP:      {false, 0, 0}, // its traffic is older than the window
				models.FigureZombieVersions: {true, 1, 1},
				models.FigureSpeclessAPIs:   {true, 1, 2},
				models.FigureOwnerlessAPIs:  {true, 2, 2},
			})
			org, _ := s.LatestGovernanceSnapshot(ctx, "")
			avg, _ := org.Figure(models.FigureAverageScore)
			if avg.Detail["A"] != 1 || avg.Detail["B"] != 1 || avg.Detail["D"] != 1 || avg.Detail["none"] != 2 {
				t.Errorf("grades: %v", avg.Detail)
			}
			if d, _ := org.Figure(models.FigureDriftVersions); d.Detail["unseen_endpoints"] != 1 || d.Detail["undocumented_endpoints"] != 2 || d.Detail["undocumented_status_codes"] != 1 || d.DataAt == nil {
				t.Errorf("drift detail: %+v", d)
			}
			if p, _ := org.Figure(models.FigurePendingApprovals); p.Detail["exceptions"] != 1 || p.Detail["waivers"] != 1 || p.Detail["retirements"] != 1 {
				t.Errorf("pending approvals: %v", p.Detail)
			}
			if z, _ := org.Figure(models.FigureZombieVersions); z.DataAt == nil || z.DataAt.Sub(now.Add(-30*time.Minute)).Abs() > time.Millisecond {
				t.Errorf("zombie verdicts' time: %v", z.DataAt)
			}
			team, _ := s.LatestGovernanceSnapshot(ctx, "payments")
			if _, ok := team.Figure(models.FigureShadowAPIs); ok {
				t.Error("a team snapshot counts shadow APIs, which belong to no team")
			}

			// The members behind a figure: counted first, heaviest first.
			members := func(figure, team string, counted *bool) []string {
				t.Helper()
				ms, _, err := s.GovernanceMembers(ctx, models.MemberQuery{SnapshotID: org.ID, Figure: figure, Team: team, Counted: counted})
				if err != nil {
					t.Fatal(err)
				}
				var out []string
				for _, m := range ms {
					out = append(out, m.APISlug+m.Host+" "+m.Version)
				}
				return out
			}
			yes, no := true, false
			for _, c := range []struct {
				figure, team string
				counted      *bool
				want         []string
			}{
				{models.FigurePlainHTTP, "", &yes, []string{"ledger "}},
				{models.FigurePlainHTTP, "", nil, []string{"ledger ", "find ", "pay "}},
				{models.FigureAverageScore, "", &yes, []string{"ledger ", "pay ", "find "}}, // lowest score first
				{models.FigureRateLimitedAPIs, "", &no, []string{"find "}},
				{models.FigureOwnerlessAPIs, "legacy", &yes, []string{"draft ", "old "}},
				{models.FigureZombieVersions, "", &yes, []string{"old v1"}},
				{models.FigureShadowAPIs, "", &yes, []string{"shadow-1.example.com ", "shadow-2.example.com "}},
				{models.FigurePendingApprovals, "", &yes, []string{"ledger v1", "old v1", "pay v1"}},
			} {
				got := members(c.figure, c.team, c.counted)
				if strconv.Quote(join(got)) != strconv.Quote(join(c.want)) {
					t.Errorf("members of %s (team %q): %q, want %q", c.figure, c.team, got, c.want)
				}
			}

			// A second run the same day replaces the day's snapshot; the
			// history holds one row per scope and day.
			later := now.Add(time.Minute)
			job.Now = func() time.Time { return later }
			if err := job.Run(ctx); err != nil {
				t.Fatal(err)
			}
			history, err := s.GovernanceHistory(ctx, now.Add(-24*time.Hour))
			if err != nil || len(history) != 4 {
				t.Fatalf("history: %v, %d rows, want one per scope", err, len(history))
			}
		})
	}
}

func join(s []string) string {
	out := ""
	for i, x := range s {
		if i > 0 {
			out += "|"
		}
		out += x
	}
	return out
}

// An empty organisation measures nothing and says why.
func TestGovernanceSnapshotOfAnEmptyOrganisation(t *testing.T) {
	ctx := context.Background()
	s := storetest.New(t, "sqlite")
	if err := (&jobs.GovernanceSnapshot{Store: s}).Run(ctx); err != nil {
		t.Fatal(err)
	}
	snap, err := s.LatestGovernanceSnapshot(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range snap.Figures {
		def, _ := models.FigureDefOf(f.Key)
		if f.Key == models.FigurePendingApprovals {
			continue // zero waiting is a measurement
		}
		if f.Measured {
			t.Errorf("%s measured on an empty organisation: %+v", f.Key, f)
		}
		if f.Reason == "" {
			t.Errorf("%s (%s) says not why it is not measured", f.Key, def.Title)
		}
	}
	if len(snap.Figures) != len(models.FigureDefs) {
		t.Errorf("%d figures, want %d", len(snap.Figures), len(models.FigureDefs))
	}
}
