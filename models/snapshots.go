package models

import (
	"context"
	"encoding/json"
	"time"

	"gorm.io/gorm"

	"github.com/steward-governance/steward/catalog"
	"github.com/steward-governance/steward/retirement"
)

// This file holds the governance overview's side of the store: the facts
// the overview job computes its figures from, read in a few grouped
// queries whatever the catalogue's size, and the snapshots it stores.
//
// A snapshot is one row per scope (the organisation, and each team) with
// its figures as JSON. The job replaces the "latest" rows on every run and
// writes one "daily" row per scope and day, kept for the trend lines. Only
// the organisation's latest snapshot lists the members behind each figure
// (the APIs, versions or hosts counted); a team's are those members whose
// team is the team.

// migrateGovernanceSnapshots adds the overview's snapshots and the members
// behind the figures of the latest one.
func migrateGovernanceSnapshots(tx *gorm.DB) error {
	return execAll(tx,
		`CREATE TABLE governance_snapshots (
			id {{id}},
			team_slug VARCHAR(63) NOT NULL DEFAULT '',
			period VARCHAR(10) NOT NULL,
			day {{time}} NOT NULL,
			computed_at {{time}} NOT NULL,
			figures TEXT NOT NULL DEFAULT '[]',
			UNIQUE (period, team_slug, day))`,
		`CREATE INDEX idx_governance_snapshots_day ON governance_snapshots (period, day)`,
		`CREATE TABLE governance_snapshot_members (
			snapshot_id {{ref}} NOT NULL REFERENCES governance_snapshots(id) ON DELETE CASCADE,
			figure VARCHAR(40) NOT NULL,
			position INTEGER NOT NULL,
			team_slug VARCHAR(63) NOT NULL DEFAULT '',
			api_slug VARCHAR(63) NOT NULL DEFAULT '',
			api_name VARCHAR(120) NOT NULL DEFAULT '',
			version VARCHAR(40) NOT NULL DEFAULT '',
			host VARCHAR(255) NOT NULL DEFAULT '',
			counted {{bool}} NOT NULL,
			detail VARCHAR(500) NOT NULL DEFAULT '',
			PRIMARY KEY (snapshot_id, figure, position))`,
		`CREATE INDEX idx_governance_snapshot_members_team ON governance_snapshot_members (snapshot_id, figure, team_slug)`,
	)
}

// The overview's figures. Keys are stable: they name the figures in
// stored snapshots, URLs, CSV files, the JSON API and Prometheus labels.
const (
	FigureAverageScore            = "average_score"
	FigurePlainHTTP               = "plain_http_traffic"
	FigureUnauthenticatedAPIs     = "unauthenticated_apis"
	FigureUnauthenticatedRequests = "unauthenticated_requests"
	FigureUnversionedAPIs         = "unversioned_apis"
	FigureRateLimitedAPIs         = "rate_limited_apis"
	FigureZombieVersions          = "zombie_versions"
	FigureZombieEndpoints         = "zombie_endpoints"
	FigureShadowAPIs              = "shadow_apis"
	FigureOwnerlessAPIs           = "ownerless_apis"
	FigureSpeclessAPIs            = "specless_apis"
	FigureDriftVersions           = "drift_versions"
	FigureOpenFindings            = "open_findings"
	FigurePendingApprovals        = "pending_approvals"
)

// FigureUnit says how a figure's value reads.
type FigureUnit string

// The units of the figures.
const (
	// UnitScore: the mean of 0-100 scores, numerator ÷ denominator.
	UnitScore FigureUnit = "score"
	// UnitShare: a proportion, numerator ÷ denominator, shown as a
	// percentage.
	UnitShare FigureUnit = "share"
	// UnitCount: the numerator itself; the denominator gives context.
	UnitCount FigureUnit = "count"
)

// FigureDef describes one figure: what it counts, over what.
type FigureDef struct {
	Key   string
	Title string
	Unit  FigureUnit
	// Definition says what the numerator and the denominator are.
	Definition string
	// Members names what the figure's members are: "APIs", "versions",
	// "hosts".
	Members string
	// Ratio phrases the counts behind the value, a format taking the
	// numerator and the denominator ("%[1]d of %[2]d requests").
	Ratio string
	// HigherIsBetter is true for the average score and the share of APIs
	// with rate limiting; lower is better for the others.
	HigherIsBetter bool
	// OrgOnly figures have no team snapshot: discovered hosts belong to
	// no team yet.
	OrgOnly bool
}

// TrafficWindowDays is how far back the traffic figures look: a week, as
// the runtime scorecards and Treblle's run-time score do.
const TrafficWindowDays = 7

// ShadowWindowDays is how far back the shadow-API figure looks, as the
// discovered APIs page does by default.
const ShadowWindowDays = 30

// FigureDefs lists the figures in the order pages show them.
var FigureDefs = []FigureDef{
	{Key: FigureAverageScore, Title: "Average score", Unit: UnitScore, Ratio: "mean over %[2]d scored APIs", Members: "APIs", HigherIsBetter: true,
		Definition: "Sum of the latest design-time score of each API's primary version (its newest production version with a scorecard, else its newest scored version) ÷ APIs with a score."},
	{Key: FigurePlainHTTP, Title: "Traffic over plain HTTP", Unit: UnitShare, Ratio: "%[1]d of %[2]d requests", Members: "APIs",
		Definition: "Requests to catalogued APIs over http:// in the last 7 days ÷ all their requests in the last 7 days."},
	{Key: FigureUnauthenticatedAPIs, Title: "APIs without authentication", Unit: UnitShare, Ratio: "%[1]d of %[2]d APIs measured", Members: "APIs",
		Definition: "APIs where fewer than half of the requests of the last 7 days carried credentials, unless every gateway route serving them requires authentication ÷ APIs with requests in the last 7 days or with gateway routes that all require authentication."},
	{Key: FigureUnauthenticatedRequests, Title: "Requests without authentication", Unit: UnitShare, Ratio: "%[1]d of %[2]d requests", Members: "APIs",
		Definition: "Requests of the last 7 days that carried no credentials ÷ all requests of the last 7 days."},
	{Key: FigureUnversionedAPIs, Title: "APIs without a versioning scheme", Unit: UnitShare, Ratio: "%[1]d of %[2]d APIs judged", Members: "APIs",
		Definition: "APIs whose primary version's latest scorecard fails the versioning rule (steward-versioning), or has it waived with findings ÷ APIs whose latest scorecard judged that rule."},
	{Key: FigureRateLimitedAPIs, Title: "APIs with rate limiting", Unit: UnitShare, Ratio: "%[1]d of %[2]d APIs measured", Members: "APIs", HigherIsBetter: true,
		Definition: "APIs that sent rate-limit headers on more than half of their responses of the last 7 days, or whose every Kong gateway route is rate limited ÷ APIs with requests in the last 7 days or with gateway routes."},
	{Key: FigureZombieVersions, Title: "Zombie versions", Unit: UnitShare, Ratio: "%[1]d of %[2]d live versions judged", Members: "versions",
		Definition: "Production and preview versions the zombie job judged zombie (no legitimate request in their zombie window) ÷ those it could judge (the traffic sources covered the window)."},
	{Key: FigureZombieEndpoints, Title: "Zombie endpoints", Unit: UnitShare, Ratio: "%[1]d of %[2]d documented endpoints", Members: "versions",
		Definition: "Documented endpoints of judged production and preview versions without a legitimate request in the zombie window ÷ all documented endpoints of those versions."},
	{Key: FigureShadowAPIs, Title: "Shadow APIs not yet claimed", Unit: UnitCount, Ratio: "%[1]d of %[2]d hosts discovered", Members: "hosts", OrgOnly: true,
		Definition: "Hosts seen in traffic in the last 30 days that no deployment names and nobody has claimed or ignored; the denominator is every such host seen, whatever was decided."},
	{Key: FigureOwnerlessAPIs, Title: "APIs without an owner", Unit: UnitShare, Ratio: "%[1]d of %[2]d APIs", Members: "APIs",
		Definition: "APIs whose team has no member with the owner role ÷ all APIs."},
	{Key: FigureSpeclessAPIs, Title: "APIs without a spec", Unit: UnitShare, Ratio: "%[1]d of %[2]d APIs", Members: "APIs",
		Definition: "APIs none of whose versions has an uploaded spec ÷ all APIs."},
	{Key: FigureDriftVersions, Title: "Versions drifting from their spec", Unit: UnitShare, Ratio: "%[1]d of %[2]d versions with runtime data", Members: "versions",
		Definition: "Versions whose latest runtime scorecard finds drift (documented endpoints never called, undocumented endpoints or status codes) ÷ versions whose latest runtime scorecard had enough traffic."},
	{Key: FigureOpenFindings, Title: "Open findings", Unit: UnitCount, Ratio: "on %[2]d scored versions", Members: "versions",
		Definition: "Findings of the failing rules on the latest scorecard of every version; the denominator is the versions with a scorecard."},
	{Key: FigurePendingApprovals, Title: "Pending approvals", Unit: UnitCount, Ratio: "across %[2]d versions", Members: "versions",
		Definition: "Breaking-change exceptions requested, waiver requests and retirement proposals waiting for a decision; the denominator is the versions in the catalogue."},
}

// FigureDefOf finds a figure's description by key.
func FigureDefOf(key string) (FigureDef, bool) {
	for _, d := range FigureDefs {
		if d.Key == key {
			return d, true
		}
	}
	return FigureDef{}, false
}

// Figure is one computed figure of a snapshot.
type Figure struct {
	Key string `json:"key"`
	// Measured is false when there was nothing to measure (no traffic
	// source reported, the zombie job never ran...); Reason says why and
	// the counts mean nothing.
	Measured    bool   `json:"measured"`
	Reason      string `json:"reason,omitempty"`
	Numerator   int64  `json:"numerator"`
	Denominator int64  `json:"denominator"`
	// Detail breaks the figure down: APIs per grade for the average
	// score, the kinds of drift, the kinds of pending approvals.
	Detail map[string]int64 `json:"detail,omitempty"`
	// DataAt is when the data behind the figure was itself computed by
	// another job (zombie verdicts, runtime scorecards), when it was.
	DataAt *time.Time `json:"data_at,omitempty"`
}

// Value is the figure as it reads: the share or the mean for shares and
// scores, the numerator for counts; ok is false when it is not measured
// or, for a share or a mean, has nothing to divide by.
func (f Figure) Value(unit FigureUnit) (v float64, ok bool) {
	if !f.Measured {
		return 0, false
	}
	if unit == UnitCount {
		return float64(f.Numerator), true
	}
	if f.Denominator == 0 {
		return 0, false
	}
	return float64(f.Numerator) / float64(f.Denominator), true
}

// Snapshot periods.
const (
	// PeriodLatest rows are replaced on every run of the overview job.
	PeriodLatest = "latest"
	// PeriodDaily rows keep one snapshot per scope and day: the day's
	// last run. They are the history the trend lines draw.
	PeriodDaily = "daily"
)

// GovernanceSnapshot is the overview of one scope at one moment.
type GovernanceSnapshot struct {
	ID uint `gorm:"primaryKey"`
	// TeamSlug is the team; empty for the whole organisation.
	TeamSlug   string
	Period     string
	Day        time.Time
	ComputedAt time.Time
	Figures    []Figure `gorm:"serializer:json"`
}

// TableName keeps GORM on the migration's table.
func (GovernanceSnapshot) TableName() string { return "governance_snapshots" }

// Figure returns the snapshot's figure key; ok is false when the snapshot
// has none (a team's snapshot has no organisation-only figure).
func (g GovernanceSnapshot) Figure(key string) (Figure, bool) {
	for _, f := range g.Figures {
		if f.Key == key {
			return f, true
		}
	}
	return Figure{}, false
}

// FigureMember is one API, version or host behind a figure of the
// organisation's latest snapshot.
type FigureMember struct {
	SnapshotID uint   `gorm:"primaryKey"`
	Figure     string `gorm:"primaryKey"`
	// Position orders a figure's members: those that weigh most on it
	// first (most plain-HTTP requests, lowest score...).
	Position int `gorm:"primaryKey"`
	TeamSlug string
	APISlug  string
	APIName  string
	// Version is empty for a figure counted per API.
	Version string
	// Host is set instead of the API for shadow APIs.
	Host string
	// Counted is true when the member is in the numerator; every member
	// is in the denominator.
	Counted bool
	// Detail says in a few words how the member stands ("12% of 400
	// requests over HTTP").
	Detail string
}

// TableName keeps GORM on the migration's table.
func (FigureMember) TableName() string { return "governance_snapshot_members" }

// SnapshotScope is the figures of one scope in a run.
type SnapshotScope struct {
	TeamSlug string // empty for the organisation
	Figures  []Figure
}

// SnapshotRun is what one run of the overview job stores.
type SnapshotRun struct {
	ComputedAt time.Time
	Scopes     []SnapshotScope
	// Members are the members of the organisation's figures.
	Members []FigureMember
	// KeepDailySince drops the daily snapshots of the days before its
	// own.
	KeepDailySince time.Time
}

// SaveGovernanceSnapshot stores a run, all or nothing: the latest
// snapshots replaced, with their members; today's daily snapshots
// replaced by these; daily snapshots older than the retention deleted.
func (s *Store) SaveGovernanceSnapshot(ctx context.Context, run SnapshotRun) error {
	at := run.ComputedAt.UTC()
	day := at.Truncate(24 * time.Hour)
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		// Members go first: SQLite's cascade needs foreign keys on, and
		// an explicit delete does not depend on it.
		if err := tx.Exec(`DELETE FROM governance_snapshot_members WHERE snapshot_id IN
			(SELECT id FROM governance_snapshots WHERE period = ?)`, PeriodLatest).Error; err != nil {
			return err
		}
		if err := tx.Exec(`DELETE FROM governance_snapshots WHERE period = ? OR (period = ? AND day = ?)`,
			PeriodLatest, PeriodDaily, day).Error; err != nil {
			return err
		}
		var orgID uint
		for _, period := range []string{PeriodLatest, PeriodDaily} {
			for _, sc := range run.Scopes {
				row := GovernanceSnapshot{TeamSlug: sc.TeamSlug, Period: period, Day: day, ComputedAt: at, Figures: sc.Figures}
				if row.Figures == nil {
					row.Figures = []Figure{}
				}
				if err := tx.Create(&row).Error; err != nil {
					return err
				}
				if period == PeriodLatest && sc.TeamSlug == "" {
					orgID = row.ID
				}
			}
		}
		if orgID != 0 && len(run.Members) > 0 {
			rows := make([]FigureMember, len(run.Members))
			for i, m := range run.Members {
				m.SnapshotID = orgID
				m.APIName, m.Host, m.Detail = truncateRunes(m.APIName, 120), truncate(m.Host, 255), truncateRunes(m.Detail, 500)
				rows[i] = m
			}
			if err := tx.CreateInBatches(rows, 500).Error; err != nil {
				return err
			}
		}
		if !run.KeepDailySince.IsZero() {
			return tx.Exec(`DELETE FROM governance_snapshots WHERE period = ? AND day < ?`, PeriodDaily, run.KeepDailySince.UTC().Truncate(24*time.Hour)).Error
		}
		return nil
	})
	return translate(err, "save governance snapshot")
}

func utcSnapshots(rows []GovernanceSnapshot) []GovernanceSnapshot {
	for i := range rows {
		rows[i].Day, rows[i].ComputedAt = rows[i].Day.UTC(), rows[i].ComputedAt.UTC()
		for j := range rows[i].Figures {
			rows[i].Figures[j].DataAt = utcPtr(rows[i].Figures[j].DataAt)
		}
	}
	return rows
}

// LatestGovernanceSnapshots returns the latest snapshot of every scope,
// the organisation's first, then the teams' by slug; none before the
// overview job's first run.
func (s *Store) LatestGovernanceSnapshots(ctx context.Context) ([]GovernanceSnapshot, error) {
	var rows []GovernanceSnapshot
	err := s.db.WithContext(ctx).Where("period = ?", PeriodLatest).Order("team_slug").Find(&rows).Error
	return utcSnapshots(rows), translate(err, "latest governance snapshots")
}

// LatestGovernanceSnapshot returns a scope's latest snapshot (teamSlug
// empty: the organisation's); catalog.ErrNotFound before the overview
// job's first run, or for a team created since.
func (s *Store) LatestGovernanceSnapshot(ctx context.Context, teamSlug string) (*GovernanceSnapshot, error) {
	var row GovernanceSnapshot
	err := s.db.WithContext(ctx).Where("period = ? AND team_slug = ?", PeriodLatest, teamSlug).Take(&row).Error
	if err != nil {
		return nil, translate(err, "latest governance snapshot")
	}
	return &utcSnapshots([]GovernanceSnapshot{row})[0], nil
}

// GovernanceHistory returns the daily snapshots since since, oldest first,
// of the scopes named (empty string: the organisation), or of every scope
// when none is.
func (s *Store) GovernanceHistory(ctx context.Context, since time.Time, scopes ...string) ([]GovernanceSnapshot, error) {
	q := s.db.WithContext(ctx).Where("period = ? AND day >= ?", PeriodDaily, since.UTC().Truncate(24*time.Hour))
	if len(scopes) > 0 {
		q = q.Where("team_slug IN ?", scopes)
	}
	var rows []GovernanceSnapshot
	err := q.Order("day, team_slug").Find(&rows).Error
	return utcSnapshots(rows), translate(err, "governance history")
}

// MemberQuery narrows the members of a figure; empty Team means every
// team's (and hosts'). Counted, when set, keeps the members in the
// numerator (true) or those only in the denominator (false).
type MemberQuery struct {
	SnapshotID    uint
	Figure        string
	Team          string
	Counted       *bool
	Limit, Offset int
}

// GovernanceMembers lists a figure's members in their order, one page at
// a time, and how many match in all.
func (s *Store) GovernanceMembers(ctx context.Context, q MemberQuery) ([]FigureMember, int64, error) {
	db := s.db.WithContext(ctx).Model(&FigureMember{}).Where("snapshot_id = ? AND figure = ?", q.SnapshotID, q.Figure)
	if q.Team != "" {
		db = db.Where("team_slug = ?", q.Team)
	}
	if q.Counted != nil {
		db = db.Where("counted = ?", *q.Counted)
	}
	var total int64
	if err := db.Count(&total).Error; err != nil {
		return nil, 0, translate(err, "count governance figure members")
	}
	var rows []FigureMember
	if q.Limit > 0 {
		db = db.Limit(q.Limit).Offset(q.Offset)
	}
	err := db.Order("position").Find(&rows).Error
	return rows, total, translate(err, "governance figure members")
}

// The facts the figures are computed from.

// OverviewAPI is an API as the overview sees it, with its primary
// version: the one whose grade the catalogue shows for the API.
type OverviewAPI struct {
	ID       uint
	Slug     string
	Name     string
	TeamSlug string
	Grade    string
	// HasSpec is true when some version has an uploaded spec.
	HasSpec bool
	// PrimaryVersionID is 0 when no version has a scorecard; Primary
	// names it and PrimaryScore is its latest overall score (nil when
	// that scorecard has none).
	PrimaryVersionID uint
	Primary          string
	PrimaryScore     *int
}

// OverviewVersion is a version as the overview sees it.
type OverviewVersion struct {
	ID        uint
	APIID     uint
	APISlug   string
	APIName   string
	TeamSlug  string
	Name      string
	Stage     string
	CreatedAt time.Time
	HasSpec   bool
	Scored    bool // has a scorecard
	Score     *int // of its latest scorecard
	// Endpoints counts the operations its current spec documents.
	Endpoints int
}

// OverviewCatalogue lists every API and version, each API with its
// primary version chosen as the catalogue's grade is (see
// refreshAPIGrade): the newest production version with a scorecard, else
// the newest scored version.
func (s *Store) OverviewCatalogue(ctx context.Context) ([]OverviewAPI, []OverviewVersion, error) {
	db := s.db.WithContext(ctx)
	var apis []OverviewAPI
	if err := db.Table("apis").Select("apis.id, apis.slug, apis.name, teams.slug AS team_slug, apis.grade").
		Joins("JOIN teams ON teams.id = apis.team_id").Order("apis.slug").Scan(&apis).Error; err != nil {
		return nil, nil, translate(err, "overview APIs")
	}
	var versions []OverviewVersion
	if err := db.Table("versions").
		Select(`versions.id, versions.api_id, apis.slug AS api_slug, apis.name AS api_name, teams.slug AS team_slug,
			versions.name, versions.stage, versions.created_at, versions.current_revision_id IS NOT NULL AS has_spec,
			EXISTS (SELECT 1 FROM scorecards WHERE scorecards.version_id = versions.id) AS scored, versions.score`).
		Joins("JOIN apis ON apis.id = versions.api_id").
		Joins("JOIN teams ON teams.id = apis.team_id").
		Order("versions.created_at, versions.id").Scan(&versions).Error; err != nil {
		return nil, nil, translate(err, "overview versions")
	}
	var eps []struct {
		VersionID uint
		N         int
	}
	if err := db.Table("endpoints").Select("version_id, COUNT(*) AS n").Group("version_id").Scan(&eps).Error; err != nil {
		return nil, nil, translate(err, "overview endpoints")
	}
	index := make(map[uint]int, len(versions))
	for i, v := range versions {
		index[v.ID] = i
	}
	for _, e := range eps {
		if i, ok := index[e.VersionID]; ok {
			versions[i].Endpoints = e.N
		}
	}
	byAPI := make(map[uint]int, len(apis))
	for i, a := range apis {
		byAPI[a.ID] = i
	}
	prod := map[uint]bool{}
	for _, v := range versions {
		i, ok := byAPI[v.APIID]
		if !ok {
			continue
		}
		a := &apis[i]
		a.HasSpec = a.HasSpec || v.HasSpec
		if !v.Scored {
			continue
		}
		// Oldest first: a later version replaces an earlier one unless
		// the earlier is in production and the later is not.
		isProd := v.Stage == string(catalog.StageProduction)
		if isProd || !prod[v.APIID] {
			a.PrimaryVersionID, a.Primary, a.PrimaryScore = v.ID, v.Name, v.Score
			prod[v.APIID] = prod[v.APIID] || isProd
		}
	}
	return apis, versions, nil
}

// RuleOutcome is one rule's result on a scorecard.
type RuleOutcome struct {
	Rule     string
	Status   string // scorecard.Status: pass, fail, waived, error...
	Findings int
}

// LatestRuleOutcomes reads the named rules' results off the latest
// scorecard of each version given; a version whose latest scorecard does
// not list a rule (its standard lacks it, or it was off) has no outcome
// for it. The stored results are decoded a few hundred at a time.
func (s *Store) LatestRuleOutcomes(ctx context.Context, versionIDs []uint, ruleNames []string) (map[uint][]RuleOutcome, error) {
	wanted := map[string]bool{}
	for _, r := range ruleNames {
		wanted[r] = true
	}
	out := map[uint][]RuleOutcome{}
	for chunk := range chunks(versionIDs, 200) {
		var rows []struct {
			VersionID uint
			Result    string
		}
		err := s.db.WithContext(ctx).Table("scorecards").Select("version_id, result").
			Where("id IN (?)", s.db.Table("scorecards").Select("MAX(id)").Where("version_id IN ?", chunk).Group("version_id")).
			Scan(&rows).Error
		if err != nil {
			return nil, translate(err, "latest rule outcomes")
		}
		for _, r := range rows {
			var card struct {
				Rules []struct {
					Rule, Status string
					Findings     int
				}
			}
			if json.Unmarshal([]byte(r.Result), &card) != nil {
				continue
			}
			for _, rr := range card.Rules {
				if wanted[rr.Rule] {
					out[r.VersionID] = append(out[r.VersionID], RuleOutcome{Rule: rr.Rule, Status: rr.Status, Findings: rr.Findings})
				}
			}
		}
	}
	return out, nil
}

// OverviewTeam is a team with the number of its owners.
type OverviewTeam struct {
	Slug, Name string
	Owners     int
}

// OverviewTeams lists every team by slug with how many owners it has.
func (s *Store) OverviewTeams(ctx context.Context) ([]OverviewTeam, error) {
	var out []OverviewTeam
	err := s.db.WithContext(ctx).Table("teams").
		Select("teams.slug, teams.name, (SELECT COUNT(*) FROM team_members WHERE team_members.team_id = teams.id AND team_members.role = ?) AS owners", "owner").
		Order("teams.slug").Scan(&out).Error
	return out, translate(err, "overview teams")
}

// APITraffic is an API's traffic over a span, all versions together.
type APITraffic struct {
	APIID         uint
	Requests      int64
	HTTPS         int64 `gorm:"column:https"`
	Authenticated int64
	RateLimited   int64 // responses carrying rate-limit headers
}

// TrafficByAPI adds up each API's rolled-up traffic in the hours of
// [from, to), in one grouped query.
func (s *Store) TrafficByAPI(ctx context.Context, from, to time.Time) (map[uint]APITraffic, error) {
	var rows []APITraffic
	err := s.db.WithContext(ctx).Table("endpoint_traffic").
		Select(`versions.api_id AS api_id, COALESCE(SUM(endpoint_traffic.requests), 0) AS requests,
			COALESCE(SUM(endpoint_traffic.https), 0) AS https, COALESCE(SUM(endpoint_traffic.authenticated), 0) AS authenticated,
			COALESCE(SUM(endpoint_traffic.rate_limited), 0) AS rate_limited`).
		Joins("JOIN versions ON versions.id = endpoint_traffic.version_id").
		Where("endpoint_traffic.hour >= ? AND endpoint_traffic.hour < ?", from.UTC().Truncate(time.Hour), to.UTC()).
		Group("versions.api_id").Scan(&rows).Error
	if err != nil {
		return nil, translate(err, "traffic by API")
	}
	out := make(map[uint]APITraffic, len(rows))
	for _, r := range rows {
		out[r.APIID] = r
	}
	return out, nil
}

// RuntimeDrift is what a version's latest runtime scorecard says about
// drift.
type RuntimeDrift struct {
	VersionID uint
	// NoData: the window held too few requests for a runtime scorecard.
	NoData                  bool
	HasDrift                bool
	UnseenEndpoints         int
	UndocumentedEndpoints   int
	UndocumentedStatusCodes int
	ComputedAt              time.Time
}

// LatestRuntimeDrift returns the drift of every version's latest runtime
// scorecard; a version with none is absent.
func (s *Store) LatestRuntimeDrift(ctx context.Context) (map[uint]RuntimeDrift, error) {
	var rows []RuntimeDrift
	err := s.db.WithContext(ctx).Table("runtime_scorecards").
		Select("version_id, no_data, has_drift, unseen_endpoints, undocumented_endpoints, undocumented_status_codes, computed_at").
		Where("id IN (SELECT MAX(id) FROM runtime_scorecards GROUP BY version_id)").Scan(&rows).Error
	if err != nil {
		return nil, translate(err, "latest runtime drift")
	}
	out := make(map[uint]RuntimeDrift, len(rows))
	for _, r := range rows {
		r.ComputedAt = r.ComputedAt.UTC()
		out[r.VersionID] = r
	}
	return out, nil
}

// VersionFindings is what a version's latest scorecard fails.
type VersionFindings struct {
	VersionID uint
	Rules     int // failing rules
	Findings  int
}

// OpenFindingsByVersion adds up the failing rules and their findings on
// each version's latest scorecard; versions failing nothing are absent.
func (s *Store) OpenFindingsByVersion(ctx context.Context) (map[uint]VersionFindings, error) {
	var rows []VersionFindings
	err := s.db.WithContext(ctx).Table("scorecard_failures").
		Select("scorecards.version_id AS version_id, COUNT(*) AS rules, COALESCE(SUM(scorecard_failures.findings), 0) AS findings").
		Joins("JOIN scorecards ON scorecards.id = scorecard_failures.scorecard_id").
		Where("scorecards.id IN (SELECT MAX(id) FROM scorecards GROUP BY version_id)").
		Group("scorecards.version_id").Scan(&rows).Error
	if err != nil {
		return nil, translate(err, "open findings")
	}
	out := make(map[uint]VersionFindings, len(rows))
	for _, r := range rows {
		out[r.VersionID] = r
	}
	return out, nil
}

// PendingApprovals counts what waits for someone's approval on a version.
type PendingApprovals struct {
	// Exceptions are breaking-change exceptions requested.
	Exceptions int
	// Waivers are waiver requests not yet decided.
	Waivers int
	// Retirements are retirement proposals waiting for their approvals.
	Retirements int
}

// Total adds the kinds up.
func (p PendingApprovals) Total() int { return p.Exceptions + p.Waivers + p.Retirements }

// PendingApprovalsByVersion counts, per version, the decisions waiting
// for an approver; versions with none are absent.
func (s *Store) PendingApprovalsByVersion(ctx context.Context) (map[uint]PendingApprovals, error) {
	out := map[uint]PendingApprovals{}
	for _, q := range []struct {
		table, where string
		arg          string
		add          func(p *PendingApprovals, n int)
	}{
		{"pending_revisions", "status = ?", PendingRequested, func(p *PendingApprovals, n int) { p.Exceptions += n }},
		{"waivers", "status = ?", WaiverPending, func(p *PendingApprovals, n int) { p.Waivers += n }},
		{"retirement_cases", "state = ?", string(retirement.Proposed), func(p *PendingApprovals, n int) { p.Retirements += n }},
	} {
		var rows []struct {
			VersionID uint
			N         int
		}
		if err := s.db.WithContext(ctx).Table(q.table).Select("version_id, COUNT(*) AS n").Where(q.where, q.arg).
			Group("version_id").Scan(&rows).Error; err != nil {
			return nil, translate(err, "pending approvals in "+q.table)
		}
		for _, r := range rows {
			p := out[r.VersionID]
			q.add(&p, r.N)
			out[r.VersionID] = p
		}
	}
	return out, nil
}
