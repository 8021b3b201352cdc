package handlers

import (
	"context"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/steward-governance/steward/catalog"
	"github.com/steward-governance/steward/policy"
)

func (s *Server) apiListTeams(c echo.Context) error {
	teams, err := s.store.ListTeams(c.Request().Context())
	if err != nil {
		return err
	}
	out := listJSON[teamJSON]{Items: make([]teamJSON, len(teams))}
	for i, t := range teams {
		out.Items[i] = teamJSONOf(t.Team, t.APICount)
	}
	return c.JSON(http.StatusOK, out)
}

func (s *Server) apiGetTeam(c echo.Context) error {
	ctx := c.Request().Context()
	slug := c.Param("team")
	t, err := s.store.GetTeam(ctx, slug)
	if err != nil {
		return notFound(err, "there is no team %q", slug)
	}
	n, err := s.teamAPICount(ctx, t.Slug)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, teamJSONOf(*t, n))
}

func (s *Server) apiCreateTeam(c echo.Context) error {
	var r teamRequest
	if err := bindJSON(c, &r); err != nil {
		return err
	}
	in := r.input()
	in.Normalize()
	if err := authorize(c, policy.TeamCreate, policy.Object{Type: "team", Key: in.Slug, TeamSlug: in.Slug}); err != nil {
		return err
	}
	if err := in.Validate(); err != nil {
		return err
	}
	t, err := s.store.CreateTeam(c.Request().Context(), actor(c), in)
	if err != nil {
		return err
	}
	return created(c, "/api/v1/teams/"+t.Slug, teamJSONOf(*t, 0))
}

// apiUpdateTeam replaces the team's editable fields; a body without a slug
// keeps the current one rather than deriving a new one from the name.
func (s *Server) apiUpdateTeam(c echo.Context) error {
	ctx := c.Request().Context()
	slug := c.Param("team")
	cur, err := s.store.GetTeam(ctx, slug)
	if err != nil {
		return notFound(err, "there is no team %q", slug)
	}
	var r teamRequest
	if err := bindJSON(c, &r); err != nil {
		return err
	}
	in := r.input()
	if in.Slug == "" {
		in.Slug = cur.Slug
	}
	in.Normalize()
	if err := authorize(c, policy.TeamUpdate, policy.Object{Type: "team", Key: cur.Slug, TeamSlug: cur.Slug}); err != nil {
		return err
	}
	if err := in.Validate(); err != nil {
		return err
	}
	t, err := s.store.UpdateTeam(ctx, actor(c), cur.Slug, in)
	if err != nil {
		return err
	}
	n, err := s.teamAPICount(ctx, t.Slug)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, teamJSONOf(*t, n))
}

func (s *Server) apiDeleteTeam(c echo.Context) error {
	ctx := c.Request().Context()
	slug := c.Param("team")
	t, err := s.store.GetTeam(ctx, slug)
	if err != nil {
		return notFound(err, "there is no team %q", slug)
	}
	if err := authorize(c, policy.TeamDelete, policy.Object{Type: "team", Key: t.Slug, TeamSlug: t.Slug}); err != nil {
		return err
	}
	if err := s.store.DeleteTeam(ctx, actor(c), t.Slug); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// teamAPICount counts the APIs a team owns with the catalogue's own filter.
func (s *Server) teamAPICount(ctx context.Context, team string) (int, error) {
	q := catalog.ListQuery{Team: team, Limit: 1}
	if err := q.Normalize(); err != nil {
		return 0, err
	}
	page, err := s.store.ListAPIs(ctx, q)
	if err != nil {
		return 0, err
	}
	return int(page.Total), nil
}
