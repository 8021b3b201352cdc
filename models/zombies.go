package models

import (
	"context"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/steward-governance/steward/catalog"
	"github.com/steward-governance/steward/retirement"
)

// ZombieCandidate is a live version the zombie job judges: in production
// or preview, with its API's own zombie window if it has one and the
// operations its current spec documents.
type ZombieCandidate struct {
	VersionID  uint
	APIID      uint
	APISlug    string
	APIName    string
	Version    string
	Stage      string
	TeamSlug   string
	Visibility string
	// ZombieDays is the API's own window; 0 follows the organisation's.
	ZombieDays int
	Operations []MatchOperation `gorm:"-"`
}

// ZombieCandidates lists every production and preview version.
func (s *Store) ZombieCandidates(ctx context.Context) ([]ZombieCandidate, error) {
	db := s.db.WithContext(ctx)
	var out []ZombieCandidate
	err := db.Table("versions").
		Select(`versions.id AS version_id, versions.api_id, apis.slug AS api_slug, apis.name AS api_name, versions.name AS version,
			versions.stage, teams.slug AS team_slug, apis.visibility, COALESCE(ars.zombie_days, 0) AS zombie_days`).
		Joins("JOIN apis ON apis.id = versions.api_id").
		Joins("JOIN teams ON teams.id = apis.team_id").
		Joins("LEFT JOIN api_retirement_settings ars ON ars.api_id = apis.id").
		Where("versions.stage IN ?", []string{string(catalog.StageProduction), string(catalog.StagePreview)}).
		Order("versions.id").Scan(&out).Error
	if err != nil {
		return nil, translate(err, "list zombie candidates")
	}
	index := make(map[uint]int, len(out))
	ids := make([]uint, len(out))
	for i, c := range out {
		index[c.VersionID], ids[i] = i, c.VersionID
	}
	for chunk := range chunks(ids, 500) {
		var ops []struct {
			VersionID    uint
			Method, Path string
		}
		if err := db.Table("endpoints").Select("version_id, method, path").Where("version_id IN ?", chunk).Order("path, method").Scan(&ops).Error; err != nil {
			return nil, translate(err, "list zombie candidates' endpoints")
		}
		for _, op := range ops {
			c := &out[index[op.VersionID]]
			c.Operations = append(c.Operations, MatchOperation{Method: strings.ToUpper(op.Method), Path: op.Path})
		}
	}
	return out, nil
}

// LastLegitimate is the newest legitimate request to one endpoint.
type LastLegitimate struct {
	VersionID        uint
	Method, Template string
	At               time.Time
}

// LegitimateSince lists, per endpoint, the newest legitimate request at or
// after since: one grouped query, whatever the size of the rollups.
func (s *Store) LegitimateSince(ctx context.Context, since time.Time) ([]LastLegitimate, error) {
	rows, err := s.db.WithContext(ctx).Table("endpoint_traffic").
		Select("version_id, method, template, MAX(last_legitimate)").
		Where("hour >= ? AND legitimate > 0 AND last_legitimate >= ?", since.UTC().Truncate(time.Hour), since.UTC()).
		Group("version_id, method, template").Rows()
	if err != nil {
		return nil, translate(err, "legitimate traffic")
	}
	defer rows.Close()
	var out []LastLegitimate
	for rows.Next() {
		var l LastLegitimate
		var at any
		if err := rows.Scan(&l.VersionID, &l.Method, &l.Template, &at); err != nil {
			return nil, translate(err, "legitimate traffic")
		}
		t, err := aggregateTime(at)
		if err != nil || t == nil {
			return nil, fmt.Errorf("models: legitimate traffic: %v", err)
		}
		l.At = *t
		out = append(out, l)
	}
	return out, translate(rows.Err(), "legitimate traffic")
}

// LastLegitimateOf returns the newest legitimate request on record of each
// version that has one.
func (s *Store) LastLegitimateOf(ctx context.Context, versionIDs []uint) (map[uint]time.Time, error) {
	out := map[uint]time.Time{}
	for chunk := range chunks(versionIDs, 500) {
		rows, err := s.db.WithContext(ctx).Table("endpoint_traffic").Select("version_id, MAX(last_legitimate)").
			Where("version_id IN ? AND last_legitimate IS NOT NULL", chunk).Group("version_id").Rows()
		if err != nil {
			return nil, translate(err, "last legitimate request")
		}
		for rows.Next() {
			var id uint
			var at any
			if err := rows.Scan(&id, &at); err != nil {
				rows.Close()
				return nil, translate(err, "last legitimate request")
			}
			if t, err := aggregateTime(at); err == nil && t != nil {
				out[id] = *t
			}
		}
		rows.Close()
	}
	return out, nil
}

// aggregateTime reads MAX() of a time column: PostgreSQL returns a time,
// SQLite the text it stored.
func aggregateTime(v any) (*time.Time, error) {
	switch t := v.(type) {
	case nil:
		return nil, nil
	case time.Time:
		u := t.UTC()
		return &u, nil
	case []byte:
		return aggregateTime(string(t))
	case string:
		for _, layout := range []string{"2006-01-02 15:04:05.999999999-07:00", time.RFC3339Nano, "2006-01-02 15:04:05.999999999", "2006-01-02T15:04:05.999999999"} {
			if p, err := time.Parse(layout, t); err == nil {
				u := p.UTC()
				return &u, nil
			}
		}
		return nil, fmt.Errorf("unreadable time %q", t)
	}
	return nil, fmt.Errorf("unexpected time %T", v)
}

// ZombieVerdict is what the zombie job concluded about a version.
type ZombieVerdict struct {
	VersionID uint
	// Verdict is retirement.Zombie, Active or Unknown.
	Verdict string
	// Days is the window the verdict used.
	Days   int
	Reason string
	// LastLegitimate is the newest legitimate request on record.
	LastLegitimate *time.Time
	// ZombieEndpoints counts documented endpoints without a legitimate
	// request in the window (where the sources covered it).
	ZombieEndpoints int
	ComputedAt      time.Time
}

// TableName keeps GORM on the migration's table.
func (ZombieVerdict) TableName() string { return "zombie_verdicts" }

// ZombieEndpoint is a documented endpoint of a live version without a
// legitimate request in the zombie window, while the sources watched.
type ZombieEndpoint struct {
	VersionID        uint
	Method, Template string
	LastLegitimate   *time.Time
	ComputedAt       time.Time
}

// TableName keeps GORM on the migration's table.
func (ZombieEndpoint) TableName() string { return "zombie_endpoints" }

// SaveZombieVerdicts replaces every verdict with a run's, in one
// transaction, so pages never see half a run.
func (s *Store) SaveZombieVerdicts(ctx context.Context, verdicts []ZombieVerdict, endpoints []ZombieEndpoint) error {
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Exec("DELETE FROM zombie_endpoints").Error; err != nil {
			return err
		}
		if err := tx.Exec("DELETE FROM zombie_verdicts").Error; err != nil {
			return err
		}
		for i := range verdicts {
			verdicts[i].Reason = truncate(verdicts[i].Reason, 500)
		}
		if len(verdicts) > 0 {
			if err := tx.CreateInBatches(verdicts, 200).Error; err != nil {
				return err
			}
		}
		if len(endpoints) > 0 {
			return tx.CreateInBatches(endpoints, 200).Error
		}
		return nil
	})
	return translate(err, "save zombie verdicts")
}

// ZombieVerdicts returns the latest verdicts by version, for the given
// versions or, with none given, all of them: the catalogue's badges, the
// version page and the governance category read it.
func (s *Store) ZombieVerdicts(ctx context.Context, versionIDs []uint) (map[uint]ZombieVerdict, error) {
	out := map[uint]ZombieVerdict{}
	add := func(db *gorm.DB) error {
		var rows []ZombieVerdict
		if err := db.Find(&rows).Error; err != nil {
			return translate(err, "zombie verdicts")
		}
		for _, r := range rows {
			r.ComputedAt = r.ComputedAt.UTC()
			r.LastLegitimate = utcPtr(r.LastLegitimate)
			out[r.VersionID] = r
		}
		return nil
	}
	db := s.db.WithContext(ctx)
	if versionIDs == nil {
		return out, add(db)
	}
	for chunk := range chunks(versionIDs, 500) {
		if err := add(db.Where("version_id IN ?", chunk)); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// ZombieEndpointsOf lists a version's zombie endpoints.
func (s *Store) ZombieEndpointsOf(ctx context.Context, versionID uint) ([]ZombieEndpoint, error) {
	var out []ZombieEndpoint
	err := s.db.WithContext(ctx).Where("version_id = ?", versionID).Order("template, method").Find(&out).Error
	return out, translate(err, "zombie endpoints")
}

// ProposalBlockers says, by version, why the zombie job must not propose
// retiring it: an open case, or a proposal rejected after coolOffSince.
func (s *Store) ProposalBlockers(ctx context.Context, coolOffSince time.Time) (map[uint]string, error) {
	var rows []struct {
		ID        int64
		VersionID uint
		State     string
	}
	err := s.db.WithContext(ctx).Table("retirement_cases").Select("id, version_id, state").
		Where("state IN ? OR (state = ? AND closed_at >= ?)", openStates, string(retirement.Rejected), coolOffSince.UTC()).
		Order("id").Scan(&rows).Error
	if err != nil {
		return nil, translate(err, "retirement proposal blockers")
	}
	out := map[uint]string{}
	for _, r := range rows {
		if r.State == string(retirement.Rejected) {
			out[r.VersionID] = fmt.Sprintf("case %d was rejected recently", r.ID)
		} else {
			out[r.VersionID] = fmt.Sprintf("case %d is %s", r.ID, r.State)
		}
	}
	return out, nil
}

// sourceSpans lists what the sources that see apiID covered: its own and
// those bound to no API (handlers/traffic.go's rule).
func (s *Store) sourceSpans(ctx context.Context, apiID uint) ([]retirement.Span, error) {
	var rows []struct{ CoveredFrom, CoveredTo *time.Time }
	err := s.db.WithContext(ctx).Table("sources").Select("covered_from, covered_to").
		Where("(api_id IS NULL OR api_id = ?) AND covered_from IS NOT NULL AND covered_to IS NOT NULL", apiID).Scan(&rows).Error
	if err != nil {
		return nil, translate(err, "source coverage")
	}
	var out []retirement.Span
	for _, r := range rows {
		out = append(out, retirement.Span{From: r.CoveredFrom.UTC(), To: r.CoveredTo.UTC()})
	}
	return out, nil
}

// TrafficCovered reports whether the sources that see the version's API
// covered [from, to) between them.
func (s *Store) TrafficCovered(ctx context.Context, versionID uint, from, to time.Time) (bool, error) {
	var apiID []uint
	if err := s.db.WithContext(ctx).Table("versions").Where("id = ?", versionID).Pluck("api_id", &apiID).Error; err != nil || len(apiID) == 0 {
		return false, translate(err, "traffic coverage")
	}
	spans, err := s.sourceSpans(ctx, apiID[0])
	if err != nil {
		return false, err
	}
	return retirement.Covered(spans, from, to), nil
}

// opFilter narrows a rollup query to operations ("GET /pets"); none
// means every endpoint.
func opFilter(db *gorm.DB, endpoints []string) *gorm.DB {
	if len(endpoints) == 0 {
		return db
	}
	return db.Where("(method || ' ' || template) IN ?", endpoints)
}

// LegitimateRequests counts the legitimate requests to a version (or some
// of its operations) in the hours of [from, to).
func (s *Store) LegitimateRequests(ctx context.Context, versionID uint, endpoints []string, from, to time.Time) (int64, error) {
	var n int64
	db := s.db.WithContext(ctx).Table("endpoint_traffic").Select("COALESCE(SUM(legitimate), 0)").
		Where("version_id = ? AND hour >= ? AND hour < ?", versionID, from.UTC().Truncate(time.Hour), to.UTC())
	err := opFilter(db, endpoints).Scan(&n).Error
	return n, translate(err, "count legitimate requests")
}

// LegitimateConsumers counts the consumers with legitimate requests to a
// version (or some of its operations) on the days of [from, to).
func (s *Store) LegitimateConsumers(ctx context.Context, versionID uint, endpoints []string, from, to time.Time) (int, error) {
	var n int64
	db := s.db.WithContext(ctx).Table("endpoint_consumers").Select("COUNT(DISTINCT consumer)").
		Where("version_id = ? AND day >= ? AND day < ? AND legitimate > 0", versionID, from.UTC().Truncate(24*time.Hour), to.UTC())
	err := opFilter(db, endpoints).Scan(&n).Error
	return int(n), translate(err, "count legitimate consumers")
}

// DailyLegitimate is one day's traffic to a version, for the case page's
// chart.
type DailyLegitimate struct {
	Day                  time.Time
	Requests, Legitimate int64
}

// DailyTraffic adds up a version's (or some operations') requests per day
// in [from, to), oldest first, with empty days left out.
func (s *Store) DailyTraffic(ctx context.Context, versionID uint, endpoints []string, from, to time.Time) ([]DailyLegitimate, error) {
	var rows []struct {
		Hour                 time.Time
		Requests, Legitimate int64
	}
	db := s.db.WithContext(ctx).Table("endpoint_traffic").Select("hour, requests, legitimate").
		Where("version_id = ? AND hour >= ? AND hour < ?", versionID, from.UTC().Truncate(time.Hour), to.UTC())
	if err := opFilter(db, endpoints).Order("hour").Scan(&rows).Error; err != nil {
		return nil, translate(err, "daily traffic")
	}
	var out []DailyLegitimate
	for _, r := range rows {
		d := r.Hour.UTC().Truncate(24 * time.Hour)
		if n := len(out); n > 0 && out[n-1].Day.Equal(d) {
			out[n-1].Requests += r.Requests
			out[n-1].Legitimate += r.Legitimate
			continue
		}
		out = append(out, DailyLegitimate{Day: d, Requests: r.Requests, Legitimate: r.Legitimate})
	}
	return out, nil
}
