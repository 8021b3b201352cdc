package handlers

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"github.com/steward-governance/steward/models"
	"github.com/steward-governance/steward/policy"
	"github.com/steward-governance/steward/web"
)

// waiversDecidedShown is how many past decisions the waivers page lists.
const waiversDecidedShown = 50

// waiverDecisionForm is an approve or deny form as posted.
type waiverDecisionForm struct {
	Note string `form:"note"`
}

// showWaiversPage lists the waiver requests for governance leads to
// decide, oldest first, then the latest decisions.
func (s *Server) showWaiversPage(c echo.Context) error {
	if err := authorize(c, policy.WaiverGrant, policy.Object{Type: "waiver"}); err != nil {
		return err
	}
	lists, err := s.store.ListWaivers(c.Request().Context(), waiversDecidedShown)
	if err != nil {
		return err
	}
	now := time.Now()
	p := web.WaiversPage{Flash: standardsFlash(c.QueryParam("done"))}
	for _, w := range lists.Pending {
		p.Pending = append(p.Pending, waiverView(w, now))
	}
	for _, w := range lists.Decided {
		p.Decided = append(p.Decided, waiverView(w, now))
	}
	return s.render(c, http.StatusOK, web.Waivers(s.layout(c, "Waivers"), p))
}

func waiverView(w models.WaiverListRow, now time.Time) web.WaiverView {
	v := web.WaiverView{
		ID: strconv.FormatUint(uint64(w.ID), 10), Name: w.APIName + " " + w.Version, Team: w.TeamSlug,
		ScorecardURL: "/apis/" + w.APISlug + "/versions/" + w.Version + "/scorecard",
		Rule:         w.Rule, Reason: w.Reason, RequestedBy: w.RequestedBy, RequestedAt: w.RequestedAt,
		Status: w.Status, DecidedBy: w.DecidedBy, Note: w.DecisionNote,
	}
	if w.ExpiresAt != nil {
		v.Expires, v.Expired = *w.ExpiresAt, !now.Before(*w.ExpiresAt)
	}
	if w.DecidedAt != nil {
		v.DecidedAt = *w.DecidedAt
	}
	return v
}

func (s *Server) approveWaiver(c echo.Context) error { return s.decideWaiver(c, true) }

func (s *Server) denyWaiver(c echo.Context) error { return s.decideWaiver(c, false) }

// decideWaiver approves or denies a pending waiver; an approval has the
// version's scorecard recomputed with the rule waived.
func (s *Server) decideWaiver(c echo.Context, approve bool) error {
	if err := authorize(c, policy.WaiverGrant, policy.Object{Type: "waiver"}); err != nil {
		return err
	}
	id, err := strconv.ParseUint(c.Param("id"), 10, 64)
	if err != nil || id == 0 {
		return echo.NewHTTPError(http.StatusNotFound, fmt.Sprintf("%q is not a waiver.", c.Param("id")))
	}
	var f waiverDecisionForm
	if err := bindForm(c, &f); err != nil {
		return err
	}
	note := strings.TrimSpace(f.Note)
	if utf8.RuneCountInString(note) > maxNoteRunes {
		return echo.NewHTTPError(http.StatusUnprocessableEntity, fmt.Sprintf("Keep the note under %d characters.", maxNoteRunes))
	}
	if _, err := s.store.DecideWaiver(c.Request().Context(), actor(c), uint(id), approve, note); err != nil {
		return err
	}
	done := "waiver-denied"
	if approve {
		done = "waiver-approved"
		if s.scoring != nil {
			s.scoring.Kick()
		}
	}
	return c.Redirect(http.StatusSeeOther, "/waivers?done="+done)
}
