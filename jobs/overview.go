package jobs

import (
	"context"
	"fmt"
	"log/slog"
	"sort"
	"time"

	"github.com/steward-governance/steward/models"
	"github.com/steward-governance/steward/retirement"
)

// OverviewStore is what the overview job reads and writes.
type OverviewStore interface {
	OverviewCatalogue(ctx context.Context) ([]models.OverviewAPI, []models.OverviewVersion, error)
	OverviewTeams(ctx context.Context) ([]models.OverviewTeam, error)
	LatestRuleOutcomes(ctx context.Context, versionIDs []uint, ruleNames []string) (map[uint][]models.RuleOutcome, error)
	TrafficByAPI(ctx context.Context, from, to time.Time) (map[uint]models.APITraffic, error)
	Sources(ctx context.Context) ([]models.Source, error)
	GatewayRouteMatches(ctx context.Context) ([]models.GatewayRouteMatch, error)
	ZombieVerdicts(ctx context.Context, versionIDs []uint) (map[uint]models.ZombieVerdict, error)
	LatestRuntimeDrift(ctx context.Context) (map[uint]models.RuntimeDrift, error)
	OpenFindingsByVersion(ctx context.Context) (map[uint]models.VersionFindings, error)
	PendingApprovalsByVersion(ctx context.Context) (map[uint]models.PendingApprovals, error)
	DiscoveredHosts(ctx context.Context, from time.Time) ([]models.DiscoveredHost, error)
	SaveGovernanceSnapshot(ctx context.Context, run models.SnapshotRun) error
}

// VersioningRules are the rules of steward:recommended that say whether an
// API follows a versioning scheme: an API has one when its primary
// version's latest scorecard passes them.
var VersioningRules = []string{"steward-versioning"}

// SnapshotRetention is how long daily overview snapshots are kept.
const SnapshotRetention = 2 * 365 * 24 * time.Hour

// GovernanceSnapshot computes the governance overview's figures (see
// models.FigureDefs) from stored data, for the organisation and for each
// team, and stores them: the latest snapshot replaced, today's daily
// snapshot replaced, daily snapshots older than SnapshotRetention deleted.
//
// Cost: a dozen grouped queries whatever the catalogue's size, plus
// decoding the latest scorecard of each API's primary version for the
// versioning rule.
type GovernanceSnapshot struct {
	Store OverviewStore
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	Log *slog.Logger
}

// Name names the job.
func (j *GovernanceSnapshot) Name() string { return "overview" }

// Run computes and stores one snapshot.
func (j *GovernanceSnapshot) Run(ctx context.Context) error {
	now := time.Now().UTC()
	if j.Now != nil {
		now = j.Now().UTC()
	}
	in, err := j.gather(ctx, now)
	if err != nil {
		return fmt.Errorf("overview: %w", err)
	}
	run := ComputeOverview(in)
	run.KeepDailySince = now.Add(-SnapshotRetention)
	if err := j.Store.SaveGovernanceSnapshot(ctx, run); err != nil {
		return fmt.Errorf("overview: %w", err)
	}
	p := Progress(ctx)
	p.Count("scopes", int64(len(run.Scopes)))
	p.Count("members", int64(len(run.Members)))
	return nil
}

// gather reads everything the figures are computed from.
func (j *GovernanceSnapshot) gather(ctx context.Context, now time.Time) (OverviewInput, error) {
	in := OverviewInput{Now: now}
	var err error
	if in.APIs, in.Versions, err = j.Store.OverviewCatalogue(ctx); err != nil {
		return in, err
	}
	if in.Teams, err = j.Store.OverviewTeams(ctx); err != nil {
		return in, err
	}
	var primaries []uint
	for _, a := range in.APIs {
		if a.PrimaryVersionID != 0 {
			primaries = append(primaries, a.PrimaryVersionID)
		}
	}
	if in.Versioning, err = j.Store.LatestRuleOutcomes(ctx, primaries, VersioningRules); err != nil {
		return in, err
	}
	from := now.Add(-models.TrafficWindowDays * 24 * time.Hour)
	if in.Traffic, err = j.Store.TrafficByAPI(ctx, from, now); err != nil {
		return in, err
	}
	srcs, err := j.Store.Sources(ctx)
	if err != nil {
		return in, err
	}
	for _, s := range srcs {
		if s.CoveredTo != nil && !s.CoveredTo.Before(from) {
			in.TrafficCovered = true
		}
	}
	matches, err := j.Store.GatewayRouteMatches(ctx)
	if err != nil {
		return in, err
	}
	in.Gateway = map[uint]models.GatewayCoverage{}
	for _, m := range matches {
		if m.APIID == 0 {
			continue
		}
		c := in.Gateway[m.APIID]
		c.Routes++
		if m.Route.Authenticated {
			c.Authenticated++
		}
		if m.Route.RateLimited {
			c.RateLimited++
		}
		if m.Route.HTTPSOnly {
			c.HTTPSOnly++
		}
		in.Gateway[m.APIID] = c
	}
	if in.Zombies, err = j.Store.ZombieVerdicts(ctx, nil); err != nil {
		return in, err
	}
	if in.Drift, err = j.Store.LatestRuntimeDrift(ctx); err != nil {
		return in, err
	}
	if in.Findings, err = j.Store.OpenFindingsByVersion(ctx); err != nil {
		return in, err
	}
	if in.Pending, err = j.Store.PendingApprovalsByVersion(ctx); err != nil {
		return in, err
	}
	if in.Hosts, err = j.Store.DiscoveredHosts(ctx, now.Add(-models.ShadowWindowDays*24*time.Hour)); err != nil {
		return in, err
	}
	return in, nil
}

// OverviewInput is everything the overview's figures are computed from.
type OverviewInput struct {
	Now      time.Time
	APIs     []models.OverviewAPI
	Versions []models.OverviewVersion
	Teams    []models.OverviewTeam
	// Versioning holds the versioning rules' outcomes on the latest
	// scorecard of each API's primary version.
	Versioning map[uint][]models.RuleOutcome
	// Traffic is each API's traffic over the last TrafficWindowDays.
	Traffic map[uint]models.APITraffic
	// TrafficCovered is true when some traffic source reported within
	// that window.
	TrafficCovered bool
	// Gateway sums, per API, the gateway routes serving its versions.
	Gateway  map[uint]models.GatewayCoverage
	Zombies  map[uint]models.ZombieVerdict
	Drift    map[uint]models.RuntimeDrift
	Findings map[uint]models.VersionFindings
	Pending  map[uint]models.PendingApprovals
	// Hosts are the hosts discovered in the last ShadowWindowDays.
	Hosts []models.DiscoveredHost
}

// scope is the APIs and versions one snapshot covers.
type scope struct {
	team     string // empty for the organisation
	apis     []*models.OverviewAPI
	versions []*models.OverviewVersion
}

// member is a figure's member with the weight that orders the list.
type member struct {
	models.FigureMember
	weight float64
}

// ComputeOverview computes the figures of the organisation and of each
// team, with the members behind the organisation's.
func ComputeOverview(in OverviewInput) models.SnapshotRun {
	org := scope{}
	teams := map[string]*scope{}
	for _, t := range in.Teams {
		teams[t.Slug] = &scope{team: t.Slug}
	}
	for i := range in.APIs {
		a := &in.APIs[i]
		org.apis = append(org.apis, a)
		if t := teams[a.TeamSlug]; t != nil {
			t.apis = append(t.apis, a)
		}
	}
	for i := range in.Versions {
		v := &in.Versions[i]
		org.versions = append(org.versions, v)
		if t := teams[v.TeamSlug]; t != nil {
			t.versions = append(t.versions, v)
		}
	}
	c := &computer{in: &in, owners: map[string]int{}}
	for _, t := range in.Teams {
		c.owners[t.Slug] = t.Owners
	}
	run := models.SnapshotRun{ComputedAt: in.Now}
	figures, members := c.figures(org)
	run.Scopes = append(run.Scopes, models.SnapshotScope{Figures: figures})
	run.Members = members
	for _, t := range in.Teams {
		figures, _ := c.figures(*teams[t.Slug])
		run.Scopes = append(run.Scopes, models.SnapshotScope{TeamSlug: t.Slug, Figures: figures})
	}
	return run
}

type computer struct {
	in     *OverviewInput
	owners map[string]int
}

// figures computes every figure of a scope, in FigureDefs' order, and the
// members of each, ordered.
func (c *computer) figures(s scope) ([]models.Figure, []models.FigureMember) {
	builders := map[string]func(scope) (models.Figure, []member){
		models.FigureAverageScore:            c.averageScore,
		models.FigurePlainHTTP:               c.plainHTTP,
		models.FigureUnauthenticatedAPIs:     c.unauthenticatedAPIs,
		models.FigureUnauthenticatedRequests: c.unauthenticatedRequests,
		models.FigureUnversionedAPIs:         c.unversionedAPIs,
		models.FigureRateLimitedAPIs:         c.rateLimitedAPIs,
		models.FigureZombieVersions:          c.zombieVersions,
		models.FigureZombieEndpoints:         c.zombieEndpoints,
		models.FigureShadowAPIs:              c.shadowAPIs,
		models.FigureOwnerlessAPIs:           c.ownerlessAPIs,
		models.FigureSpeclessAPIs:            c.speclessAPIs,
		models.FigureDriftVersions:           c.driftVersions,
		models.FigureOpenFindings:            c.openFindings,
		models.FigurePendingApprovals:        c.pendingApprovals,
	}
	var figures []models.Figure
	var members []models.FigureMember
	for _, def := range models.FigureDefs {
		if def.OrgOnly && s.team != "" {
			continue
		}
		build := builders[def.Key]
		f, ms := build(s)
		f.Key = def.Key
		figures = append(figures, f)
		sort.SliceStable(ms, func(i, j int) bool {
			a, b := ms[i], ms[j]
			if a.Counted != b.Counted {
				return a.Counted
			}
			if a.weight != b.weight {
				return a.weight > b.weight
			}
			if a.APISlug != b.APISlug {
				return a.APISlug < b.APISlug
			}
			if a.Version != b.Version {
				return a.Version < b.Version
			}
			return a.Host < b.Host
		})
		for i, m := range ms {
			m.Figure, m.Position = def.Key, i+1
			members = append(members, m.FigureMember)
		}
	}
	return figures, members
}

func apiMember(a *models.OverviewAPI, counted bool, weight float64, detail string) member {
	return member{FigureMember: models.FigureMember{TeamSlug: a.TeamSlug, APISlug: a.Slug, APIName: a.Name, Counted: counted, Detail: detail}, weight: weight}
}

func versionMember(v *models.OverviewVersion, counted bool, weight float64, detail string) member {
	return member{FigureMember: models.FigureMember{TeamSlug: v.TeamSlug, APISlug: v.APISlug, APIName: v.APIName, Version: v.Name, Counted: counted, Detail: detail}, weight: weight}
}

func pct(n, d int64) string {
	if d == 0 {
		return "–"
	}
	return fmt.Sprintf("%.0f%%", 100*float64(n)/float64(d))
}

// noAPIs is the reason a figure over APIs is not measured in a scope with
// none.
func noAPIs(s scope) string {
	if s.team != "" {
		return "This team owns no APIs."
	}
	return "The catalogue has no APIs yet."
}

func (c *computer) averageScore(s scope) (models.Figure, []member) {
	f := models.Figure{Detail: map[string]int64{}}
	var ms []member
	for _, a := range s.apis {
		g := a.Grade
		if g == "" {
			g = "none"
		}
		f.Detail[g]++
		if a.PrimaryScore == nil {
			continue
		}
		score := *a.PrimaryScore
		f.Numerator += int64(score)
		f.Denominator++
		ms = append(ms, apiMember(a, true, float64(100-score), fmt.Sprintf("%d/100 (grade %s) on %s", score, gradeOrNone(a.Grade), a.Primary)))
	}
	f.Measured = f.Denominator > 0
	switch {
	case len(s.apis) == 0:
		f.Reason = noAPIs(s)
	case !f.Measured:
		f.Reason = "No API has a scored version yet: upload specs, and the scoring job grades them against the standard."
	}
	return f, ms
}

func gradeOrNone(g string) string {
	if g == "" {
		return "none"
	}
	return g
}

// noTraffic says why a traffic figure is not measured.
func (c *computer) noTraffic(s scope) string {
	if !c.in.TrafficCovered {
		return fmt.Sprintf("No traffic source has reported in the last %d days: add one on the Sources page (admins).", models.TrafficWindowDays)
	}
	if s.team != "" {
		return fmt.Sprintf("No requests to this team's APIs in the last %d days.", models.TrafficWindowDays)
	}
	return fmt.Sprintf("No requests to catalogued APIs in the last %d days.", models.TrafficWindowDays)
}

func (c *computer) plainHTTP(s scope) (models.Figure, []member) {
	return c.requestShare(s, "over plain HTTP", func(t models.APITraffic) int64 { return t.Requests - t.HTTPS })
}

func (c *computer) unauthenticatedRequests(s scope) (models.Figure, []member) {
	return c.requestShare(s, "without credentials", func(t models.APITraffic) int64 { return t.Requests - t.Authenticated })
}

// requestShare is the share of the scope's requests that count says are
// counted (over plain HTTP, without credentials), API by API.
func (c *computer) requestShare(s scope, what string, count func(models.APITraffic) int64) (models.Figure, []member) {
	var f models.Figure
	var ms []member
	for _, a := range s.apis {
		t := c.in.Traffic[a.ID]
		if t.Requests == 0 {
			continue
		}
		n := count(t)
		f.Numerator += n
		f.Denominator += t.Requests
		ms = append(ms, apiMember(a, n > 0, float64(n), fmt.Sprintf("%s of %d requests %s", pct(n, t.Requests), t.Requests, what)))
	}
	if f.Measured = f.Denominator > 0; !f.Measured {
		f.Reason = c.noTraffic(s)
	}
	return f, ms
}

func (c *computer) unauthenticatedAPIs(s scope) (models.Figure, []member) {
	var f models.Figure
	var ms []member
	for _, a := range s.apis {
		t, g := c.in.Traffic[a.ID], c.in.Gateway[a.ID]
		byGateway := g.AllAuthenticated()
		if t.Requests == 0 && !byGateway {
			continue
		}
		f.Denominator++
		if byGateway {
			ms = append(ms, apiMember(a, false, 0, fmt.Sprintf("every gateway route serving it (%d) requires authentication", g.Routes)))
			continue
		}
		without := t.Authenticated*2 < t.Requests
		if without {
			f.Numerator++
		}
		ms = append(ms, apiMember(a, without, float64(t.Requests-t.Authenticated), fmt.Sprintf("%s of %d requests carried credentials", pct(t.Authenticated, t.Requests), t.Requests)))
	}
	if f.Measured = f.Denominator > 0; !f.Measured {
		f.Reason = c.noTraffic(s)
	}
	return f, ms
}

func (c *computer) rateLimitedAPIs(s scope) (models.Figure, []member) {
	var f models.Figure
	var ms []member
	for _, a := range s.apis {
		t, g := c.in.Traffic[a.ID], c.in.Gateway[a.ID]
		if t.Requests == 0 && g.Routes == 0 {
			continue
		}
		f.Denominator++
		var detail string
		with := false
		switch {
		case g.AllRateLimited():
			with, detail = true, fmt.Sprintf("every gateway route serving it (%d) is rate limited", g.Routes)
		case t.Requests > 0:
			with = t.RateLimited*2 > t.Requests
			detail = fmt.Sprintf("rate-limit headers on %s of %d responses", pct(t.RateLimited, t.Requests), t.Requests)
			if g.Routes > 0 {
				detail += fmt.Sprintf("; %d of %d gateway routes rate limited", g.RateLimited, g.Routes)
			}
		default:
			detail = fmt.Sprintf("%d of %d gateway routes rate limited, and no traffic", g.RateLimited, g.Routes)
		}
		if with {
			f.Numerator++
		}
		ms = append(ms, apiMember(a, with, float64(t.Requests), detail))
	}
	if f.Measured = f.Denominator > 0; !f.Measured {
		f.Reason = c.noTraffic(s)
		if c.in.TrafficCovered {
			f.Reason = fmt.Sprintf("No gateway route serves these APIs and they had no requests in the last %d days.", models.TrafficWindowDays)
		}
	}
	return f, ms
}

func (c *computer) unversionedAPIs(s scope) (models.Figure, []member) {
	var f models.Figure
	var ms []member
	for _, a := range s.apis {
		if a.PrimaryVersionID == 0 {
			continue
		}
		judged, fails, findings := false, false, 0
		for _, o := range c.in.Versioning[a.PrimaryVersionID] {
			switch o.Status {
			case "pass":
				judged = true
			case "fail":
				judged, fails = true, true
				findings += o.Findings
			case "waived":
				// A waiver excuses the rule from the score, not the API
				// from having no versioning scheme.
				judged = true
				if o.Findings > 0 {
					fails = true
					findings += o.Findings
				}
			}
		}
		if !judged {
			continue
		}
		f.Denominator++
		detail := "follows a versioning scheme (" + a.Primary + ")"
		if fails {
			f.Numerator++
			detail = fmt.Sprintf("no versioning scheme on %s: %d findings", a.Primary, findings)
		}
		ms = append(ms, apiMember(a, fails, float64(findings), detail))
	}
	f.Measured = f.Denominator > 0
	switch {
	case len(s.apis) == 0:
		f.Reason = noAPIs(s)
	case !f.Measured:
		f.Reason = "No API's latest scorecard judged the versioning rule (steward-versioning): nothing is scored yet, or the standard leaves the rule out."
	}
	return f, ms
}

// zombieJudged lists the scope's versions with a zombie or active verdict,
// and when the verdicts were computed.
func (c *computer) zombieJudged(s scope) (judged []*models.OverviewVersion, at *time.Time) {
	for _, v := range s.versions {
		z, ok := c.in.Zombies[v.ID]
		if !ok {
			continue
		}
		if at == nil || z.ComputedAt.After(*at) {
			t := z.ComputedAt.UTC()
			at = &t
		}
		if z.Verdict == string(retirement.Zombie) || z.Verdict == string(retirement.Active) {
			judged = append(judged, v)
		}
	}
	return judged, at
}

func (c *computer) noZombieVerdict(s scope) string {
	if len(c.in.Zombies) == 0 {
		return "The zombie job has not judged any version yet."
	}
	for _, v := range s.versions {
		if _, ok := c.in.Zombies[v.ID]; ok {
			return "No production or preview version could be judged: the traffic sources did not cover its zombie window."
		}
	}
	return "No production or preview version had a verdict at the zombie job's last run."
}

func (c *computer) zombieVersions(s scope) (models.Figure, []member) {
	judged, at := c.zombieJudged(s)
	f := models.Figure{DataAt: at}
	var ms []member
	for _, v := range judged {
		z := c.in.Zombies[v.ID]
		f.Denominator++
		zombie := z.Verdict == string(retirement.Zombie)
		if zombie {
			f.Numerator++
		}
		detail := z.Reason
		if detail == "" {
			detail = z.Verdict
		}
		ms = append(ms, versionMember(v, zombie, float64(z.Days), detail))
	}
	if f.Measured = f.Denominator > 0; !f.Measured {
		f.Reason = c.noZombieVerdict(s)
	}
	return f, ms
}

func (c *computer) zombieEndpoints(s scope) (models.Figure, []member) {
	judged, at := c.zombieJudged(s)
	f := models.Figure{DataAt: at}
	var ms []member
	for _, v := range judged {
		z := c.in.Zombies[v.ID]
		if v.Endpoints == 0 {
			continue
		}
		// The spec may have changed since the verdict; a share above
		// the whole would read as nonsense.
		n := min(z.ZombieEndpoints, v.Endpoints)
		f.Numerator += int64(n)
		f.Denominator += int64(v.Endpoints)
		ms = append(ms, versionMember(v, n > 0, float64(n), fmt.Sprintf("%d of %d documented endpoints without a legitimate request in %d days", n, v.Endpoints, z.Days)))
	}
	if f.Measured = f.Denominator > 0; !f.Measured {
		f.Reason = c.noZombieVerdict(s)
		if len(judged) > 0 {
			f.Reason = "The judged versions document no endpoints."
		}
	}
	return f, ms
}

func (c *computer) shadowAPIs(s scope) (models.Figure, []member) {
	var f models.Figure
	var ms []member
	for _, h := range c.in.Hosts {
		f.Denominator++
		isNew := h.Status == "new"
		if isNew {
			f.Numerator++
		}
		detail := fmt.Sprintf("%s: %d requests to %d endpoints, last seen %s", h.Status, h.Requests, h.Endpoints, h.LastSeen.UTC().Format("2 Jan 2006"))
		ms = append(ms, member{FigureMember: models.FigureMember{Host: h.Host, APISlug: h.APISlug, Counted: isNew, Detail: detail}, weight: float64(h.Requests)})
	}
	f.Measured = c.in.TrafficCovered || len(c.in.Hosts) > 0
	if !f.Measured {
		f.Reason = fmt.Sprintf("No traffic source has reported in the last %d days, so no host could be discovered.", models.TrafficWindowDays)
	}
	return f, ms
}

func (c *computer) ownerlessAPIs(s scope) (models.Figure, []member) {
	var f models.Figure
	var ms []member
	for _, a := range s.apis {
		f.Denominator++
		owners := c.owners[a.TeamSlug]
		if owners == 0 {
			f.Numerator++
			ms = append(ms, apiMember(a, true, 0, "team "+a.TeamSlug+" has no owner"))
			continue
		}
		ms = append(ms, apiMember(a, false, 0, fmt.Sprintf("team %s has %d owner(s)", a.TeamSlug, owners)))
	}
	if f.Measured = f.Denominator > 0; !f.Measured {
		f.Reason = noAPIs(s)
	}
	return f, ms
}

func (c *computer) speclessAPIs(s scope) (models.Figure, []member) {
	var f models.Figure
	var ms []member
	for _, a := range s.apis {
		f.Denominator++
		if !a.HasSpec {
			f.Numerator++
			ms = append(ms, apiMember(a, true, 0, "no version has a spec"))
			continue
		}
		ms = append(ms, apiMember(a, false, 0, "has a spec"))
	}
	if f.Measured = f.Denominator > 0; !f.Measured {
		f.Reason = noAPIs(s)
	}
	return f, ms
}

func (c *computer) driftVersions(s scope) (models.Figure, []member) {
	f := models.Figure{Detail: map[string]int64{}}
	var ms []member
	scored := false
	for _, v := range s.versions {
		d, ok := c.in.Drift[v.ID]
		if !ok {
			continue
		}
		scored = true
		if f.DataAt == nil || d.ComputedAt.After(*f.DataAt) {
			t := d.ComputedAt.UTC()
			f.DataAt = &t
		}
		if d.NoData {
			continue
		}
		f.Denominator++
		if d.HasDrift {
			f.Numerator++
		}
		f.Detail["unseen_endpoints"] += int64(d.UnseenEndpoints)
		f.Detail["undocumented_endpoints"] += int64(d.UndocumentedEndpoints)
		f.Detail["undocumented_status_codes"] += int64(d.UndocumentedStatusCodes)
		detail := fmt.Sprintf("%d documented endpoints never called, %d undocumented endpoints, %d undocumented status codes",
			d.UnseenEndpoints, d.UndocumentedEndpoints, d.UndocumentedStatusCodes)
		ms = append(ms, versionMember(v, d.HasDrift, float64(d.UnseenEndpoints+d.UndocumentedEndpoints+d.UndocumentedStatusCodes), detail))
	}
	if f.Measured = f.Denominator > 0; !f.Measured {
		f.Detail = nil
		f.Reason = "The runtime scoring job has not scored any of these versions yet."
		if scored {
			f.Reason = "No version had enough traffic in its window for a runtime scorecard."
		}
	}
	return f, ms
}

func (c *computer) openFindings(s scope) (models.Figure, []member) {
	f := models.Figure{Detail: map[string]int64{}}
	var ms []member
	for _, v := range s.versions {
		if !v.Scored {
			continue
		}
		f.Denominator++
		fs, ok := c.in.Findings[v.ID]
		if !ok || fs.Findings == 0 {
			continue
		}
		f.Numerator += int64(fs.Findings)
		f.Detail["failing_rules"] += int64(fs.Rules)
		f.Detail["versions_failing"]++
		ms = append(ms, versionMember(v, true, float64(fs.Findings), fmt.Sprintf("%d findings on %d failing rules", fs.Findings, fs.Rules)))
	}
	if f.Measured = f.Denominator > 0; !f.Measured {
		f.Detail = nil
		f.Reason = "No version is scored yet."
	}
	return f, ms
}

func (c *computer) pendingApprovals(s scope) (models.Figure, []member) {
	f := models.Figure{Measured: true, Detail: map[string]int64{"exceptions": 0, "waivers": 0, "retirements": 0}}
	var ms []member
	for _, v := range s.versions {
		f.Denominator++
		p := c.in.Pending[v.ID]
		if p.Total() == 0 {
			continue
		}
		f.Numerator += int64(p.Total())
		f.Detail["exceptions"] += int64(p.Exceptions)
		f.Detail["waivers"] += int64(p.Waivers)
		f.Detail["retirements"] += int64(p.Retirements)
		ms = append(ms, versionMember(v, true, float64(p.Total()), fmt.Sprintf("%d exception requests, %d waiver requests, %d retirement proposals", p.Exceptions, p.Waivers, p.Retirements)))
	}
	return f, ms
}
