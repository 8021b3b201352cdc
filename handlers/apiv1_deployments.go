package handlers

import (
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/steward-governance/steward/catalog"
	"github.com/steward-governance/steward/models"
	"github.com/steward-governance/steward/policy"
)

func (s *Server) apiListDeployments(c echo.Context) error {
	v, err := s.version(c)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, listJSON[deploymentJSON]{Items: deploymentsJSON(v.Deployments)})
}

// apiPutDeployment creates (201) or replaces (200) the version's deployment
// in the environment named by the URL.
func (s *Server) apiPutDeployment(c echo.Context) error {
	ctx := c.Request().Context()
	v, err := s.version(c)
	if err != nil {
		return err
	}
	var r deploymentRequest
	if err := bindJSON(c, &r); err != nil {
		return err
	}
	in := catalog.DeploymentInput{Environment: c.Param("env"), BaseURL: r.BaseURL}
	in.Normalize()
	if err := authorize(c, policy.DeploymentChange, versionObject(v)); err != nil {
		return err
	}
	if err := in.Validate(); err != nil {
		return err
	}
	existed := false
	for _, d := range v.Deployments {
		existed = existed || d.Environment == in.Environment
	}
	d, err := s.store.PutDeployment(ctx, actor(c), v.API.Slug, v.Name, in)
	if err != nil {
		return err
	}
	out := deploymentsJSON([]models.Deployment{*d})[0]
	if existed {
		return c.JSON(http.StatusOK, out)
	}
	return created(c, versionPath(v.API.Slug, v.Name)+"/deployments/"+d.Environment, out)
}

func (s *Server) apiDeleteDeployment(c echo.Context) error {
	v, err := s.version(c)
	if err != nil {
		return err
	}
	if err := authorize(c, policy.DeploymentChange, versionObject(v)); err != nil {
		return err
	}
	env := strings.ToLower(strings.TrimSpace(c.Param("env")))
	if err := s.store.DeleteDeployment(c.Request().Context(), actor(c), v.API.Slug, v.Name, env); err != nil {
		return notFound(err, "version %q of API %q has no deployment in %q", v.Name, v.API.Slug, env)
	}
	return c.NoContent(http.StatusNoContent)
}
