package handlers

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/steward-governance/steward/catalog"
	"github.com/steward-governance/steward/policy"
	"github.com/steward-governance/steward/web"
)

func (s *Server) showVersionNewPage(c echo.Context) error {
	a, err := s.store.GetAPI(c.Request().Context(), c.Param("api"))
	if err != nil {
		return err
	}
	return s.renderVersionForm(c, http.StatusOK, a.Slug, a.Name, "", versionForm{Stage: string(catalog.StageDesign)}, nil)
}

func (s *Server) createVersion(c echo.Context) error {
	ctx := c.Request().Context()
	a, err := s.store.GetAPI(ctx, c.Param("api"))
	if err != nil {
		return err
	}
	var f versionForm
	if err := bindForm(c, &f); err != nil {
		return err
	}
	in := f.input()
	in.Normalize()
	if err := authorize(c, policy.VersionCreate, policy.Object{Type: "api", Key: a.Slug, TeamSlug: a.Team.Slug}); err != nil {
		return err
	}
	err = in.Validate()
	if err == nil {
		_, err = s.store.CreateVersion(ctx, actor(c), a.Slug, in)
	}
	if err != nil {
		errs, err := fieldErrors(err)
		if err != nil {
			return err
		}
		return s.renderVersionForm(c, http.StatusUnprocessableEntity, a.Slug, a.Name, "", f, errs)
	}
	return c.Redirect(http.StatusSeeOther, "/apis/"+a.Slug+"/versions/"+in.Name+"?done=created")
}

func (s *Server) showVersionEditPage(c echo.Context) error {
	v, err := s.store.GetVersion(c.Request().Context(), c.Param("api"), c.Param("version"))
	if err != nil {
		return err
	}
	return s.renderVersionForm(c, http.StatusOK, v.API.Slug, v.API.Name, v.Name, versionForm{Name: v.Name, Stage: v.Stage}, nil)
}

func (s *Server) updateVersion(c echo.Context) error {
	ctx := c.Request().Context()
	v, err := s.store.GetVersion(ctx, c.Param("api"), c.Param("version"))
	if err != nil {
		return err
	}
	var f versionForm
	if err := bindForm(c, &f); err != nil {
		return err
	}
	in := f.input()
	in.Normalize()
	// The form renames; the stage moves only through Change stage
	// (lifecycle.go), where the gates are checked and the move recorded.
	in.Stage = catalog.Stage(v.Stage)
	f.Stage = v.Stage
	if err := authorize(c, policy.VersionUpdate, versionObject(v)); err != nil {
		return err
	}
	err = in.Validate()
	if err == nil {
		_, err = s.store.UpdateVersion(ctx, actor(c), v.API.Slug, v.Name, in)
	}
	if err != nil {
		errs, err := fieldErrors(err)
		if err != nil {
			return err
		}
		return s.renderVersionForm(c, http.StatusUnprocessableEntity, v.API.Slug, v.API.Name, v.Name, f, errs)
	}
	return c.Redirect(http.StatusSeeOther, "/apis/"+v.API.Slug+"/versions/"+in.Name+"?done=updated")
}

func (s *Server) renderVersionForm(c echo.Context, status int, apiSlug, apiName, editing string, f versionForm, errs web.FieldErrors) error {
	p := web.VersionForm{Name: f.Name, Stage: f.Stage, Errors: errs}
	apiURL := "/apis/" + apiSlug
	if editing == "" {
		p.Stages = stageOptions()
		p.Title, p.Action, p.CancelURL = "Add a version to "+apiName, apiURL+"/versions", apiURL
		p.Crumbs = []web.Crumb{{Label: "Catalogue", URL: "/apis"}, {Label: apiName, URL: apiURL}, {Label: "New version"}}
	} else {
		vURL := apiURL + "/versions/" + editing
		p.Title, p.Action, p.CancelURL = "Edit "+apiName+" "+editing, vURL, vURL
		p.Crumbs = []web.Crumb{{Label: "Catalogue", URL: "/apis"}, {Label: apiName, URL: apiURL}, {Label: editing, URL: vURL}, {Label: "Edit"}}
	}
	return s.render(c, status, web.VersionFormPage(s.layout(c, p.Title), p))
}

func (s *Server) showVersionDeletePage(c echo.Context) error {
	v, err := s.store.GetVersion(c.Request().Context(), c.Param("api"), c.Param("version"))
	if err != nil {
		return err
	}
	apiURL := "/apis/" + v.API.Slug
	vURL := apiURL + "/versions/" + v.Name
	return s.render(c, http.StatusOK, web.Confirm(s.layout(c, "Delete "+v.Name), web.ConfirmDelete{
		Crumbs:      []web.Crumb{{Label: "Catalogue", URL: "/apis"}, {Label: v.API.Name, URL: apiURL}, {Label: v.Name, URL: vURL}, {Label: "Delete"}},
		What:        "version " + v.Name + " of " + v.API.Name,
		Consequence: "Its deployments, " + plural(len(v.Revisions), "spec revision", "spec revisions") + " and endpoints go with it.",
		Action:      vURL + "/delete",
		CancelURL:   vURL,
	}))
}

func (s *Server) deleteVersion(c echo.Context) error {
	ctx := c.Request().Context()
	v, err := s.store.GetVersion(ctx, c.Param("api"), c.Param("version"))
	if err != nil {
		return err
	}
	if err := authorize(c, policy.VersionDelete, versionObject(v)); err != nil {
		return err
	}
	if err := s.store.DeleteVersion(ctx, actor(c), v.API.Slug, v.Name); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/apis/"+v.API.Slug+"?done=version-deleted")
}

func (s *Server) saveDeployment(c echo.Context) error {
	ctx := c.Request().Context()
	v, err := s.store.GetVersion(ctx, c.Param("api"), c.Param("version"))
	if err != nil {
		return err
	}
	var f deploymentForm
	if err := bindForm(c, &f); err != nil {
		return err
	}
	in := f.input()
	in.Normalize()
	if err := authorize(c, policy.DeploymentChange, versionObject(v)); err != nil {
		return err
	}
	err = in.Validate()
	if err == nil {
		_, err = s.store.PutDeployment(ctx, actor(c), v.API.Slug, v.Name, in)
	}
	if err != nil {
		errs, err := fieldErrors(err)
		if err != nil {
			return err
		}
		return s.renderVersion(c, http.StatusUnprocessableEntity, v.API.Slug, v.Name, func(p *web.VersionPage) {
			p.DeployValues = web.DeploymentView{Environment: f.Environment, BaseURL: f.BaseURL}
			p.DeployErrors = errs
		})
	}
	return c.Redirect(http.StatusSeeOther, "/apis/"+v.API.Slug+"/versions/"+v.Name+"?done=deployment")
}

func (s *Server) deleteDeployment(c echo.Context) error {
	ctx := c.Request().Context()
	v, err := s.store.GetVersion(ctx, c.Param("api"), c.Param("version"))
	if err != nil {
		return err
	}
	if err := authorize(c, policy.DeploymentChange, versionObject(v)); err != nil {
		return err
	}
	if err := s.store.DeleteDeployment(ctx, actor(c), v.API.Slug, v.Name, c.Param("env")); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/apis/"+v.API.Slug+"/versions/"+v.Name+"?done=deployment-gone")
}
