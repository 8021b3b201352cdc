package handlers

import (
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/steward-governance/steward/specs"
	"github.com/steward-governance/steward/web"
)

// showSpecPage renders the current spec as operations grouped by tag.
func (s *Server) showSpecPage(c echo.Context) error {
	apiSlug, name := c.Param("api"), c.Param("version")
	ctx := c.Request().Context()
	v, err := s.store.GetVersion(ctx, apiSlug, name)
	if err != nil {
		return err
	}
	rev, err := s.store.GetRevision(ctx, apiSlug, name, 0)
	if err != nil {
		return err
	}
	p := web.SpecPage{Crumbs: versionCrumbs(v, "Spec"), Base: "/apis/" + apiSlug + "/versions/" + name, Revision: rev.Number, SpecVersion: rev.SpecVersion, Title: rev.Title}
	doc, err := specs.Describe(ctx, []byte(rev.Content), s.specLimits)
	if err != nil {
		// Stored specs parsed when they were uploaded; one that no longer
		// does (a newer parser, a tighter limit) is still shown raw.
		p.Error = "This revision could not be read as operations: " + publicMessage(err, statusOf(err)) + " Use the raw view."
		return s.render(c, http.StatusOK, web.Spec(s.layout(c, rev.Title), p))
	}
	p.Title, p.APIVersion, p.Servers = doc.Title, doc.APIVersion, doc.Servers
	if doc.Description != "" {
		p.DescriptionHTML = web.Markdown(doc.Description)
	}
	for _, g := range doc.Groups {
		tv := web.SpecTagView{Name: g.Name}
		if g.Description != "" {
			tv.DescriptionHTML = web.Markdown(g.Description)
		}
		for _, op := range g.Operations {
			tv.Operations = append(tv.Operations, operationView(g.Name, op))
		}
		p.Tags = append(p.Tags, tv)
	}
	return s.render(c, http.StatusOK, web.Spec(s.layout(c, p.Title), p))
}

func operationView(tag string, op specs.Operation) web.OperationView {
	ov := web.OperationView{
		Anchor: "op-" + anchorPart(tag) + "-" + strings.ToLower(op.Method) + "-" + anchorPart(op.Path),
		Method: op.Method, Path: op.Path, OperationID: op.OperationID, Summary: op.Summary, Deprecated: op.Deprecated,
	}
	if op.Description != "" {
		ov.DescriptionHTML = web.Markdown(op.Description)
	}
	for _, pa := range op.Parameters {
		pv := web.ParamView{Name: pa.Name, In: pa.In, Type: pa.Type, Required: pa.Required}
		if pa.Description != "" {
			pv.DescriptionHTML = web.Markdown(pa.Description)
		}
		ov.Parameters = append(ov.Parameters, pv)
	}
	if op.RequestBody != nil {
		ov.RequestRequired = op.RequestBody.Required
		for _, m := range op.RequestBody.Content {
			ov.RequestBody = append(ov.RequestBody, web.MediaView{Type: m.Name, Schema: m.Schema})
		}
	}
	for _, r := range op.Responses {
		rv := web.ResponseView{Code: r.Code, Description: firstLine(r.Description), Headers: r.Headers}
		for _, m := range r.Content {
			rv.Media = append(rv.Media, web.MediaView{Type: m.Name, Schema: m.Schema})
		}
		ov.Responses = append(ov.Responses, rv)
	}
	return ov
}

// anchorPart makes a fragment-safe piece of an element id.
func anchorPart(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
		} else {
			b.WriteByte('-')
		}
	}
	return strings.Trim(b.String(), "-")
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return strings.TrimSpace(s[:i]) + "…"
	}
	return s
}
