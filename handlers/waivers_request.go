package handlers

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"github.com/steward-governance/steward/models"
	"github.com/steward-governance/steward/policy"
	"github.com/steward-governance/steward/scorecard"
	"github.com/steward-governance/steward/web"
)

// maxWaiverDays is the longest waiver a team may ask for.
const maxWaiverDays = 365

// waiverForm is a scorecard's waiver request as posted.
type waiverForm struct {
	Rule   string `form:"rule"`
	Reason string `form:"reason"`
	Days   string `form:"expires_days"`
}

// addWaiverViews adds to a scorecard page its waivers: the request form
// on failing rules for members of the API's team, the requests pending,
// and for governance leads how many await them.
func (s *Server) addWaiverViews(c echo.Context, v *models.VersionDetail, p *web.ScorecardPage, form web.WaiverFormView) error {
	p.WaiverAction, p.WaiverForm = p.Base+"/waivers", form
	if p.Flash == "" {
		p.Flash = standardsFlash(c.QueryParam("done"))
	}
	ws, err := s.store.VersionWaivers(c.Request().Context(), v.ID)
	if err != nil {
		return err
	}
	pending := map[string]models.WaiverRow{}
	for _, w := range ws {
		if w.Status == models.WaiverPending {
			pending[w.Rule] = w
		}
	}
	if can(c, policy.WaiverGrant, policy.Object{Type: "waiver"}) {
		p.PendingWaivers = len(pending)
	}
	mayRequest := can(c, policy.APIUpdate, versionObject(v)) // members of its team ask
	for i := range p.Rules {
		r := &p.Rules[i]
		if w, ok := pending[r.Name]; ok {
			r.WaiverPending = fmt.Sprintf("by %s on %s, until %s; awaiting a governance lead", w.RequestedBy, w.RequestedAt.UTC().Format("2 Jan 2006"), fmtDay(w.ExpiresAt))
			continue
		}
		r.CanRequestWaiver = mayRequest && (r.Status == string(scorecard.Fail) || r.Status == string(scorecard.Error))
	}
	return nil
}

func fmtDay(t *time.Time) string {
	if t == nil {
		return "no expiry"
	}
	return t.UTC().Format("2 Jan 2006")
}

// requestWaiver records a team's request to leave one failing rule out of
// a version's score; errors come back on the scorecard, next to the rule.
func (s *Server) requestWaiver(c echo.Context) error {
	ctx := c.Request().Context()
	v, err := s.store.GetVersion(ctx, c.Param("api"), c.Param("version"))
	if err != nil {
		return err
	}
	if err := authorize(c, policy.APIUpdate, versionObject(v)); err != nil {
		return err
	}
	var f waiverForm
	if err := bindForm(c, &f); err != nil {
		return err
	}
	f.Rule, f.Reason, f.Days = strings.TrimSpace(f.Rule), strings.TrimSpace(f.Reason), strings.TrimSpace(f.Days)
	errs := web.FieldErrors{}
	failing, err := s.failingRules(c, v)
	if err != nil {
		return err
	}
	if !failing[f.Rule] {
		errs["rule"] = "This rule does not fail on the latest scorecard, so there is nothing to waive."
	}
	switch n := utf8.RuneCountInString(f.Reason); {
	case n == 0:
		errs["reason"] = "Say why the rule should not count for this version."
	case n > maxNoteRunes:
		errs["reason"] = fmt.Sprintf("Keep the reason under %d characters.", maxNoteRunes)
	}
	days, derr := strconv.Atoi(f.Days)
	if derr != nil || days < 1 || days > maxWaiverDays {
		errs["expires_days"] = fmt.Sprintf("Choose a number of days from 1 to %d.", maxWaiverDays)
	}
	if len(errs) == 0 {
		in := models.WaiverInput{Rule: f.Rule, Reason: f.Reason, Expires: time.Now().UTC().AddDate(0, 0, days)}
		_, err = s.store.RequestWaiver(ctx, actor(c), v.API.Slug, v.Name, in)
		var ce *models.ConflictError
		if errors.As(err, &ce) {
			errs["rule"] = ce.Message
		} else if err != nil {
			return err
		}
	}
	if len(errs) > 0 {
		p, err := s.scorecardPage(c, v, web.WaiverFormView{Rule: f.Rule, Reason: f.Reason, Days: f.Days, Errors: errs})
		if err != nil {
			return err
		}
		return s.render(c, http.StatusUnprocessableEntity, web.Scorecard(s.layout(c, "Scorecard of "+v.API.Name+" "+v.Name), p))
	}
	return c.Redirect(http.StatusSeeOther, "/apis/"+v.API.Slug+"/versions/"+v.Name+"/scorecard?done=waiver-requested")
}

// failingRules are the rules v's latest scorecard fails: the ones a waiver
// may be asked for.
func (s *Server) failingRules(c echo.Context, v *models.VersionDetail) (map[string]bool, error) {
	out := map[string]bool{}
	ls, err := s.latestScorecard(c, v)
	if err != nil || ls == nil {
		return out, err
	}
	for _, r := range ls.card.Rules {
		if r.Status == scorecard.Fail || r.Status == scorecard.Error {
			out[r.Rule] = true
		}
	}
	return out, nil
}
