package handlers

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/steward-governance/steward/breaking"
	"github.com/steward-governance/steward/models"
	"github.com/steward-governance/steward/specs"
	"github.com/steward-governance/steward/web"
)

// maxInlineSpecBytes bounds the raw view: beyond it the page offers the
// download instead of sending megabytes of numbered lines.
const maxInlineSpecBytes = 3 << 20

// revisionNumber reads a revision number from the URL; anything else is 404.
func revisionNumber(s string) (int, error) {
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 {
		return 0, echo.NewHTTPError(http.StatusNotFound, fmt.Sprintf("%q is not a revision number.", s))
	}
	return n, nil
}

func (s *Server) showRevisionPage(c echo.Context) error {
	apiSlug, name := c.Param("api"), c.Param("version")
	n, err := revisionNumber(c.Param("rev"))
	if err != nil {
		return err
	}
	v, err := s.store.GetVersion(c.Request().Context(), apiSlug, name)
	if err != nil {
		return err
	}
	rev, err := s.store.GetRevision(c.Request().Context(), apiSlug, name, n)
	if err != nil {
		return err
	}
	base := "/apis/" + apiSlug + "/versions/" + name
	p := web.RevisionPage{
		Crumbs: versionCrumbs(v, "Revision "+itoa(n)), Base: base, Number: rev.Number, SpecVersion: rev.SpecVersion,
		Format: rev.Format, Size: rev.SizeBytes, Hash: rev.Hash, TooLarge: len(rev.Content) > maxInlineSpecBytes,
	}
	if !p.TooLarge {
		for i, line := range strings.Split(rev.Content, "\n") {
			p.Lines = append(p.Lines, web.RawLine{Number: i + 1, Text: line})
		}
	}
	return s.render(c, http.StatusOK, web.Revision(s.layout(c, "Revision "+itoa(n)), p))
}

func (s *Server) downloadRevision(c echo.Context) error {
	apiSlug, name := c.Param("api"), c.Param("version")
	n, err := revisionNumber(c.Param("rev"))
	if err != nil {
		return err
	}
	rev, err := s.store.GetRevision(c.Request().Context(), apiSlug, name, n)
	if err != nil {
		return err
	}
	return sendSpec(c, rev, fmt.Sprintf("%s-%s-r%d", apiSlug, name, rev.Number))
}

// sendSpec writes a revision's text with its media type; a stored spec is
// user content, so it is served as an attachment, never rendered.
func sendSpec(c echo.Context, rev *models.SpecRevision, filename string) error {
	ctype, ext := "application/json", ".json"
	if rev.Format == string(specs.FormatYAML) {
		ctype, ext = "application/yaml", ".yaml"
	}
	c.Response().Header().Set("Content-Disposition", `attachment; filename="`+filename+ext+`"`)
	return c.Blob(http.StatusOK, ctype+"; charset=utf-8", []byte(rev.Content))
}

func (s *Server) showDiffPage(c echo.Context) error {
	apiSlug, name := c.Param("api"), c.Param("version")
	ctx := c.Request().Context()
	v, err := s.store.GetVersion(ctx, apiSlug, name)
	if err != nil {
		return err
	}
	from, err := revisionNumber(c.QueryParam("from"))
	if err != nil {
		return echo.NewHTTPError(http.StatusBadRequest, "Choose the two revisions to compare (from and to).")
	}
	to, err := revisionNumber(c.QueryParam("to"))
	if err != nil {
		return echo.NewHTTPError(http.StatusBadRequest, "Choose the two revisions to compare (from and to).")
	}
	old, err := s.store.GetRevision(ctx, apiSlug, name, from)
	if err != nil {
		return err
	}
	cur, err := s.store.GetRevision(ctx, apiSlug, name, to)
	if err != nil {
		return err
	}
	p := web.DiffPage{Crumbs: versionCrumbs(v, "Compare"), Base: "/apis/" + apiSlug + "/versions/" + name, From: from, To: to}
	report, err := breaking.Compare(ctx, []byte(old.Content), []byte(cur.Content))
	if err != nil {
		p.ChangesError = "The changes could not be classified: " + strings.TrimPrefix(err.Error(), "breaking: ")
	}
	for _, ch := range report.Changes {
		p.Changes = append(p.Changes, web.ChangeView{Level: ch.Level.String(), Operation: ch.Operation, Text: ch.Text, ID: ch.ID, OldLine: ch.Old.Line, NewLine: ch.New.Line})
	}
	p.Breaking, p.Warnings = report.Count(breaking.Breaking), report.Count(breaking.Warning)
	lines, err := specs.TextDiff(fmt.Sprintf("revision %d", from), old.Content, fmt.Sprintf("revision %d", to), cur.Content)
	if err != nil {
		p.Error = err.Error()
	}
	for _, l := range lines {
		kind := map[byte]string{' ': "ctx", '+': "add", '-': "del", '@': "hunk"}[l.Kind]
		p.Lines = append(p.Lines, web.DiffLineView{Kind: kind, Text: l.Text, OldLine: l.OldLine, NewLine: l.NewLine})
	}
	return s.render(c, http.StatusOK, web.Diff(s.layout(c, "Compare revisions"), p))
}

func versionCrumbs(v *models.VersionDetail, last string) []web.Crumb {
	apiURL := "/apis/" + v.API.Slug
	return []web.Crumb{{Label: "Catalogue", URL: "/apis"}, {Label: v.API.Name, URL: apiURL}, {Label: v.Name, URL: apiURL + "/versions/" + v.Name}, {Label: last}}
}
