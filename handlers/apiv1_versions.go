package handlers

import (
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/steward-governance/steward/catalog"
	"github.com/steward-governance/steward/models"
	"github.com/steward-governance/steward/policy"
)

func (s *Server) apiListVersions(c echo.Context) error {
	slug := c.Param("api")
	a, err := s.store.GetAPI(c.Request().Context(), slug)
	if err != nil {
		return notFound(err, "there is no API %q", slug)
	}
	return c.JSON(http.StatusOK, listJSON[versionSummaryJSON]{Items: versionSummaries(a)})
}

func (s *Server) apiGetVersion(c echo.Context) error {
	v, err := s.version(c)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, versionJSONOf(v))
}

func (s *Server) apiCreateVersion(c echo.Context) error {
	ctx := c.Request().Context()
	slug := c.Param("api")
	a, err := s.store.GetAPI(ctx, slug)
	if err != nil {
		return notFound(err, "there is no API %q", slug)
	}
	var r versionRequest
	if err := bindJSON(c, &r); err != nil {
		return err
	}
	in := r.input()
	in.Normalize()
	if err := authorize(c, policy.VersionCreate, policy.Object{Type: "api", Key: a.Slug, TeamSlug: a.Team.Slug}); err != nil {
		return err
	}
	if err := in.Validate(); err != nil {
		return err
	}
	if _, err := s.store.CreateVersion(ctx, actor(c), a.Slug, in); err != nil {
		return err
	}
	v, err := s.store.GetVersion(ctx, a.Slug, in.Name)
	if err != nil {
		return err
	}
	return created(c, versionPath(a.Slug, v.Name), versionJSONOf(v))
}

// apiUpdateVersion replaces the version's name and stage; a body without a
// name keeps the current one, and one without a stage sets design, as for
// a new version.
func (s *Server) apiUpdateVersion(c echo.Context) error {
	ctx := c.Request().Context()
	cur, err := s.version(c)
	if err != nil {
		return err
	}
	var r versionRequest
	if err := bindJSON(c, &r); err != nil {
		return err
	}
	in := r.input()
	if in.Name == "" {
		in.Name = cur.Name
	}
	in.Normalize()
	if err := authorize(c, policy.VersionUpdate, policy.Object{Type: "version", Key: cur.API.Slug + "/" + cur.Name, TeamSlug: cur.TeamSlug}); err != nil {
		return err
	}
	if err := in.Validate(); err != nil {
		return err
	}
	if _, err := s.store.UpdateVersion(ctx, actor(c), cur.API.Slug, cur.Name, in); err != nil {
		return err
	}
	v, err := s.store.GetVersion(ctx, cur.API.Slug, in.Name)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, versionJSONOf(v))
}

func (s *Server) apiDeleteVersion(c echo.Context) error {
	v, err := s.version(c)
	if err != nil {
		return err
	}
	if err := authorize(c, policy.VersionDelete, versionObject(v)); err != nil {
		return err
	}
	if err := s.store.DeleteVersion(c.Request().Context(), actor(c), v.API.Slug, v.Name); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// version loads the version named by the URL. A 404 says whether the API
// or only the version is missing; finding out costs a query only then.
func (s *Server) version(c echo.Context) (*models.VersionDetail, error) {
	ctx := c.Request().Context()
	api, name := c.Param("api"), c.Param("version")
	v, err := s.store.GetVersion(ctx, api, name)
	if err == nil {
		return v, nil
	}
	if !errors.Is(err, catalog.ErrNotFound) {
		return nil, err
	}
	if _, aerr := s.store.GetAPI(ctx, api); errors.Is(aerr, catalog.ErrNotFound) {
		return nil, notFound(err, "there is no API %q", api)
	}
	return nil, notFound(err, "API %q has no version %q", api, name)
}

func versionPath(api, version string) string {
	return "/api/v1/apis/" + api + "/versions/" + version
}
