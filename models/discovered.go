package models

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"time"

	"gorm.io/gorm"

	"github.com/steward-governance/steward/catalog"
)

// What people decided about a discovered host. A host nobody decided about
// is new; claiming it creates an API; ignoring it keeps it listed, marked,
// so the next person does not look into it again.
const (
	DiscoveredNew     = "new"
	DiscoveredClaimed = "claimed"
	DiscoveredIgnored = "ignored"
)

// discoveredObject is the audit log's object type for discovery decisions.
const discoveredObject = "discovered_host"

// DiscoveredHostState is one discovered host over all its rolled-up
// traffic, with what people decided about it.
type DiscoveredHostState struct {
	Host string
	// Requests and HTTPS count every request rolled up for the host, in
	// any window; HTTPS decides the scheme of a claimed deployment.
	Requests, HTTPS     int64
	FirstSeen, LastSeen time.Time
	Status              string
	// APISlug and APIName are the API a claim created; empty when the host
	// is not claimed, or the API was deleted since.
	APISlug, APIName string
	DecidedBy        string
	DecidedAt        *time.Time
}

// Claimable reports whether the host may be claimed: it is not claimed by
// an API that still exists.
func (h DiscoveredHostState) Claimable() bool {
	return h.Status != DiscoveredClaimed || h.APISlug == ""
}

// DiscoveredHostState finds one host. It is not found when no traffic to
// it was ever rolled up and nobody decided about it.
func (s *Store) DiscoveredHostState(ctx context.Context, host string) (*DiscoveredHostState, error) {
	st, err := discoveredHostState(s.db.WithContext(ctx), host)
	if err != nil {
		return nil, translate(err, "find discovered host")
	}
	return st, nil
}

func discoveredHostState(db *gorm.DB, host string) (*DiscoveredHostState, error) {
	var seen struct {
		Hours, Requests int64
		HTTPS           int64 `gorm:"column:https"`
	}
	err := db.Table("discovered_traffic").
		Select("COUNT(*) AS hours, COALESCE(SUM(requests), 0) AS requests, COALESCE(SUM(https), 0) AS https").
		Where("host = ?", host).Scan(&seen).Error
	if err != nil {
		return nil, err
	}
	st := &DiscoveredHostState{Host: host, Requests: seen.Requests, HTTPS: seen.HTTPS, Status: DiscoveredNew}
	if seen.Hours > 0 {
		// Two row reads rather than MIN and MAX, which SQLite
		// returns as text that does not scan into a time.
		var first, last DiscoveredTraffic
		if err := db.Where("host = ?", host).Order("first_seen").Limit(1).Take(&first).Error; err != nil {
			return nil, err
		}
		if err := db.Where("host = ?", host).Order("last_seen DESC").Limit(1).Take(&last).Error; err != nil {
			return nil, err
		}
		st.FirstSeen, st.LastSeen = first.FirstSeen, last.LastSeen
	}
	var decisions []struct {
		Status, APISlug, APIName, DecidedBy string
		DecidedAt                           *time.Time
	}
	err = db.Table("discovered_hosts").
		Select("discovered_hosts.status, discovered_hosts.decided_by, discovered_hosts.decided_at, apis.slug AS api_slug, apis.name AS api_name").
		Joins("LEFT JOIN apis ON apis.id = discovered_hosts.api_id").
		Where("discovered_hosts.host = ?", host).Scan(&decisions).Error
	if err != nil {
		return nil, err
	}
	if len(decisions) == 0 && seen.Hours == 0 {
		return nil, fmt.Errorf("no traffic to host %q was seen: %w", host, catalog.ErrNotFound)
	}
	if len(decisions) > 0 {
		d := decisions[0]
		st.Status, st.APISlug, st.APIName, st.DecidedBy, st.DecidedAt = d.Status, d.APISlug, d.APIName, d.DecidedBy, d.DecidedAt
	}
	return st, nil
}

// DiscoveryClaim is the catalogue entry a discovered host becomes: an API,
// its first version and the deployment at the host. The version has no
// spec; traffic rolled up after the claim shows its endpoints, inferred,
// on the version's traffic page.
type DiscoveryClaim struct {
	API        catalog.APIInput
	Version    catalog.VersionInput
	Deployment catalog.DeploymentInput
}

// ClaimDiscoveredHost creates the API, version and deployment of c and
// marks the host claimed by it, audited, all or nothing. A host claimed by
// an API that still exists is a conflict; an ignored one may be claimed.
func (s *Store) ClaimDiscoveredHost(ctx context.Context, actor catalog.Actor, host string, c DiscoveryClaim) (*API, error) {
	var a API
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		st, err := discoveredHostState(tx, host)
		if err != nil {
			return err
		}
		if !st.Claimable() {
			return &ConflictError{Message: fmt.Sprintf("%s is already claimed by the API %s (%s).", host, st.APIName, st.APISlug)}
		}
		if err := s.createAPI(tx, actor, c.API, false, &a); err != nil {
			return err
		}
		var v Version
		if err := createVersion(tx, actor, a.Slug, c.Version, &v); err != nil {
			return err
		}
		var d Deployment
		if err := putDeployment(tx, actor, a.Slug, v.Name, c.Deployment, &d); err != nil {
			return err
		}
		if err := decideHost(tx, actor, host, DiscoveredClaimed, &a.ID); err != nil {
			return err
		}
		return audit(tx, actor, "discovered.claim", discoveredObject, host, map[string]any{"status": st.Status},
			map[string]any{"status": DiscoveredClaimed, "api": a.Slug, "team": c.API.TeamSlug, "version": v.Name, "stage": v.Stage,
				"environment": d.Environment, "base_url": d.BaseURL})
	})
	if err != nil {
		return nil, translate(err, "claim discovered host")
	}
	return &a, nil
}

// IgnoreDiscoveredHost marks the host ignored, with the reason kept in the
// audit log. A host claimed by an API that still exists is a conflict:
// its traffic is the API's now.
func (s *Store) IgnoreDiscoveredHost(ctx context.Context, actor catalog.Actor, host, reason string) error {
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		st, err := discoveredHostState(tx, host)
		if err != nil {
			return err
		}
		if !st.Claimable() {
			return &ConflictError{Message: fmt.Sprintf("%s is claimed by the API %s (%s); its traffic belongs to that API now.", host, st.APIName, st.APISlug)}
		}
		if err := decideHost(tx, actor, host, DiscoveredIgnored, nil); err != nil {
			return err
		}
		return audit(tx, actor, "discovered.ignore", discoveredObject, host, map[string]any{"status": st.Status},
			map[string]any{"status": DiscoveredIgnored, "reason": reason})
	})
	return translate(err, "ignore discovered host")
}

// decideHost records a decision in discovered_hosts. Two people deciding
// at once both find no row; the second insert breaks the primary key and
// becomes a conflict rather than a silent overwrite.
func decideHost(tx *gorm.DB, actor catalog.Actor, host, status string, apiID *uint) error {
	now := time.Now().UTC()
	res := tx.Exec(`UPDATE discovered_hosts SET status = ?, api_id = ?, decided_by = ?, decided_at = ? WHERE host = ?`,
		status, apiID, actor.Name, now, host)
	if res.Error != nil {
		return res.Error
	}
	if res.RowsAffected > 0 {
		return nil
	}
	return tx.Exec(`INSERT INTO discovered_hosts (host, status, api_id, decided_by, decided_at) VALUES (?, ?, ?, ?, ?)`,
		host, status, apiID, actor.Name, now).Error
}

// DiscoveryDecision is one decision about a host, from the audit log.
type DiscoveryDecision struct {
	At      time.Time
	Actor   string
	Status  string
	Reason  string // why it was ignored, if anyone said
	APISlug string // the API a claim created
}

// DiscoveryDecisions lists the decisions about a host, newest first.
func (s *Store) DiscoveryDecisions(ctx context.Context, host string, limit int) ([]DiscoveryDecision, error) {
	events, err := s.AuditFor(ctx, discoveredObject, host, limit)
	if err != nil {
		return nil, err
	}
	out := make([]DiscoveryDecision, 0, len(events))
	for _, e := range events {
		var detail struct {
			After struct {
				Status, Reason, API string
			} `json:"after"`
		}
		if err := json.Unmarshal([]byte(e.Detail), &detail); err != nil {
			return nil, fmt.Errorf("models: discovery decision %d: %w", e.ID, err)
		}
		out = append(out, DiscoveryDecision{At: e.At, Actor: e.Actor, Status: detail.After.Status, Reason: detail.After.Reason, APISlug: detail.After.API})
	}
	return out, nil
}

// DiscoveredHostEndpoints totals a discovered host's inferred endpoints
// since from, by path template then method. It adds the hourly rows up
// here rather than in SQL: SQLite returns MIN and MAX of a timestamp as
// text, which does not scan into a time.
func (s *Store) DiscoveredHostEndpoints(ctx context.Context, host string, from time.Time) ([]DiscoveredTraffic, error) {
	var rows []DiscoveredTraffic
	if err := s.db.WithContext(ctx).Where("host = ? AND hour >= ?", host, from.UTC()).Find(&rows).Error; err != nil {
		return nil, translate(err, "list discovered endpoints")
	}
	type key struct{ method, template string }
	by := map[key]*DiscoveredTraffic{}
	for _, r := range rows {
		k := key{r.Method, r.Template}
		t := by[k]
		if t == nil {
			t = &DiscoveredTraffic{Host: host, Method: r.Method, Template: r.Template, FirstSeen: r.FirstSeen}
			by[k] = t
		}
		t.Requests += r.Requests
		t.Status2xx += r.Status2xx
		t.Status4xx += r.Status4xx
		t.Status5xx += r.Status5xx
		t.HTTPS += r.HTTPS
		t.Authenticated += r.Authenticated
		t.Legitimate += r.Legitimate
		t.FirstSeen = minTime(t.FirstSeen, r.FirstSeen)
		t.LastSeen = maxTime(t.LastSeen, r.LastSeen)
	}
	out := make([]DiscoveredTraffic, 0, len(by))
	for _, t := range by {
		out = append(out, *t)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Template != out[j].Template {
			return out[i].Template < out[j].Template
		}
		return out[i].Method < out[j].Method
	})
	return out, nil
}
