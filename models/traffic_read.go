package models

import (
	"context"
	"sort"
	"time"
)

// TrafficRows returns a version's hourly rollup rows in [from, to), oldest
// first; callers merge them (the sketches need the rollup package).
func (s *Store) TrafficRows(ctx context.Context, versionID uint, from, to time.Time) ([]EndpointTraffic, error) {
	var rows []EndpointTraffic
	err := s.db.WithContext(ctx).Where("version_id = ? AND hour >= ? AND hour < ?", versionID, from.UTC(), to.UTC()).
		Order("hour").Find(&rows).Error
	return rows, err
}

// HasTraffic reports which of the versions have any rollup row since from.
func (s *Store) HasTraffic(ctx context.Context, versionIDs []uint, from time.Time) (map[uint]bool, error) {
	out := map[uint]bool{}
	for chunk := range chunks(versionIDs, 500) {
		var ids []uint
		if err := s.db.WithContext(ctx).Table("endpoint_traffic").Distinct("version_id").
			Where("version_id IN ? AND hour >= ?", chunk, from.UTC()).Pluck("version_id", &ids).Error; err != nil {
			return nil, err
		}
		for _, id := range ids {
			out[id] = true
		}
	}
	return out, nil
}

// ConsumerUsage is one consumer's use of a version over a span.
type ConsumerUsage struct {
	Consumer   string
	Requests   int64
	Legitimate int64
	LastSeen   time.Time
	Endpoints  int
}

// TopConsumers lists the version's consumers in [from, to) by requests.
func (s *Store) TopConsumers(ctx context.Context, versionID uint, from, to time.Time, limit int) ([]ConsumerUsage, error) {
	var rows []EndpointConsumer
	err := s.db.WithContext(ctx).Where("version_id = ? AND day >= ? AND day < ?", versionID, from.UTC().Truncate(24*time.Hour), to.UTC()).
		Find(&rows).Error
	if err != nil {
		return nil, err
	}
	by := map[string]*ConsumerUsage{}
	endpoints := map[string]map[string]bool{}
	for _, r := range rows {
		u := by[r.Consumer]
		if u == nil {
			u = &ConsumerUsage{Consumer: r.Consumer}
			by[r.Consumer] = u
			endpoints[r.Consumer] = map[string]bool{}
		}
		u.Requests += r.Requests
		u.Legitimate += r.Legitimate
		u.LastSeen = maxTime(u.LastSeen, r.LastSeen)
		endpoints[r.Consumer][r.Method+" "+r.Template] = true
	}
	out := make([]ConsumerUsage, 0, len(by))
	for c, u := range by {
		u.Endpoints = len(endpoints[c])
		out = append(out, *u)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Requests != out[j].Requests {
			return out[i].Requests > out[j].Requests
		}
		return out[i].Consumer < out[j].Consumer
	})
	if limit > 0 && len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

// EndpointStatuses lists the status codes each endpoint of a version has
// answered, for drift.
func (s *Store) EndpointStatuses(ctx context.Context, versionID uint) ([]EndpointStatus, error) {
	var rows []EndpointStatus
	return rows, s.db.WithContext(ctx).Where("version_id = ?", versionID).Order("method, template, status").Find(&rows).Error
}

// DiscoveredHost is traffic to a host that no deployment in the catalogue
// claims, with what people decided about it.
type DiscoveredHost struct {
	Host          string
	Requests      int64
	HTTPS         int64
	Authenticated int64
	Endpoints     int
	FirstSeen     time.Time
	LastSeen      time.Time
	Status        string // new, claimed or ignored
	APISlug       string
}

// DiscoveredHosts lists hosts seen in traffic since from that match no
// deployment, busiest first.
func (s *Store) DiscoveredHosts(ctx context.Context, from time.Time) ([]DiscoveredHost, error) {
	var rows []DiscoveredTraffic
	if err := s.db.WithContext(ctx).Where("hour >= ?", from.UTC()).Find(&rows).Error; err != nil {
		return nil, err
	}
	by := map[string]*DiscoveredHost{}
	eps := map[string]map[string]bool{}
	for _, r := range rows {
		h := by[r.Host]
		if h == nil {
			h = &DiscoveredHost{Host: r.Host, FirstSeen: r.FirstSeen, Status: "new"}
			by[r.Host] = h
			eps[r.Host] = map[string]bool{}
		}
		h.Requests += r.Requests
		h.HTTPS += r.HTTPS
		h.Authenticated += r.Authenticated
		h.FirstSeen = minTime(h.FirstSeen, r.FirstSeen)
		h.LastSeen = maxTime(h.LastSeen, r.LastSeen)
		eps[r.Host][r.Method+" "+r.Template] = true
	}
	var decisions []struct {
		Host, Status, APISlug string
	}
	if err := s.db.WithContext(ctx).Table("discovered_hosts").
		Select("discovered_hosts.host, discovered_hosts.status, apis.slug AS api_slug").
		Joins("LEFT JOIN apis ON apis.id = discovered_hosts.api_id").Scan(&decisions).Error; err != nil {
		return nil, err
	}
	for _, d := range decisions {
		if h := by[d.Host]; h != nil {
			h.Status, h.APISlug = d.Status, d.APISlug
		}
	}
	out := make([]DiscoveredHost, 0, len(by))
	for host, h := range by {
		h.Endpoints = len(eps[host])
		out = append(out, *h)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Requests != out[j].Requests {
			return out[i].Requests > out[j].Requests
		}
		return out[i].Host < out[j].Host
	})
	return out, nil
}

// MatchTarget is one API version as traffic matching needs it.
type MatchTarget struct {
	VersionID   uint
	APIID       uint
	Deployments []string
	Operations  []MatchOperation
}

// MatchOperation is one documented method on one path template.
type MatchOperation struct {
	Method, Path string
}

// MatchTargets lists every version with its deployments' base URLs and its
// current spec's operations, in three queries whatever the catalogue size.
func (s *Store) MatchTargets(ctx context.Context) ([]MatchTarget, error) {
	db := s.db.WithContext(ctx)
	var versions []struct{ ID, APIID uint }
	if err := db.Table("versions").Select("id, api_id").Order("id").Scan(&versions).Error; err != nil {
		return nil, err
	}
	out := make([]MatchTarget, len(versions))
	index := make(map[uint]int, len(versions))
	for i, v := range versions {
		out[i] = MatchTarget{VersionID: v.ID, APIID: v.APIID}
		index[v.ID] = i
	}
	var deps []struct {
		VersionID uint
		BaseURL   string
	}
	if err := db.Table("deployments").Select("version_id, base_url").Scan(&deps).Error; err != nil {
		return nil, err
	}
	for _, d := range deps {
		if i, ok := index[d.VersionID]; ok {
			out[i].Deployments = append(out[i].Deployments, d.BaseURL)
		}
	}
	rows, err := db.Table("endpoints").Select("version_id, method, path").Rows()
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var id uint
		var op MatchOperation
		if err := rows.Scan(&id, &op.Method, &op.Path); err != nil {
			return nil, err
		}
		if i, ok := index[id]; ok {
			out[i].Operations = append(out[i].Operations, op)
		}
	}
	return out, rows.Err()
}

// CatalogueGeneration changes whenever the catalogue does, from any
// replica; callers rebuild what they derive from it when it moves.
func (s *Store) CatalogueGeneration(ctx context.Context) (int64, error) {
	return s.catalogueGeneration(ctx)
}

// AffectedConsumer is a consumer seen calling one endpoint.
type AffectedConsumer struct {
	Consumer  string
	Operation string // "GET /pets/{petId}"
	Requests  int64
	LastSeen  time.Time
}

// ConsumersOf lists who called the given operations ("GET /pets") of a
// version since from, busiest first: the people a breaking change or a
// retirement would hurt.
func (s *Store) ConsumersOf(ctx context.Context, versionID uint, operations []string, from time.Time) ([]AffectedConsumer, error) {
	if len(operations) == 0 {
		return nil, nil
	}
	var rows []EndpointConsumer
	if err := s.db.WithContext(ctx).Where("version_id = ? AND day >= ?", versionID, from.UTC().Truncate(24*time.Hour)).
		Find(&rows).Error; err != nil {
		return nil, err
	}
	wanted := map[string]bool{}
	for _, op := range operations {
		wanted[op] = true
	}
	by := map[[2]string]*AffectedConsumer{}
	for _, r := range rows {
		op := r.Method + " " + r.Template
		if !wanted[op] {
			continue
		}
		k := [2]string{r.Consumer, op}
		a := by[k]
		if a == nil {
			a = &AffectedConsumer{Consumer: r.Consumer, Operation: op}
			by[k] = a
		}
		a.Requests += r.Requests
		a.LastSeen = maxTime(a.LastSeen, r.LastSeen)
	}
	out := make([]AffectedConsumer, 0, len(by))
	for _, a := range by {
		out = append(out, *a)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Requests != out[j].Requests {
			return out[i].Requests > out[j].Requests
		}
		return out[i].Consumer+out[i].Operation < out[j].Consumer+out[j].Operation
	})
	return out, nil
}

// VersionOutline is a version as the demo traffic generator sees it.
type VersionOutline struct {
	APISlug, Name, Stage string
	Deployments          []Deployment
	Operations           []MatchOperation
}

// VersionOutlines lists every version with its deployments and current
// operations.
func (s *Store) VersionOutlines(ctx context.Context) ([]VersionOutline, error) {
	targets, err := s.MatchTargets(ctx)
	if err != nil {
		return nil, err
	}
	var names []struct {
		ID         uint
		Slug, Name string
		Stage      string
	}
	if err := s.db.WithContext(ctx).Table("versions").Select("versions.id, apis.slug, versions.name, versions.stage").
		Joins("JOIN apis ON apis.id = versions.api_id").Scan(&names).Error; err != nil {
		return nil, err
	}
	byID := map[uint]int{}
	for i, n := range names {
		byID[n.ID] = i
	}
	var deps []Deployment
	if err := s.db.WithContext(ctx).Order("environment").Find(&deps).Error; err != nil {
		return nil, err
	}
	depsOf := map[uint][]Deployment{}
	for _, d := range deps {
		depsOf[d.VersionID] = append(depsOf[d.VersionID], d)
	}
	out := make([]VersionOutline, 0, len(targets))
	for _, t := range targets {
		n := names[byID[t.VersionID]]
		out = append(out, VersionOutline{APISlug: n.Slug, Name: n.Name, Stage: n.Stage, Deployments: depsOf[t.VersionID], Operations: t.Operations})
	}
	return out, nil
}
