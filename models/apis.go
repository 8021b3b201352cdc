package models

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf8"

	"gorm.io/gorm"

	"github.com/steward-governance/steward/catalog"
	"github.com/steward-governance/steward/catalog/index"
)

// APIListItem is one row of a catalogue listing (catalog/index).
type APIListItem = index.Entry

// APIPage is one page of a catalogue listing and the total it was cut from.
type APIPage struct {
	Items []APIListItem
	Total int64
}

// Facet is one filter value and how many APIs have it.
type Facet = index.Facet

// Facets are the counts shown beside each filter for the current search.
type Facets = index.Facets

// ListAPIs returns one page of the catalogue for q (already normalized).
func (s *Store) ListAPIs(ctx context.Context, q catalog.ListQuery) (*APIPage, error) {
	page, _, err := s.SearchCatalogue(ctx, q)
	return page, err
}

// SearchCatalogue answers q (already normalized) with one page, its total
// and the facet counts (shared with other callers: read them only), from the in-memory index of the current catalogue
// generation (catalog_index.go).
func (s *Store) SearchCatalogue(ctx context.Context, q catalog.ListQuery) (*APIPage, *Facets, error) {
	ix, err := s.catalogueIndex(ctx)
	if err != nil {
		return nil, nil, translate(err, "list apis")
	}
	r := ix.Search(q)
	return &APIPage{Items: r.Items, Total: r.Total}, &r.Facets, nil
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
	db := s.db.WithContext(ctx)
	err := db.Joins("Team").Preload("Tags", func(db *gorm.DB) *gorm.DB { return db.Order("tag") }).
		Where("apis.slug = ?", slug).Take(&a).Error
	if err != nil {
		return nil, translate(err, fmt.Sprintf("api %q", slug))
	}
	d := &APIDetail{API: a, Specs: map[uint]SpecStat{}}
	_ = json.Unmarshal([]byte(a.LinksJSON), &d.Links) // links are written by us as JSON; a bad row shows no links rather than failing the page
	// Versions with their spec figures in one statement, then their
	// deployments: each statement costs the page more than its rows do.
	var versions []struct {
		Version
		RevisionCount int
		SpecVersion   string
	}
	err = db.Table("versions").
		Select("versions.*, (SELECT COUNT(*) FROM spec_revisions r WHERE r.version_id = versions.id) AS revision_count, COALESCE(cur.spec_version, '') AS spec_version").
		Joins("LEFT JOIN spec_revisions cur ON cur.id = versions.current_revision_id").
		Where("versions.api_id = ?", a.ID).Order("versions.created_at, versions.id").Scan(&versions).Error
	if err != nil {
		return nil, translate(err, "list versions")
	}
	if len(versions) == 0 {
		return d, nil
	}
	ids := make([]uint, len(versions))
	at := make(map[uint]int, len(versions))
	for i, v := range versions {
		ids[i], at[v.ID] = v.ID, i
		d.Specs[v.ID] = SpecStat{Revisions: v.RevisionCount, SpecVersion: v.SpecVersion}
		d.Versions = append(d.Versions, v.Version)
	}
	var deployments []Deployment
	if err := db.Where("version_id IN ?", ids).Order("environment").Find(&deployments).Error; err != nil {
		return nil, translate(err, "list deployments")
	}
	for _, dep := range deployments {
		v := &d.Versions[at[dep.VersionID]]
		v.Deployments = append(v.Deployments, dep)
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
