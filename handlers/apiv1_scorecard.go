package handlers

import (
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/steward-governance/steward/models"
	"github.com/steward-governance/steward/scorecard"
)

type scorecardJSON struct {
	Status          string              `json:"status"` // scored, incomplete, not_scored, error
	Overall         *int                `json:"overall"`
	Grade           *string             `json:"grade"`
	Summary         string              `json:"summary"`
	Standard        string              `json:"standard"`
	StandardVersion string              `json:"standard_version"`
	SpecRevision    int                 `json:"spec_revision"`
	ComputedAt      time.Time           `json:"computed_at"`
	Stale           bool                `json:"stale"`
	Categories      []categoryScoreJSON `json:"categories"`
	Rules           []ruleResultJSON    `json:"rules"`
}

type categoryScoreJSON struct {
	Category string `json:"category"`
	Score    *int   `json:"score"`
	Passed   int    `json:"passed"`
	Failed   int    `json:"failed"`
	Waived   int    `json:"waived"`
}

type ruleResultJSON struct {
	Rule        string  `json:"rule"`
	Description string  `json:"description"`
	Status      string  `json:"status"`
	Severity    string  `json:"severity"`
	Category    string  `json:"category"`
	Weight      float64 `json:"weight"`
	Findings    int     `json:"findings"`
	// Targets and FailedTargets: "3 of 100 places fail", as the page says.
	Targets          int    `json:"targets"`
	FailedTargets    int    `json:"failed_targets"`
	HowToFix         string `json:"how_to_fix,omitempty"`
	DocumentationURL string `json:"documentation_url,omitempty"`
	Error            string `json:"error,omitempty"`
	Detail           string `json:"detail,omitempty"`
	// GraceUntil is set while the rule is new in the standard: a warning
	// that does not lower the score until then.
	GraceUntil    *time.Time         `json:"grace_until,omitempty"`
	Waiver        *waiverJSON        `json:"waiver,omitempty"`
	WaiverRequest *waiverRequestJSON `json:"waiver_request,omitempty"`
	Evidence      []evidenceJSON     `json:"evidence"`
}

// waiverJSON is the waiver a waived rule was left out of the score by.
type waiverJSON struct {
	Reason    string     `json:"reason"`
	GrantedBy string     `json:"granted_by"`
	Expires   *time.Time `json:"expires"` // null: never
}

// waiverRequestJSON is a waiver request awaiting a governance lead.
type waiverRequestJSON struct {
	Reason      string     `json:"reason"`
	RequestedBy string     `json:"requested_by"`
	RequestedAt time.Time  `json:"requested_at"`
	Expires     *time.Time `json:"expires"`
}

type evidenceJSON struct {
	Message string `json:"message"`
	Path    string `json:"path"`
	Line    int    `json:"line"`
	Column  int    `json:"column"`
}

// apiGetScorecard returns a version's latest scorecard, with what its
// page shows: grace periods, waivers and waiver requests awaiting a
// decision.
func (s *Server) apiGetScorecard(c echo.Context) error {
	v, err := s.version(c)
	if err != nil {
		return err
	}
	if v.CurrentRevisionID == nil {
		return echo.NewHTTPError(http.StatusNotFound, "This version has no spec yet, so it has no scorecard.")
	}
	ls, err := s.latestScorecard(c, v)
	if err != nil {
		return err
	}
	if ls == nil {
		return echo.NewHTTPError(http.StatusNotFound, "Not scored yet: the scoring job picks up new specs within moments; try again shortly.")
	}
	waivers, err := s.store.VersionWaivers(c.Request().Context(), v.ID)
	if err != nil {
		return err
	}
	requested := map[string]models.WaiverRow{}
	for _, w := range waivers {
		if w.Status == models.WaiverPending {
			requested[w.Rule] = w
		}
	}
	sc := ls.card
	out := scorecardJSON{
		Status: ls.row.Status, Overall: ls.row.Overall, Grade: optString(string(sc.Grade)), Summary: sc.Summary,
		Standard: sc.Standard, StandardVersion: sc.StandardVersion, SpecRevision: ls.revision, ComputedAt: sc.ComputedAt, Stale: ls.stale,
		Categories: []categoryScoreJSON{}, Rules: []ruleResultJSON{},
	}
	for _, cat := range sc.Categories {
		cj := categoryScoreJSON{Category: string(cat.Category), Passed: cat.Passed, Failed: cat.Failed, Waived: cat.Waived}
		if cat.HasScore {
			score := cat.Score
			cj.Score = &score
		}
		out.Categories = append(out.Categories, cj)
	}
	for _, r := range sc.Rules {
		rj := ruleResultJSON{
			Rule: r.Rule, Description: r.Description, Status: string(r.Status), Severity: r.Severity.String(), Category: string(r.Category),
			Weight: r.Weight, Findings: r.Findings, Targets: r.Targets, FailedTargets: r.FailedTargets,
			DocumentationURL: r.DocumentationURL, Error: r.Error, Detail: r.Detail, GraceUntil: r.GraceUntil, Evidence: []evidenceJSON{},
		}
		if r.Status == scorecard.Fail || r.Status == scorecard.Error {
			rj.HowToFix = r.HowToFix
		}
		if r.Waiver != nil {
			rj.Waiver = &waiverJSON{Reason: r.Waiver.Reason, GrantedBy: r.Waiver.GrantedBy}
			if !r.Waiver.Expires.IsZero() {
				expires := r.Waiver.Expires
				rj.Waiver.Expires = &expires
			}
		}
		if w, ok := requested[r.Rule]; ok {
			rj.WaiverRequest = &waiverRequestJSON{Reason: w.Reason, RequestedBy: w.RequestedBy, RequestedAt: w.RequestedAt, Expires: w.ExpiresAt}
		}
		for _, e := range r.Evidence {
			rj.Evidence = append(rj.Evidence, evidenceJSON{Message: e.Message, Path: e.Path, Line: e.Line, Column: e.Column})
		}
		out.Rules = append(out.Rules, rj)
	}
	return c.JSON(http.StatusOK, out)
}
