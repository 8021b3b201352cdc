package handlers

import (
	"fmt"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/steward-governance/steward/specs"
)

// apiPutSpec stores the body, OpenAPI in JSON or YAML whatever the content
// type says, as the version's current spec: 201 with the new revision, or
// 200 with changed false when it is byte-for-byte the current one. A spec
// that does not parse is a 422 listing its problems and stores nothing.
func (s *Server) apiPutSpec(c echo.Context) error {
	// Look the version up and authorise first, so a wrong URL or a refused
	// person gets their answer before a large body is read.
	v, err := s.version(c)
	if err != nil {
		return err
	}
	if err := authorizeSpecUpload(c, v); err != nil {
		return err
	}
	if c.Request().ContentLength > s.specLimits.MaxBytes {
		return tooLarge(s.specLimits.MaxBytes)
	}
	raw, err := readLimited(c.Request().Body, s.specLimits.MaxBytes)
	if err != nil {
		return err
	}
	rev, changed, parsed, err := s.storeSpec(c, v, raw)
	if err != nil {
		return err
	}
	out := specSummaryJSON{
		Revision: rev.Number, Hash: rev.Hash, SpecVersion: rev.SpecVersion, Format: rev.Format, Title: rev.Title,
		Endpoints: len(parsed.Endpoints), Changed: changed, Warnings: problemsJSON(parsed.Warnings),
		Scorecard: "/api/v1/apis/" + v.API.Slug + "/versions/" + v.Name + "/scorecard",
	}
	if !changed {
		return c.JSON(http.StatusOK, out)
	}
	// The revision's own address: the current spec moves on, this does not.
	return created(c, "/apis/"+v.API.Slug+"/versions/"+v.Name+"/revisions/"+strconv.Itoa(rev.Number)+"/raw", out)
}

// apiGetSpec returns the current revision's text as uploaded, with the
// content type of its format and its hash as the ETag.
func (s *Server) apiGetSpec(c echo.Context) error {
	v, err := s.version(c)
	if err != nil {
		return err
	}
	if v.Current == nil {
		return echo.NewHTTPError(http.StatusNotFound, fmt.Sprintf(
			"version %q of API %q has no spec yet; upload one with PUT %s/spec", v.Name, v.API.Slug, versionPath(v.API.Slug, v.Name)))
	}
	rev, err := s.store.GetRevision(c.Request().Context(), v.API.Slug, v.Name, v.Current.Number)
	if err != nil {
		return err
	}
	contentType := "application/json"
	if rev.Format == string(specs.FormatYAML) {
		contentType = "application/yaml"
	}
	c.Response().Header().Set("ETag", strconv.Quote(rev.Hash))
	return c.Blob(http.StatusOK, contentType, []byte(rev.Content))
}

// apiListRevisions lists every stored revision of the version, newest first.
func (s *Server) apiListRevisions(c echo.Context) error {
	v, err := s.version(c)
	if err != nil {
		return err
	}
	out := listJSON[revisionJSON]{Items: make([]revisionJSON, len(v.Revisions))}
	for i, r := range v.Revisions {
		out.Items[i] = revisionJSONOf(r, v.Current != nil && r.ID == v.Current.ID)
	}
	return c.JSON(http.StatusOK, out)
}
