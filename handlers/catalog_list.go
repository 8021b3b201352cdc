package handlers

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/steward-governance/steward/catalog"
	"github.com/steward-governance/steward/models"
	"github.com/steward-governance/steward/policy"
	"github.com/steward-governance/steward/web"
)

// listQueryFrom reads the catalogue filters shared by the page and the JSON
// API from the URL.
func listQueryFrom(c echo.Context) catalog.ListQuery {
	return catalog.ListQuery{
		Text:       c.QueryParam("q"),
		Team:       c.QueryParam("team"),
		Stage:      catalog.Stage(c.QueryParam("stage")),
		Kind:       catalog.Kind(c.QueryParam("kind")),
		Tag:        c.QueryParam("tag"),
		Visibility: catalog.Visibility(c.QueryParam("visibility")),
		Grade:      c.QueryParam("grade"),
		Zombie:     c.QueryParam("zombie") == "1",
		Sort:       c.QueryParam("sort"),
	}
}

func (s *Server) showCatalogPage(c echo.Context) error {
	ctx := c.Request().Context()
	q := listQueryFrom(c)
	pageNo, _ := strconv.Atoi(c.QueryParam("page"))
	if pageNo < 1 {
		pageNo = 1
	}
	q.Limit = catalog.DefaultPageSize
	q.Offset = (pageNo - 1) * q.Limit
	p := web.CatalogPage{
		Query: web.CatalogQuery{Text: q.Text, Team: q.Team, Stage: string(q.Stage), Kind: string(q.Kind), Tag: q.Tag, Visibility: string(q.Visibility), Grade: q.Grade, Sort: q.Sort,
			Zombie: map[bool]string{true: "1"}[q.Zombie]},
		SortOptions: []web.Option{
			{Value: catalog.SortName, Label: "Name"}, {Value: catalog.SortUpdated, Label: "Recently updated"}, {Value: catalog.SortTeam, Label: "Team"},
		},
	}
	status := http.StatusOK
	if err := q.Normalize(); err != nil {
		var ve *catalog.ValidationError
		if !errors.As(err, &ve) {
			return err
		}
		// Show the catalogue unfiltered with the reason, rather than a bare error page.
		p.Error = ve.Error()
		status = http.StatusBadRequest
		q = catalog.ListQuery{}
		_ = q.Normalize()
	}
	p.Query.Sort = q.Sort
	page, facets, err := s.store.SearchCatalogue(ctx, q)
	if err != nil {
		return err
	}
	p.Total = page.Total
	p.Items = catalogItems(page.Items)
	if page.Total > 0 {
		p.From = int64(q.Offset + 1)
		p.To = int64(q.Offset + len(page.Items))
	}
	cur := catalogValues(q)
	if q.Offset > 0 {
		v := clone(cur)
		if pageNo > 2 {
			v.Set("page", strconv.Itoa(pageNo-1))
		}
		p.PrevURL = withValues("/apis", v)
	}
	if int64(q.Offset+len(page.Items)) < page.Total {
		v := clone(cur)
		v.Set("page", strconv.Itoa(pageNo+1))
		p.NextURL = withValues("/apis", v)
	}
	p.Facets = append(facetGroups(cur, facets), zombieFacet(cur, facets.Zombies))
	p.CanCreate = canCreateAPIs(c)
	if page.Total == 0 && q.Text == "" && q.Team == "" && q.Stage == "" && q.Kind == "" && q.Tag == "" && q.Visibility == "" && q.Grade == "" && !q.Zombie {
		p.CatalogEmpty = true
	}
	return s.render(c, status, web.Catalog(s.layout(c, "Catalogue"), p))
}

func catalogItems(items []models.APIListItem) []web.CatalogItem {
	out := make([]web.CatalogItem, len(items))
	for i, it := range items {
		out[i] = web.CatalogItem{
			Slug: it.Slug, Name: it.Name, Description: web.Summary(it.Description, 240), TeamSlug: it.TeamSlug, TeamName: it.TeamName,
			Kind: catalog.Kind(it.Kind).Label(), Visibility: it.Visibility, Tags: it.Tags, Stages: it.Stages,
			Versions: it.VersionCount, Endpoints: it.EndpointCount, Updated: it.UpdatedAt, Grade: it.Grade, Zombie: it.Zombie,
		}
	}
	return out
}

// catalogValues are the URL parameters that reproduce q (page excluded).
func catalogValues(q catalog.ListQuery) url.Values {
	v := url.Values{}
	set := func(k, val string) {
		if val != "" {
			v.Set(k, val)
		}
	}
	set("q", q.Text)
	set("team", q.Team)
	set("stage", string(q.Stage))
	set("kind", string(q.Kind))
	set("tag", q.Tag)
	set("visibility", string(q.Visibility))
	set("grade", q.Grade)
	if q.Zombie {
		set("zombie", "1")
	}
	if q.Sort != catalog.SortName {
		set("sort", q.Sort)
	}
	return v
}

func clone(v url.Values) url.Values {
	out := url.Values{}
	for k, vs := range v {
		out[k] = append([]string(nil), vs...)
	}
	return out
}

func withValues(base string, v url.Values) string {
	if len(v) == 0 {
		return base
	}
	return base + "?" + v.Encode()
}

// facetGroups turns facet counts into links that toggle each filter while
// keeping the others (and dropping the page, since the result set changes).
func facetGroups(cur url.Values, f *models.Facets) []web.FacetGroup {
	group := func(name, title string, facets []models.Facet, label func(models.Facet) string) web.FacetGroup {
		g := web.FacetGroup{Name: name, Title: title}
		if cur.Get(name) != "" {
			v := clone(cur)
			v.Del(name)
			g.ClearURL = withValues("/apis", v)
		}
		for _, fc := range facets {
			v := clone(cur)
			active := cur.Get(name) == fc.Value
			if active {
				v.Del(name)
			} else {
				v.Set(name, fc.Value)
			}
			g.Links = append(g.Links, web.FacetLink{Label: label(fc), Count: fc.Count, URL: withValues("/apis", v), Active: active})
		}
		return g
	}
	plain := func(fc models.Facet) string { return fc.Label }
	kind := func(fc models.Facet) string { return catalog.Kind(fc.Value).Label() }
	return []web.FacetGroup{
		group("team", "Team", f.Teams, plain),
		group("stage", "Stage", f.Stages, plain),
		group("kind", "Kind", f.Kinds, kind),
		group("visibility", "Visibility", f.Visibilities, plain),
		group("grade", "Grade", f.Grades, plain),
		group("tag", "Tags", f.Tags, plain),
	}
}

// canCreateAPIs reports whether the person may register an API in at
// least one team, which decides whether the catalogue offers the button.
func canCreateAPIs(c echo.Context) bool {
	id := who(c)
	if can(c, policy.APICreate, policy.Object{Type: "api"}) {
		return true
	}
	for team := range id.Teams {
		if can(c, policy.APICreate, policy.Object{Type: "api", TeamSlug: team}) {
			return true
		}
	}
	return false
}

// zombieFacet toggles the zombie filter: APIs with a live version that the
// zombie job found without legitimate traffic (retirement.go).
func zombieFacet(cur url.Values, count int64) web.FacetGroup {
	v := clone(cur)
	active := cur.Get("zombie") == "1"
	g := web.FacetGroup{Name: "zombie", Title: "Traffic"}
	if active {
		v.Del("zombie")
		g.ClearURL = withValues("/apis", v)
	} else {
		v.Set("zombie", "1")
	}
	g.Links = []web.FacetLink{{Label: "zombies", Count: count, URL: withValues("/apis", v), Active: active}}
	return g
}
