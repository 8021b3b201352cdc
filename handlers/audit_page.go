package handlers

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/steward-governance/steward/models"
	"github.com/steward-governance/steward/policy"
	"github.com/steward-governance/steward/web"
)

const auditPageSize = 50

func (s *Server) showAuditPage(c echo.Context) error {
	if err := authorize(c, policy.AuditRead, policy.Object{Type: "audit"}); err != nil {
		return err
	}
	f := models.AuditFilter{
		Actor: strings.TrimSpace(c.QueryParam("actor")), Action: strings.TrimSpace(c.QueryParam("action")),
		ObjectType: strings.TrimSpace(c.QueryParam("object_type")), ObjectKey: strings.TrimSpace(c.QueryParam("object")),
		Limit: auditPageSize,
	}
	page, _ := strconv.Atoi(c.QueryParam("page"))
	if page < 1 {
		page = 1
	}
	f.Offset = (page - 1) * auditPageSize
	events, total, err := s.store.ListAudit(c.Request().Context(), f)
	if err != nil {
		return err
	}
	p := web.AuditPage{Filter: web.AuditFilterValues{Actor: f.Actor, Action: f.Action, ObjectType: f.ObjectType, ObjectKey: f.ObjectKey}, Total: total}
	for _, e := range events {
		p.Entries = append(p.Entries, web.AuditEntry{
			At: e.At, Actor: e.Actor, Token: e.TokenName, Action: e.Action, ObjectType: e.ObjectType, ObjectKey: e.ObjectKey,
			ObjectURL: objectURL(e.ObjectType, e.ObjectKey), Detail: e.Detail, RequestID: e.RequestID, ClientIP: e.ClientIP,
		})
	}
	v := url.Values{}
	for k, val := range map[string]string{"actor": f.Actor, "action": f.Action, "object_type": f.ObjectType, "object": f.ObjectKey} {
		if val != "" {
			v.Set(k, val)
		}
	}
	if page > 1 {
		prev := clone(v)
		prev.Set("page", strconv.Itoa(page-1))
		p.PrevURL = withValues("/admin/audit", prev)
	}
	if int64(f.Offset+len(events)) < total {
		next := clone(v)
		next.Set("page", strconv.Itoa(page+1))
		p.NextURL = withValues("/admin/audit", next)
	}
	return s.render(c, http.StatusOK, web.Audit(s.layout(c, "Audit log"), p))
}

// objectURL links an audit entry to the object's page, when it has one.
func objectURL(typ, key string) string {
	switch typ {
	case "api":
		return "/apis/" + key
	case "team":
		return "/teams/" + key
	case "version":
		if api, version, ok := strings.Cut(key, "/"); ok {
			return "/apis/" + api + "/versions/" + version
		}
	}
	return ""
}
