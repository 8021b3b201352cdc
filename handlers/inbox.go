package handlers

import (
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/steward-governance/steward/web"
)

// showInboxPage lists the decisions waiting for the signed-in person:
// addressed to them, to the owners of a team they own, or to the
// governance leads if they are one.
func (s *Server) showInboxPage(c echo.Context) error {
	items, err := s.store.Inbox(c.Request().Context(), who(c).UserID)
	if err != nil {
		return err
	}
	var p web.InboxPage
	for _, it := range items {
		p.Items = append(p.Items, web.InboxItemView{Title: it.Title, URL: it.URL, For: strings.Join(it.For, ", "), CreatedAt: it.CreatedAt})
	}
	return s.render(c, http.StatusOK, web.Inbox(s.layout(c, "Inbox"), p))
}

// inboxCount is the number the navigation shows beside "Inbox". A failure
// to count must not cost the page it decorates, so it is logged and the
// link left out.
func (s *Server) inboxCount(c echo.Context) int {
	id := who(c)
	if !id.SignedIn() || id.Token != nil {
		return 0
	}
	n, err := s.store.InboxCount(c.Request().Context(), id.UserID)
	if err != nil {
		s.log.Warn("inbox not counted", "user", id.UserID, "error", err)
		return 0
	}
	return int(n)
}
