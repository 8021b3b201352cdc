package models

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"

	"github.com/steward-governance/steward/catalog"
)

// APIListItem is one row of a catalogue listing.
type APIListItem struct {
	ID            uint
	Slug          string
	Name          string
	Description   string
	TeamSlug      string
	TeamName      string
	Kind          string
	Visibility    string
	Demo          bool
	Grade         string
	UpdatedAt     time.Time
	Zombie        bool     `gorm:"-"` // a version is a zombie (zombies.go)
	Tags          []string `gorm:"-"`
	Stages        []string `gorm:"-"` // distinct stages of its versions, in lifecycle order
	VersionCount  int      `gorm:"-"`
	EndpointCount int      `gorm:"-"`
}

// APIPage is one page of a catalogue listing and the total it was cut from.
type APIPage struct {
	Items []APIListItem
	Total int64
}

// Facet is one filter value and how many APIs have it.
type Facet struct {
	Value string
	Label string
	Count int64
}

// Facets are the counts shown beside each filter for the current search.
type Facets struct {
	Teams, Stages, Kinds, Visibilities, Tags, Grades []Facet
}

// filtered applies every filter of q except the one named skip (so a facet
// counts what choosing another value of itself would give).
func (s *Store) filtered(ctx context.Context, q catalog.ListQuery, skip string) *gorm.DB {
	db := s.db.WithContext(ctx).Table("apis")
	if q.Team != "" && skip != "team" {
		db = db.Where("apis.team_id = (SELECT id FROM teams WHERE slug = ?)", q.Team)
	}
	if q.Stage != "" && skip != "stage" {
		// EXISTS probes idx_versions_stage_api once per candidate; IN would
		// first list every version in the stage (thousands).
		db = db.Where("EXISTS (SELECT 1 FROM versions v WHERE v.api_id = apis.id AND v.stage = ?)", string(q.Stage))
	}
	if q.Kind != "" && skip != "kind" {
		db = db.Where("apis.kind = ?", string(q.Kind))
	}
	if q.Visibility != "" && skip != "visibility" {
		db = db.Where("apis.visibility = ?", string(q.Visibility))
	}
	if q.Grade != "" && skip != "grade" {
		g := q.Grade
		if g == "none" {
			g = ""
		}
		db = db.Where("apis.grade = ?", g)
	}
	if q.Tag != "" && skip != "tag" {
		db = db.Where("EXISTS (SELECT 1 FROM api_tags t WHERE t.api_id = apis.id AND t.tag = ?)", q.Tag)
	}
	if q.Zombie && skip != "zombie" {
		db = db.Where("EXISTS (SELECT 1 FROM versions v JOIN zombie_verdicts z ON z.version_id = v.id WHERE v.api_id = apis.id AND z.verdict = ?)", "zombie")
	}
	for _, term := range catalog.SearchTerms(q.Text) {
		db = db.Where("apis.id IN (SELECT api_id FROM api_terms WHERE term >= ? AND term < ?)", term, prefixEnd(term))
	}
	return db
}

// hasFilters reports whether q filters the catalogue other than by skip.
func hasFilters(q catalog.ListQuery, skip string) bool {
	return q.Text != "" && len(catalog.SearchTerms(q.Text)) > 0 ||
		q.Team != "" && skip != "team" || q.Stage != "" && skip != "stage" || q.Kind != "" && skip != "kind" ||
		q.Visibility != "" && skip != "visibility" || q.Grade != "" && skip != "grade" || q.Tag != "" && skip != "tag" ||
		q.Zombie && skip != "zombie"
}

// prefixEnd is the smallest string greater than every string starting with
// p, in byte order: p with its last rune incremented.
func prefixEnd(p string) string {
	r, size := utf8.DecodeLastRuneInString(p)
	return p[:len(p)-size] + string(r+1)
}

// ListAPIs returns one page of the catalogue for q (already normalized).
func (s *Store) ListAPIs(ctx context.Context, q catalog.ListQuery) (*APIPage, error) {
	page := &APIPage{}
	entry, err := s.cached(ctx, q)
	if err != nil {
		return nil, translate(err, "list apis")
	}
	if q.Zombie {
		// Verdicts change without moving the catalogue's generation, so
		// the zombie filter's count is never cached.
		entry = &catalogEntry{}
	}
	if total, ok := s.cachedTotal(entry); ok {
		page.Total = total
	} else {
		if err := s.filtered(ctx, q, "").Count(&page.Total).Error; err != nil {
			return nil, translate(err, "count apis")
		}
		total := page.Total
		s.remember(entry, &total, nil)
	}
	db := s.filtered(ctx, q, "").
		Select("apis.id, apis.slug, apis.name, apis.description, apis.kind, apis.visibility, apis.demo, apis.grade, apis.updated_at, teams.slug AS team_slug, teams.name AS team_name").
		Joins("JOIN teams ON teams.id = apis.team_id")
	switch q.Sort {
	case catalog.SortUpdated:
		db = db.Order("apis.updated_at DESC").Order("apis.name_key")
	case catalog.SortTeam:
		db = db.Order("teams.name").Order("apis.name_key")
	default:
		db = db.Order("apis.name_key")
	}
	db = db.Order("apis.id").Limit(q.Limit).Offset(q.Offset)
	if err := db.Scan(&page.Items).Error; err != nil {
		return nil, translate(err, "list apis")
	}
	if err := s.fillListDetails(ctx, page.Items); err != nil {
		return nil, err
	}
	return page, nil
}

// fillListDetails loads tags, stages and counts for a page of items in a
// few IN queries rather than one query per row.
func (s *Store) fillListDetails(ctx context.Context, items []APIListItem) error {
	if len(items) == 0 {
		return nil
	}
	ids := make([]uint, len(items))
	byID := map[uint]*APIListItem{}
	for i := range items {
		ids[i] = items[i].ID
		byID[items[i].ID] = &items[i]
		items[i].Description = firstParagraph(items[i].Description, 1000) // the page shortens it further once rendered to text
	}
	db := s.db.WithContext(ctx)
	var tags []APITag
	if err := db.Where("api_id IN ?", ids).Order("tag").Find(&tags).Error; err != nil {
		return translate(err, "list tags")
	}
	for _, t := range tags {
		byID[t.APIID].Tags = append(byID[t.APIID].Tags, t.Tag)
	}
	var vs []struct {
		APIID     uint
		Stage     string
		Endpoints int
	}
	if err := db.Table("versions").
		Select("versions.api_id, versions.stage, (SELECT COUNT(*) FROM endpoints WHERE endpoints.version_id = versions.id) AS endpoints").
		Where("versions.api_id IN ?", ids).Scan(&vs).Error; err != nil {
		return translate(err, "list versions")
	}
	for _, v := range vs {
		it := byID[v.APIID]
		it.VersionCount++
		it.EndpointCount += v.Endpoints
		if !contains(it.Stages, v.Stage) {
			it.Stages = append(it.Stages, v.Stage)
		}
	}
	for i := range items {
		sortStages(items[i].Stages)
	}
	var zombies []uint
	if err := db.Table("versions").Distinct("versions.api_id").Joins("JOIN zombie_verdicts z ON z.version_id = versions.id").
		Where("versions.api_id IN ? AND z.verdict = ?", ids, "zombie").Pluck("versions.api_id", &zombies).Error; err != nil {
		return translate(err, "list zombies")
	}
	for _, id := range zombies {
		byID[id].Zombie = true
	}
	return nil
}

// Facets counts APIs per filter value under the other filters of q.
//
// Team, kind, visibility and grade come from one grouped query over the
// APIs q matches; a facet whose own filter is set needs the set without that
// filter, so it gets a query of its own. Stages and tags are counted from
// their tables. Each API is one row per group, so COUNT(*) is exact except
// for stages, where an API may have several versions in one stage.
// The result is shared with other callers through the cache: read it only.
func (s *Store) Facets(ctx context.Context, q catalog.ListQuery) (*Facets, error) {
	entry, err := s.cached(ctx, q)
	if err != nil {
		return nil, translate(err, "facets")
	}
	if q.Zombie {
		entry = &catalogEntry{} // see ListAPIs
	}
	if f := s.cachedFacets(entry); f != nil {
		return f, nil
	}
	f, err := s.computeFacets(ctx, q)
	if err != nil {
		return nil, err
	}
	s.remember(entry, nil, f)
	return f, nil
}

func (s *Store) computeFacets(ctx context.Context, q catalog.ListQuery) (*Facets, error) {
	f := &Facets{}
	type row struct {
		TeamSlug, TeamName, Kind, Visibility, Grade string
		Count                                       int64
	}
	teams := map[string]*Facet{}
	kinds, visibilities, grades := map[string]int64{}, map[string]int64{}, map[string]int64{}
	count := func(skip string, cols []string, add func(r row)) error {
		group := strings.Join(cols, ", ")
		inner := s.filtered(ctx, q, skip).Select(group + ", COUNT(*) AS count").Group(group)
		sel := []string{"g.count"}
		for _, c := range cols {
			switch c {
			case "apis.team_id":
				sel = append(sel, "t.slug AS team_slug", "t.name AS team_name")
			default:
				sel = append(sel, "g."+strings.TrimPrefix(c, "apis."))
			}
		}
		db := s.db.WithContext(ctx).Table("(?) AS g", inner).Select(strings.Join(sel, ", "))
		if slices.Contains(cols, "apis.team_id") {
			db = db.Joins("JOIN teams t ON t.id = g.team_id")
		}
		var rows []row
		if err := db.Scan(&rows).Error; err != nil {
			return translate(err, "count facets")
		}
		for _, r := range rows {
			add(r)
		}
		return nil
	}
	addTeam := func(r row) {
		if teams[r.TeamSlug] == nil {
			teams[r.TeamSlug] = &Facet{Value: r.TeamSlug, Label: r.TeamName}
		}
		teams[r.TeamSlug].Count += r.Count
	}
	own := map[string]string{"team": "apis.team_id", "kind": "apis.kind", "visibility": "apis.visibility", "grade": "apis.grade"}
	set := map[string]bool{"team": q.Team != "", "kind": q.Kind != "", "visibility": q.Visibility != "", "grade": q.Grade != ""}
	var shared []string
	for _, name := range []string{"team", "kind", "visibility", "grade"} {
		if !set[name] {
			shared = append(shared, own[name])
		}
	}
	if len(shared) > 0 {
		if err := count("", shared, func(r row) {
			if !set["team"] {
				addTeam(r)
			}
			if !set["kind"] {
				kinds[r.Kind] += r.Count
			}
			if !set["visibility"] {
				visibilities[r.Visibility] += r.Count
			}
			if !set["grade"] {
				grades[r.Grade] += r.Count
			}
		}); err != nil {
			return nil, err
		}
	}
	for _, name := range []string{"team", "kind", "visibility", "grade"} {
		if !set[name] {
			continue
		}
		err := count(name, []string{own[name]}, func(r row) {
			switch name {
			case "team":
				addTeam(r)
			case "kind":
				kinds[r.Kind] += r.Count
			case "visibility":
				visibilities[r.Visibility] += r.Count
			case "grade":
				grades[r.Grade] += r.Count
			}
		})
		if err != nil {
			return nil, err
		}
	}
	for _, t := range teams {
		f.Teams = append(f.Teams, *t)
	}
	for v, n := range kinds {
		f.Kinds = append(f.Kinds, Facet{Value: v, Label: v, Count: n})
	}
	for v, n := range visibilities {
		f.Visibilities = append(f.Visibilities, Facet{Value: v, Label: v, Count: n})
	}
	for v, n := range grades {
		f.Grades = append(f.Grades, Facet{Value: v, Label: v, Count: n})
	}
	sort.Slice(f.Kinds, func(i, j int) bool { return f.Kinds[i].Value < f.Kinds[j].Value })
	sort.Slice(f.Visibilities, func(i, j int) bool { return f.Visibilities[i].Value < f.Visibilities[j].Value })

	// Stages and tags: counted in their own tables, limited to the APIs
	// the other filters match (all of them when there are none).
	within := func(db *gorm.DB, col, skip string) *gorm.DB {
		if hasFilters(q, skip) {
			db = db.Where(col+" IN (?)", s.filtered(ctx, q, skip).Select("apis.id"))
		}
		return db
	}
	var rows []struct {
		Value string
		Count int64
	}
	if err := within(s.db.WithContext(ctx).Table("versions"), "api_id", "stage").
		Select("stage AS value, COUNT(DISTINCT api_id) AS count").Group("stage").Scan(&rows).Error; err != nil {
		return nil, translate(err, "count facets")
	}
	for _, r := range rows {
		f.Stages = append(f.Stages, Facet{Value: r.Value, Label: r.Value, Count: r.Count})
	}
	rows = nil
	if err := within(s.db.WithContext(ctx).Table("api_tags"), "api_id", "tag").
		Select("tag AS value, COUNT(*) AS count").Group("tag").Scan(&rows).Error; err != nil {
		return nil, translate(err, "count facets")
	}
	for _, r := range rows {
		f.Tags = append(f.Tags, Facet{Value: r.Value, Label: r.Value, Count: r.Count})
	}
	for i := range f.Grades {
		if f.Grades[i].Value == "" {
			f.Grades[i].Value, f.Grades[i].Label = "none", "not scored"
		}
	}
	sort.Slice(f.Grades, func(i, j int) bool { return f.Grades[i].Value < f.Grades[j].Value })
	sort.Slice(f.Teams, func(i, j int) bool { return f.Teams[i].Label < f.Teams[j].Label })
	sort.Slice(f.Stages, func(i, j int) bool { return stageIndex(f.Stages[i].Value) < stageIndex(f.Stages[j].Value) })
	sort.Slice(f.Tags, func(i, j int) bool {
		if f.Tags[i].Count != f.Tags[j].Count {
			return f.Tags[i].Count > f.Tags[j].Count
		}
		return f.Tags[i].Value < f.Tags[j].Value
	})
	if len(f.Tags) > 30 {
		f.Tags = f.Tags[:30]
	}
	return f, nil
}

// APIDetail is an API with everything its page shows.
type APIDetail struct {
	API
	Links []catalog.Link
	// Specs summarises each version's revisions, by version id.
	Specs map[uint]SpecStat
}

// SpecStat is how many revisions a version has and its current spec version.
type SpecStat struct {
	Revisions   int
	SpecVersion string
}

// GetAPI loads an API with its team, tags, links, versions and deployments.
func (s *Store) GetAPI(ctx context.Context, slug string) (*APIDetail, error) {
	var a API
	err := s.db.WithContext(ctx).Preload("Team").Preload("Tags", func(db *gorm.DB) *gorm.DB { return db.Order("tag") }).
		Preload("Versions", func(db *gorm.DB) *gorm.DB { return db.Order("created_at, id") }).
		Preload("Versions.Deployments", func(db *gorm.DB) *gorm.DB { return db.Order("environment") }).
		Where("slug = ?", slug).Take(&a).Error
	if err != nil {
		return nil, translate(err, fmt.Sprintf("api %q", slug))
	}
	d := &APIDetail{API: a, Specs: map[uint]SpecStat{}}
	_ = json.Unmarshal([]byte(a.LinksJSON), &d.Links) // links are written by us as JSON; a bad row shows no links rather than failing the page
	if len(a.Versions) == 0 {
		return d, nil
	}
	var rows []struct {
		VersionID   uint
		Revisions   int
		SpecVersion string
	}
	err = s.db.WithContext(ctx).Table("versions").
		Select("versions.id AS version_id, (SELECT COUNT(*) FROM spec_revisions r WHERE r.version_id = versions.id) AS revisions, COALESCE(cur.spec_version, '') AS spec_version").
		Joins("LEFT JOIN spec_revisions cur ON cur.id = versions.current_revision_id").
		Where("versions.api_id = ?", a.ID).Scan(&rows).Error
	if err != nil {
		return nil, translate(err, "spec stats")
	}
	for _, r := range rows {
		d.Specs[r.VersionID] = SpecStat{Revisions: r.Revisions, SpecVersion: r.SpecVersion}
	}
	return d, nil
}

// TagNames returns the API's tags as strings.
func (a *API) TagNames() []string {
	out := make([]string, len(a.Tags))
	for i, t := range a.Tags {
		out[i] = t.Tag
	}
	return out
}

// CreateAPI adds an API owned by in.TeamSlug.
func (s *Store) CreateAPI(ctx context.Context, actor catalog.Actor, in catalog.APIInput) (*API, error) {
	var a API
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		return s.createAPI(tx, actor, in, false, &a)
	})
	if err != nil {
		return nil, translate(err, "create api")
	}
	return &a, nil
}

func (s *Store) createAPI(tx *gorm.DB, actor catalog.Actor, in catalog.APIInput, demo bool, a *API) error {
	teamID, err := teamIDBySlug(tx, in.TeamSlug)
	if err != nil {
		return err
	}
	if err := slugFree(tx, "apis", in.Slug, 0); err != nil {
		return err
	}
	*a = API{Slug: in.Slug, TeamID: teamID, Demo: demo}
	applyAPIInput(a, in)
	if err := tx.Omit("Team", "Tags", "Versions").Create(a).Error; err != nil {
		return err
	}
	if err := replaceTags(tx, a.ID, in.Tags); err != nil {
		return err
	}
	if err := reindexAPI(tx, a.ID); err != nil {
		return err
	}
	return audit(tx, actor, "api.create", "api", a.Slug, nil, apiAudit(*a, in.TeamSlug, in.Tags))
}

// UpdateAPI changes an API's fields, owner, tags and links.
func (s *Store) UpdateAPI(ctx context.Context, actor catalog.Actor, slug string, in catalog.APIInput) (*API, error) {
	var a API
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		return s.updateAPI(tx, actor, slug, in, &a)
	})
	if err != nil {
		return nil, translate(err, "update api")
	}
	return &a, nil
}

func (s *Store) updateAPI(tx *gorm.DB, actor catalog.Actor, slug string, in catalog.APIInput, a *API) error {
	if err := tx.Preload("Team").Preload("Tags").Where("slug = ?", slug).Take(a).Error; err != nil {
		return err
	}
	before := apiAudit(*a, a.Team.Slug, a.TagNames())
	teamID, err := teamIDBySlug(tx, in.TeamSlug)
	if err != nil {
		return err
	}
	if err := slugFree(tx, "apis", in.Slug, a.ID); err != nil {
		return err
	}
	a.Slug, a.TeamID = in.Slug, teamID
	applyAPIInput(a, in)
	if err := tx.Omit("Team", "Tags", "Versions").Save(a).Error; err != nil {
		return err
	}
	if err := replaceTags(tx, a.ID, in.Tags); err != nil {
		return err
	}
	if err := reindexAPI(tx, a.ID); err != nil {
		return err
	}
	return audit(tx, actor, "api.update", "api", a.Slug, before, apiAudit(*a, in.TeamSlug, in.Tags))
}

// DeleteAPI removes an API with its versions, deployments, specs and endpoints.
func (s *Store) DeleteAPI(ctx context.Context, actor catalog.Actor, slug string) error {
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var a API
		if err := tx.Preload("Team").Preload("Tags").Where("slug = ?", slug).Take(&a).Error; err != nil {
			return err
		}
		if err := tx.Delete(&a).Error; err != nil {
			return err
		}
		return audit(tx, actor, "api.delete", "api", a.Slug, apiAudit(a, a.Team.Slug, a.TagNames()), nil)
	})
	return translate(err, "delete api")
}

func applyAPIInput(a *API, in catalog.APIInput) {
	a.Name, a.NameKey = in.Name, strings.ToLower(in.Name)
	a.Description = in.Description
	a.Kind, a.Visibility = string(in.Kind), string(in.Visibility)
	links := in.Links
	if links == nil {
		links = []catalog.Link{}
	}
	b, _ := json.Marshal(links) // a slice of string pairs always marshals
	a.LinksJSON = string(b)
}

func replaceTags(tx *gorm.DB, apiID uint, tags []string) error {
	if err := tx.Where("api_id = ?", apiID).Delete(&APITag{}).Error; err != nil {
		return err
	}
	if len(tags) == 0 {
		return nil
	}
	rows := make([]APITag, len(tags))
	for i, t := range tags {
		rows[i] = APITag{APIID: apiID, Tag: t}
	}
	return tx.Create(&rows).Error
}

func teamIDBySlug(tx *gorm.DB, slug string) (uint, error) {
	var ids []uint
	if err := tx.Table("teams").Where("slug = ?", slug).Limit(1).Pluck("id", &ids).Error; err != nil {
		return 0, err
	}
	if len(ids) == 0 {
		return 0, catalog.FieldError("team", fmt.Sprintf("there is no team %q; create it first or pick an existing team", slug))
	}
	return ids[0], nil
}

func apiAudit(a API, team string, tags []string) map[string]any {
	return map[string]any{"slug": a.Slug, "name": a.Name, "team": team, "kind": a.Kind, "visibility": a.Visibility, "tags": tags, "links": json.RawMessage(a.LinksJSON), "description": a.Description}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func stageIndex(s string) int {
	for i, st := range catalog.Stages {
		if string(st) == s {
			return i
		}
	}
	return len(catalog.Stages)
}

func sortStages(st []string) {
	sort.Slice(st, func(i, j int) bool { return stageIndex(st[i]) < stageIndex(st[j]) })
}

// firstParagraph returns the first paragraph of a markdown text, cut at max runes.
func firstParagraph(s string, max int) string {
	s = strings.TrimSpace(s)
	if i := strings.Index(s, "\n\n"); i >= 0 {
		s = s[:i]
	}
	if utf8.RuneCountInString(s) > max {
		r := []rune(s)
		s = strings.TrimSpace(string(r[:max])) + "…"
	}
	return s
}
