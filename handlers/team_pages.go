package handlers

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/steward-governance/steward/catalog"
	"github.com/steward-governance/steward/models"
	"github.com/steward-governance/steward/policy"
	"github.com/steward-governance/steward/web"
)

// teamPageAPIs is how many of a team's APIs its page lists before linking
// to the filtered catalogue.
const teamPageAPIs = 50

func (s *Server) showTeamsPage(c echo.Context) error {
	teams, err := s.store.ListTeams(c.Request().Context())
	if err != nil {
		return err
	}
	p := web.TeamsPage{CanCreate: can(c, policy.TeamCreate, policy.Object{Type: "team"})}
	for _, t := range teams {
		p.Teams = append(p.Teams, web.TeamRow{Slug: t.Slug, Name: t.Name, Contact: t.Contact, APIs: t.APICount})
	}
	return s.render(c, http.StatusOK, web.Teams(s.layout(c, "Teams"), p))
}

func (s *Server) showTeamPage(c echo.Context) error {
	return s.renderTeam(c, http.StatusOK, c.Param("team"), func(p *web.TeamPage) {
		p.Flash = flashMessage(c.QueryParam("done"))
	})
}

// renderTeam shows a team's page; adjust fills in a failed form's values.
func (s *Server) renderTeam(c echo.Context, status int, slug string, adjust func(*web.TeamPage)) error {
	ctx := c.Request().Context()
	t, err := s.store.GetTeam(ctx, slug)
	if err != nil {
		return err
	}
	q := catalog.ListQuery{Team: t.Slug, Limit: teamPageAPIs}
	if err := q.Normalize(); err != nil {
		return err
	}
	page, err := s.store.ListAPIs(ctx, q)
	if err != nil {
		return err
	}
	history, err := s.store.AuditFor(ctx, "team", t.Slug, 20)
	if err != nil {
		return err
	}
	members, err := s.store.ListMembers(ctx, t.Slug)
	if err != nil {
		return err
	}
	scores, err := s.store.SummarizeScores(ctx, models.LatestScorecardsFilter{TeamSlug: t.Slug}, 5)
	if err != nil {
		return err
	}
	obj := policy.Object{Type: "team", Key: t.Slug, TeamSlug: t.Slug}
	p := web.TeamPage{
		Scored: scores.Scored, Average: scores.Average,
		Crumbs: []web.Crumb{{Label: "Teams", URL: "/teams"}, {Label: t.Name}},
		Slug:   t.Slug, Name: t.Name, Contact: t.Contact, APIs: catalogItems(page.Items), TotalAPIs: page.Total,
		History: auditRows(history), IDPGroup: t.IDPGroup,
		CanEdit: can(c, policy.TeamUpdate, obj), CanDelete: can(c, policy.TeamDelete, obj),
		CanManage: can(c, policy.TeamMembers, obj), CanLinkGroup: can(c, policy.UserManage, obj),
		MemberValues: web.MemberFormValues{Role: string(policy.RoleMember)},
	}
	for _, r := range scores.WorstRule {
		p.WorstRules = append(p.WorstRules, web.RuleFailureRow{Rule: r.Rule, Category: r.Category, Versions: r.Versions, Findings: r.Findings})
	}
	for _, m := range members {
		p.Members = append(p.Members, web.MemberView{UserID: m.UserID, Email: m.Email, Name: m.Name, Role: m.Role, Source: m.Source})
	}
	if t.Description != "" {
		p.DescriptionHTML = web.Markdown(t.Description)
	}
	if adjust != nil {
		adjust(&p)
	}
	return s.render(c, status, web.Team(s.layout(c, t.Name), p))
}

func (s *Server) showTeamNewPage(c echo.Context) error {
	return s.renderTeamForm(c, http.StatusOK, teamForm{}, nil, "")
}

func (s *Server) createTeam(c echo.Context) error {
	var f teamForm
	if err := bindForm(c, &f); err != nil {
		return err
	}
	in := f.input()
	in.Normalize()
	if err := authorize(c, policy.TeamCreate, policy.Object{Type: "team", Key: in.Slug, TeamSlug: in.Slug}); err != nil {
		return err
	}
	err := in.Validate()
	if err == nil {
		_, err = s.store.CreateTeam(c.Request().Context(), actor(c), in)
	}
	if err != nil {
		errs, err := fieldErrors(err)
		if err != nil {
			return err
		}
		return s.renderTeamForm(c, http.StatusUnprocessableEntity, f, errs, "")
	}
	return c.Redirect(http.StatusSeeOther, "/teams/"+in.Slug)
}

func (s *Server) showTeamEditPage(c echo.Context) error {
	t, err := s.store.GetTeam(c.Request().Context(), c.Param("team"))
	if err != nil {
		return err
	}
	return s.renderTeamForm(c, http.StatusOK, teamForm{Slug: t.Slug, Name: t.Name, Description: t.Description, Contact: t.Contact}, nil, t.Slug)
}

func (s *Server) updateTeam(c echo.Context) error {
	slug := c.Param("team")
	if _, err := s.store.GetTeam(c.Request().Context(), slug); err != nil {
		return err
	}
	var f teamForm
	if err := bindForm(c, &f); err != nil {
		return err
	}
	in := f.input()
	in.Normalize()
	if err := authorize(c, policy.TeamUpdate, policy.Object{Type: "team", Key: slug, TeamSlug: slug}); err != nil {
		return err
	}
	err := in.Validate()
	if err == nil {
		_, err = s.store.UpdateTeam(c.Request().Context(), actor(c), slug, in)
	}
	if err != nil {
		errs, err := fieldErrors(err)
		if err != nil {
			return err
		}
		return s.renderTeamForm(c, http.StatusUnprocessableEntity, f, errs, slug)
	}
	return c.Redirect(http.StatusSeeOther, "/teams/"+in.Slug)
}

func (s *Server) renderTeamForm(c echo.Context, status int, f teamForm, errs web.FieldErrors, editing string) error {
	p := web.TeamForm{Slug: f.Slug, Name: f.Name, Description: f.Description, Contact: f.Contact, Errors: errs}
	if editing == "" {
		p.Title, p.Action, p.CancelURL = "Create a team", "/teams", "/teams"
		p.Crumbs = []web.Crumb{{Label: "Teams", URL: "/teams"}, {Label: "New team"}}
	} else {
		p.Title, p.Action, p.CancelURL = "Edit "+f.Name, "/teams/"+editing, "/teams/"+editing
		p.Crumbs = []web.Crumb{{Label: "Teams", URL: "/teams"}, {Label: editing, URL: "/teams/" + editing}, {Label: "Edit"}}
	}
	return s.render(c, status, web.TeamFormPage(s.layout(c, p.Title), p))
}

func (s *Server) showTeamDeletePage(c echo.Context) error {
	t, err := s.store.GetTeam(c.Request().Context(), c.Param("team"))
	if err != nil {
		return err
	}
	return s.renderTeamDelete(c, http.StatusOK, t.Slug, t.Name, "")
}

func (s *Server) renderTeamDelete(c echo.Context, status int, slug, name, problem string) error {
	return s.render(c, status, web.Confirm(s.layout(c, "Delete "+name), web.ConfirmDelete{
		Crumbs:      []web.Crumb{{Label: "Teams", URL: "/teams"}, {Label: name, URL: "/teams/" + slug}, {Label: "Delete"}},
		What:        "the team " + name,
		Consequence: "A team can be deleted only once it owns no APIs.",
		Action:      "/teams/" + slug + "/delete",
		CancelURL:   "/teams/" + slug,
		Error:       problem,
	}))
}

func (s *Server) deleteTeam(c echo.Context) error {
	ctx := c.Request().Context()
	t, err := s.store.GetTeam(ctx, c.Param("team"))
	if err != nil {
		return err
	}
	if err := authorize(c, policy.TeamDelete, policy.Object{Type: "team", Key: t.Slug, TeamSlug: t.Slug}); err != nil {
		return err
	}
	if err := s.store.DeleteTeam(ctx, actor(c), t.Slug); err != nil {
		if statusOf(err) == http.StatusConflict {
			return s.renderTeamDelete(c, http.StatusConflict, t.Slug, t.Name, publicMessage(err, http.StatusConflict))
		}
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/teams")
}
