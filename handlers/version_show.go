package handlers

import (
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/steward-governance/steward/models"
	"github.com/steward-governance/steward/policy"
	"github.com/steward-governance/steward/rules"
	"github.com/steward-governance/steward/specs"
	"github.com/steward-governance/steward/web"
)

func (s *Server) showVersionPage(c echo.Context) error {
	return s.renderVersion(c, http.StatusOK, c.Param("api"), c.Param("version"), func(p *web.VersionPage) {
		p.Flash = flashMessage(c.QueryParam("done"))
	})
}

// renderVersion shows a version's page; adjust fills in what a failed form
// post needs shown (the values typed and the errors).
func (s *Server) renderVersion(c echo.Context, status int, apiSlug, name string, adjust func(*web.VersionPage)) error {
	ctx := c.Request().Context()
	v, err := s.store.GetVersion(ctx, apiSlug, name)
	if err != nil {
		return err
	}
	history, err := s.store.AuditFor(ctx, "version", v.API.Slug+"/"+v.Name, 20)
	if err != nil {
		return err
	}
	apiURL := "/apis/" + v.API.Slug
	p := web.VersionPage{
		Crumbs:  []web.Crumb{{Label: "Catalogue", URL: "/apis"}, {Label: v.API.Name, URL: apiURL}, {Label: v.Name}},
		APISlug: v.API.Slug, APIName: v.API.Name, Name: v.Name, Stage: v.Stage,
		MaxSpecLabel: humanBytes(s.specLimits.MaxBytes), History: auditRows(history),
	}
	obj := versionObject(v)
	p.CanEdit, p.CanDelete = can(c, policy.VersionUpdate, obj), can(c, policy.VersionDelete, obj)
	for _, d := range v.Deployments {
		p.Deployments = append(p.Deployments, web.DeploymentView{Environment: d.Environment, BaseURL: d.BaseURL})
	}
	for _, e := range v.Endpoints {
		p.Endpoints = append(p.Endpoints, web.EndpointView{Method: e.Method, Path: e.Path, OperationID: e.OperationID, Summary: e.Summary, Deprecated: e.Deprecated})
	}
	for _, r := range v.Revisions {
		rv := revisionView(r, v.Current != nil && v.Current.ID == r.ID)
		p.Revisions = append(p.Revisions, rv)
		if rv.Current {
			cur := rv
			p.Current = &cur
		}
	}
	p.Changelog = changelogOf(v.Revisions)
	pending, err := s.store.PendingRevisions(ctx, v.ID, 10)
	if err != nil {
		return err
	}
	p.Pending = pendingViews(v, pending)
	if p.Current != nil {
		ls, err := s.latestScorecard(c, v)
		if err != nil {
			return err
		}
		if ls != nil {
			p.Grade, p.ScoreSummary = string(ls.card.Grade), ls.card.Summary
		}
	}
	if p.Lifecycle, err = s.versionLifecycle(c, v); err != nil {
		return err
	}
	if adjust != nil {
		adjust(&p)
	}
	return s.render(c, status, web.Version(s.layout(c, v.API.Name+" "+v.Name), p))
}

func revisionView(r models.SpecRevision, current bool) web.RevisionView {
	return web.RevisionView{
		Number: r.Number, SpecVersion: r.SpecVersion, Format: r.Format, Title: r.Title, Size: r.SizeBytes,
		Hash: r.Hash, CreatedBy: r.CreatedBy, Created: r.CreatedAt, Current: current,
	}
}

// uploadSpec takes a spec file from the version page's form. A rejected
// file is shown back on the page with its problems and line numbers.
func (s *Server) uploadSpec(c echo.Context) error {
	apiSlug, name := c.Param("api"), c.Param("version")
	// Authorise before reading up to 25 MB from someone who may not upload.
	v, err := s.store.GetVersion(c.Request().Context(), apiSlug, name)
	if err != nil {
		return err
	}
	if err := authorizeSpecUpload(c, v); err != nil {
		return err
	}
	// The multipart envelope adds a little to the file; allow for it so the
	// limit the person sees is the one applied to the file itself.
	c.Request().Body = http.MaxBytesReader(c.Response(), c.Request().Body, s.specLimits.MaxBytes+64<<10)
	fh, err := c.FormFile("spec")
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return s.renderUploadError(c, apiSlug, name, tooLarge(s.specLimits.MaxBytes))
		}
		return s.renderUploadError(c, apiSlug, name, echo.NewHTTPError(http.StatusBadRequest, "Choose a spec file to upload."))
	}
	if fh.Size > s.specLimits.MaxBytes {
		return s.renderUploadError(c, apiSlug, name, tooLarge(s.specLimits.MaxBytes))
	}
	f, err := fh.Open()
	if err != nil {
		return err
	}
	defer f.Close()
	raw, err := readLimited(f, s.specLimits.MaxBytes)
	if err != nil {
		return s.renderUploadError(c, apiSlug, name, err)
	}
	_, created, _, err := s.storeSpec(c, v, raw)
	var br *breakingRefusal
	if errors.As(err, &br) && br.Policy == rules.BreakingHold {
		return s.holdSpec(c, v, br)
	}
	if err != nil {
		return s.renderUploadError(c, apiSlug, name, err)
	}
	done := "spec-stored"
	if !created {
		done = "spec-unchanged"
	}
	return c.Redirect(http.StatusSeeOther, "/apis/"+apiSlug+"/versions/"+name+"?done="+done)
}

// renderUploadError re-renders the version page with why an upload was
// refused; errors that are not about the file go to the error handler.
func (s *Server) renderUploadError(c echo.Context, apiSlug, name string, err error) error {
	status := statusOf(err)
	if status >= 500 || status == http.StatusNotFound || status == http.StatusForbidden {
		return err
	}
	return s.renderVersion(c, status, apiSlug, name, func(p *web.VersionPage) {
		p.UploadError = publicMessage(err, status)
		var pe *specs.ParseError
		if errors.As(err, &pe) {
			for _, pr := range pe.Problems {
				p.UploadProblems = append(p.UploadProblems, web.SpecProblem{Line: pr.Line, Column: pr.Column, Message: pr.Message})
			}
		}
		var br *breakingRefusal
		if errors.As(err, &br) {
			p.UploadProblems = refusalProblems(br)
		}
	})
}
