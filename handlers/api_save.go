package handlers

import (
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/steward-governance/steward/catalog"
	"github.com/steward-governance/steward/policy"
	"github.com/steward-governance/steward/web"
)

// blankLinkRows is how many empty link rows the form offers beyond those
// already filled in.
const blankLinkRows = 2

func (s *Server) showAPINewPage(c echo.Context) error {
	f := apiForm{Team: c.QueryParam("team"), Kind: string(catalog.KindREST), Visibility: string(catalog.VisibilityInternal)}
	return s.renderAPIForm(c, http.StatusOK, f, nil, "")
}

func (s *Server) createAPI(c echo.Context) error {
	var f apiForm
	if err := bindForm(c, &f); err != nil {
		return err
	}
	in := f.input()
	in.Normalize()
	if err := authorize(c, policy.APICreate, policy.Object{Type: "api", Key: in.Slug, TeamSlug: in.TeamSlug}); err != nil {
		return err
	}
	err := in.Validate()
	if err == nil {
		_, err = s.store.CreateAPI(c.Request().Context(), actor(c), in)
	}
	if err != nil {
		errs, err := fieldErrors(err)
		if err != nil {
			return err
		}
		return s.renderAPIForm(c, http.StatusUnprocessableEntity, f, errs, "")
	}
	return c.Redirect(http.StatusSeeOther, "/apis/"+in.Slug+"?done=created")
}

func (s *Server) showAPIEditPage(c echo.Context) error {
	a, err := s.store.GetAPI(c.Request().Context(), c.Param("api"))
	if err != nil {
		return err
	}
	f := apiForm{Slug: a.Slug, Name: a.Name, Description: a.Description, Team: a.Team.Slug, Kind: a.Kind, Visibility: a.Visibility, Tags: strings.Join(a.TagNames(), ", ")}
	for _, l := range a.Links {
		f.LinkTitles = append(f.LinkTitles, l.Title)
		f.LinkURLs = append(f.LinkURLs, l.URL)
	}
	return s.renderAPIForm(c, http.StatusOK, f, nil, a.Slug)
}

func (s *Server) updateAPI(c echo.Context) error {
	slug := c.Param("api")
	ctx := c.Request().Context()
	cur, err := s.store.GetAPI(ctx, slug)
	if err != nil {
		return err
	}
	var f apiForm
	if err := bindForm(c, &f); err != nil {
		return err
	}
	in := f.input()
	in.Normalize()
	if err := authorize(c, policy.APIUpdate, policy.Object{Type: "api", Key: slug, TeamSlug: cur.Team.Slug, NewTeamSlug: in.TeamSlug}); err != nil {
		return err
	}
	err = in.Validate()
	if err == nil {
		_, err = s.store.UpdateAPI(ctx, actor(c), slug, in)
	}
	if err != nil {
		errs, err := fieldErrors(err)
		if err != nil {
			return err
		}
		return s.renderAPIForm(c, http.StatusUnprocessableEntity, f, errs, slug)
	}
	return c.Redirect(http.StatusSeeOther, "/apis/"+in.Slug+"?done=updated")
}

// renderAPIForm shows the API form; editing is the slug of the API being
// edited, empty when registering a new one.
func (s *Server) renderAPIForm(c echo.Context, status int, f apiForm, errs web.FieldErrors, editing string) error {
	teams, err := s.store.ListTeams(c.Request().Context())
	if err != nil {
		return err
	}
	p := web.APIForm{
		Errors: errs, Kinds: kindOptions(), Visibilities: visibilityOptions(),
		Values: web.APIFormValues{Slug: f.Slug, Name: f.Name, Description: f.Description, Team: f.Team, Kind: f.Kind, Visibility: f.Visibility, Tags: f.Tags},
	}
	p.Teams = append(p.Teams, web.Option{Value: "", Label: "Choose a team…"})
	for _, t := range teams {
		p.Teams = append(p.Teams, web.Option{Value: t.Slug, Label: t.Name})
	}
	for i, u := range f.LinkURLs {
		l := web.LinkView{URL: u}
		if i < len(f.LinkTitles) {
			l.Title = f.LinkTitles[i]
		}
		if l.Title != "" || l.URL != "" {
			p.Values.Links = append(p.Values.Links, l)
		}
	}
	for range blankLinkRows {
		p.Values.Links = append(p.Values.Links, web.LinkView{})
	}
	if editing == "" {
		p.Title, p.Action, p.CancelURL = "Register an API", "/apis", "/apis"
		p.Crumbs = []web.Crumb{{Label: "Catalogue", URL: "/apis"}, {Label: "New API"}}
	} else {
		p.Title, p.Action, p.CancelURL = "Edit "+f.Name, "/apis/"+editing, "/apis/"+editing
		p.Crumbs = []web.Crumb{{Label: "Catalogue", URL: "/apis"}, {Label: editing, URL: "/apis/" + editing}, {Label: "Edit"}}
	}
	return s.render(c, status, web.APIFormPage(s.layout(c, p.Title), p))
}

func (s *Server) showAPIDeletePage(c echo.Context) error {
	a, err := s.store.GetAPI(c.Request().Context(), c.Param("api"))
	if err != nil {
		return err
	}
	return s.render(c, http.StatusOK, web.Confirm(s.layout(c, "Delete "+a.Name), web.ConfirmDelete{
		Crumbs:      []web.Crumb{{Label: "Catalogue", URL: "/apis"}, {Label: a.Name, URL: "/apis/" + a.Slug}, {Label: "Delete"}},
		What:        "the API " + a.Name,
		Consequence: "Its " + plural(len(a.Versions), "version", "versions") + ", their deployments, every spec revision and the endpoints go with it. The audit log keeps a record of the deletion.",
		Action:      "/apis/" + a.Slug + "/delete",
		CancelURL:   "/apis/" + a.Slug,
	}))
}

func (s *Server) deleteAPI(c echo.Context) error {
	ctx := c.Request().Context()
	a, err := s.store.GetAPI(ctx, c.Param("api"))
	if err != nil {
		return err
	}
	if err := authorize(c, policy.APIDelete, policy.Object{Type: "api", Key: a.Slug, TeamSlug: a.Team.Slug}); err != nil {
		return err
	}
	if err := s.store.DeleteAPI(ctx, actor(c), a.Slug); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/apis")
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strings.TrimSpace(strings.Join([]string{itoa(n), many}, " "))
}
