package handlers

import (
	"context"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/steward-governance/steward/catalog"
	"github.com/steward-governance/steward/models"
	"github.com/steward-governance/steward/policy"
	"github.com/steward-governance/steward/web"
)

func (s *Server) showAPIPage(c echo.Context) error {
	ctx := c.Request().Context()
	cached, err := s.apiPageFacts(ctx, c.Param("api"))
	if err != nil {
		return err
	}
	history, err := s.store.AuditFor(ctx, "api", cached.Slug, 20)
	if err != nil {
		return err
	}
	p := *cached // the slices stay shared with the cache: read only
	p.History = auditRows(history)
	p.Flash = flashMessage(c.QueryParam("done"))
	obj := policy.Object{Type: "api", Key: p.Slug, TeamSlug: p.TeamSlug}
	p.CanEdit, p.CanDelete = can(c, policy.APIUpdate, obj), can(c, policy.APIDelete, obj)
	return s.render(c, http.StatusOK, web.API(s.layout(c, p.Name), p))
}

// apiPageFacts is the API page's catalogue part: everything but the
// history, the flash and what the reader may do. It changes only with the
// catalogue generation, so it is kept per generation (api_page_cache.go).
func (s *Server) apiPageFacts(ctx context.Context, slug string) (*web.APIPage, error) {
	gen, err := s.store.CatalogueGeneration(ctx)
	if err != nil {
		return nil, err
	}
	if p := s.apiPages.get(gen, slug); p != nil {
		return p, nil
	}
	a, err := s.store.GetAPI(ctx, slug)
	if err != nil {
		return nil, err
	}
	p := &web.APIPage{
		Crumbs: []web.Crumb{{Label: "Catalogue", URL: "/apis"}, {Label: a.Name}},
		Slug:   a.Slug, Name: a.Name, DescriptionHTML: web.Markdown(a.Description),
		TeamSlug: a.Team.Slug, TeamName: a.Team.Name, Kind: catalog.Kind(a.Kind).Label(), Visibility: a.Visibility,
		Tags: a.TagNames(), Created: a.CreatedAt, Updated: a.UpdatedAt,
	}
	if strings.TrimSpace(a.Description) == "" {
		p.DescriptionHTML = ""
	}
	for _, l := range a.Links {
		title := l.Title
		if title == "" {
			title = l.URL
		}
		p.Links = append(p.Links, web.LinkView{Title: title, URL: l.URL})
	}
	for _, v := range a.Versions {
		vs := web.VersionSummary{Name: v.Name, Stage: v.Stage, Updated: v.UpdatedAt}
		for _, d := range v.Deployments {
			vs.Deployments = append(vs.Deployments, web.DeploymentView{Environment: d.Environment, BaseURL: d.BaseURL})
		}
		st := a.Specs[v.ID]
		vs.Revisions, vs.SpecVersion = st.Revisions, st.SpecVersion
		p.Versions = append(p.Versions, vs)
	}
	if primary := primaryVersion(a); primary != nil {
		endpoints, err := s.store.ListEndpoints(ctx, primary.ID)
		if err != nil {
			return nil, err
		}
		p.Primary = primary.Name
		for _, e := range endpoints {
			p.PrimaryEndpoints = append(p.PrimaryEndpoints, web.EndpointView{Method: e.Method, Path: e.Path, OperationID: e.OperationID, Summary: e.Summary, Deprecated: e.Deprecated})
		}
	}
	if p.Timeline, err = s.apiTimeline(ctx, a.ID); err != nil {
		return nil, err
	}
	s.apiPages.put(gen, slug, p)
	return p, nil
}

// flashMessage turns the ?done= marker a redirect carries into a sentence;
// only known markers are shown, so the URL cannot inject text.
func flashMessage(done string) string {
	return map[string]string{
		"created":         "Saved.",
		"updated":         "Changes saved.",
		"spec-stored":     "New spec revision stored; endpoints updated.",
		"spec-unchanged":  "That file is identical to the current revision; nothing changed.",
		"deployment":      "Deployment saved.",
		"deployment-gone": "Deployment removed.",
		"version-deleted": "Version deleted.",
		"stage":           "Stage changed; the move is on the timeline.",
		"member":          "Membership saved.",
		"member-removed":  "Member removed.",
		"group":           "Group link saved.",
	}[done]
}

func auditRows(events []models.AuditEvent) []web.AuditRow {
	out := make([]web.AuditRow, len(events))
	for i, e := range events {
		out[i] = web.AuditRow{At: e.At, Actor: e.Actor, Action: e.Action, Summary: auditSummary(e)}
	}
	return out
}

func auditSummary(e models.AuditEvent) string {
	switch e.Action {
	case "api.create", "team.create":
		return "created it"
	case "api.update", "team.update":
		return "edited it"
	case "api.delete", "team.delete":
		return "deleted it"
	case "version.create":
		return "added the version"
	case "version.update":
		return "changed the version"
	case "version.delete":
		return "deleted the version"
	case "version.transition":
		return "changed the version's stage"
	case "deployment.put":
		return "saved a deployment"
	case "deployment.delete":
		return "removed a deployment"
	case "spec.upload":
		return "uploaded a spec revision"
	case "team.member.set":
		return "set a member's role"
	case "team.member.remove":
		return "removed a member"
	case "team.group":
		return "linked the team to an identity provider group"
	case "waiver.request":
		return "asked to waive a rule"
	case "waiver.approve":
		return "approved a waiver"
	case "waiver.deny":
		return "denied a waiver"
	}
	return strings.ReplaceAll(e.Action, ".", " ")
}

// primaryVersion picks the version an API page lists endpoints for: the
// newest in production, else the newest with a spec; nil when none has one.
func primaryVersion(a *models.APIDetail) *models.Version {
	var pick *models.Version
	for i, v := range a.Versions { // oldest first
		if v.CurrentRevisionID != nil && v.Stage == string(catalog.StageProduction) {
			pick = &a.Versions[i]
		}
	}
	if pick != nil {
		return pick
	}
	for i, v := range a.Versions {
		if v.CurrentRevisionID != nil {
			pick = &a.Versions[i]
		}
	}
	return pick
}
