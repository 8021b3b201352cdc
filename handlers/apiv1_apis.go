package handlers

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/steward-governance/steward/policy"
)

// apiListAPIs answers the same search as the catalogue page, one page at a
// time; the total says how many match in all.
func (s *Server) apiListAPIs(c echo.Context) error {
	q, err := apiListQuery(c)
	if err != nil {
		return err
	}
	page, err := s.store.ListAPIs(c.Request().Context(), q)
	if err != nil {
		return err
	}
	out := pageJSON[apiListItemJSON]{Items: make([]apiListItemJSON, len(page.Items)), Total: page.Total, Limit: q.Limit, Offset: q.Offset}
	for i, it := range page.Items {
		out.Items[i] = apiListItemJSONOf(it)
	}
	return c.JSON(http.StatusOK, out)
}

func (s *Server) apiGetAPI(c echo.Context) error {
	slug := c.Param("api")
	a, err := s.store.GetAPI(c.Request().Context(), slug)
	if err != nil {
		return notFound(err, "there is no API %q", slug)
	}
	return c.JSON(http.StatusOK, apiJSONOf(a))
}

func (s *Server) apiCreateAPI(c echo.Context) error {
	ctx := c.Request().Context()
	var r apiRequest
	if err := bindJSON(c, &r); err != nil {
		return err
	}
	in := r.input()
	in.Normalize()
	if err := authorize(c, policy.APICreate, policy.Object{Type: "api", Key: in.Slug, TeamSlug: in.TeamSlug}); err != nil {
		return err
	}
	if err := in.Validate(); err != nil {
		return err
	}
	if _, err := s.store.CreateAPI(ctx, actor(c), in); err != nil {
		return err
	}
	a, err := s.store.GetAPI(ctx, in.Slug)
	if err != nil {
		return err
	}
	return created(c, "/api/v1/apis/"+a.Slug, apiJSONOf(a))
}

// apiUpdateAPI replaces the API's editable fields: tags and links left out
// of the body are removed. A body without a slug keeps the current one.
func (s *Server) apiUpdateAPI(c echo.Context) error {
	ctx := c.Request().Context()
	slug := c.Param("api")
	cur, err := s.store.GetAPI(ctx, slug)
	if err != nil {
		return notFound(err, "there is no API %q", slug)
	}
	var r apiRequest
	if err := bindJSON(c, &r); err != nil {
		return err
	}
	in := r.input()
	if in.Slug == "" {
		in.Slug = cur.Slug
	}
	in.Normalize()
	if err := authorize(c, policy.APIUpdate, policy.Object{Type: "api", Key: cur.Slug, TeamSlug: cur.Team.Slug, NewTeamSlug: in.TeamSlug}); err != nil {
		return err
	}
	if err := in.Validate(); err != nil {
		return err
	}
	if _, err := s.store.UpdateAPI(ctx, actor(c), cur.Slug, in); err != nil {
		return err
	}
	a, err := s.store.GetAPI(ctx, in.Slug)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, apiJSONOf(a))
}

func (s *Server) apiDeleteAPI(c echo.Context) error {
	ctx := c.Request().Context()
	slug := c.Param("api")
	a, err := s.store.GetAPI(ctx, slug)
	if err != nil {
		return notFound(err, "there is no API %q", slug)
	}
	if err := authorize(c, policy.APIDelete, policy.Object{Type: "api", Key: a.Slug, TeamSlug: a.Team.Slug}); err != nil {
		return err
	}
	if err := s.store.DeleteAPI(ctx, actor(c), a.Slug); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}
