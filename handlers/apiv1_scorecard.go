package handlers

import (
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/steward-governance/steward/models"
	"github.com/steward-governance/steward/runtimerules"
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
	// Runtime is the runtime scorecard beside the design-time one.
	Runtime runtimeScoreJSON `json:"runtime"`
}

// runtimeScoreJSON is a version's traffic over the standard's window held
// to its runtime rules. Without enough traffic no_data is true and there
// is no score: never a score made from a handful of requests.
type runtimeScoreJSON struct {
	NoData  bool    `json:"no_data"`
	Summary string  `json:"summary"`
	Detail  string  `json:"detail"`
	Overall *int    `json:"overall"`
	Grade   *string `json:"grade"`
	// Requests counts the window's requests; MinRequests is how many a
	// score needs.
	Requests    int64 `json:"requests"`
	MinRequests int64 `json:"min_requests"`
	// The window, and when the result was last computed and first found;
	// all null when nothing was ever computed for the version.
	WindowHours *int                  `json:"window_hours"`
	WindowFrom  *time.Time            `json:"window_from"`
	WindowTo    *time.Time            `json:"window_to"`
	ComputedAt  *time.Time            `json:"computed_at"`
	Since       *time.Time            `json:"since"`
	Categories  []runtimeCategoryJSON `json:"categories"`
	Findings    []runtimeFindingJSON  `json:"findings"`
	// Drift counts what drifted; null without drift (no runtime data, or
	// no spec to compare). The lists are at .../drift.
	Drift *driftCountsJSON `json:"drift"`
}

type runtimeCategoryJSON struct {
	Category      string `json:"category"`
	Score         *int   `json:"score"`
	Passed        int    `json:"passed"`
	Failed        int    `json:"failed"`
	NotApplicable int    `json:"not_applicable"`
}

// runtimeFindingJSON is one runtime rule's result.
type runtimeFindingJSON struct {
	Rule        string `json:"rule"`
	Description string `json:"description"`
	Category    string `json:"category"`
	Severity    string `json:"severity"`
	Status      string `json:"status"`
	Metric      string `json:"metric"`
	// Measured and Threshold are in the metric's unit (shares and rates
	// from 0 to 1, milliseconds, KB; a drift check's failed targets);
	// the texts are as the page shows them.
	Measured      *float64 `json:"measured"`
	MeasuredText  string   `json:"measured_text"`
	Threshold     *float64 `json:"threshold"`
	ThresholdText string   `json:"threshold_text"`
	Targets       int      `json:"targets"`
	FailedTargets int      `json:"failed_targets"`
	Message       string   `json:"message"`
	HowToFix      string   `json:"how_to_fix,omitempty"`
	Evidence      []string `json:"evidence"`
}

// runtimeJSON writes a loaded runtime scorecard.
func runtimeJSON(lr *loadedRuntime) runtimeScoreJSON {
	out := runtimeScoreJSON{NoData: true, Summary: runtimerules.NoRuntimeData, Detail: noRuntimeRow,
		Categories: []runtimeCategoryJSON{}, Findings: []runtimeFindingJSON{}}
	row := lr.row
	if row == nil {
		return out
	}
	hours := int(row.WindowTo.Sub(row.WindowFrom) / time.Hour)
	out.NoData, out.Summary, out.Detail, out.Overall, out.Grade = row.NoData, row.Summary, row.Detail, row.Overall, optString(row.Grade)
	out.Requests, out.MinRequests, out.WindowHours = row.Requests, row.MinRequests, &hours
	out.WindowFrom, out.WindowTo, out.ComputedAt, out.Since = &row.WindowFrom, &row.WindowTo, &row.ComputedAt, &row.Since
	out.Drift = lr.driftCounts()
	for _, c := range lr.categories {
		cj := runtimeCategoryJSON{Category: string(c.Category), Passed: c.Passed, Failed: c.Failed, NotApplicable: c.NotApplicable}
		if c.HasScore {
			score := c.Score
			cj.Score = &score
		}
		out.Categories = append(out.Categories, cj)
	}
	for _, f := range lr.findings {
		fj := runtimeFindingJSON{
			Rule: f.Rule, Description: f.Description, Category: string(f.Category), Severity: f.Severity.String(), Status: string(f.Status),
			Metric: string(f.Metric), MeasuredText: f.MeasuredText(), ThresholdText: f.ThresholdText(),
			Targets: f.Targets, FailedTargets: f.FailedTargets, Message: f.Message, Evidence: []string{},
		}
		if f.Status != scorecard.NotApplicable {
			measured := f.Measured
			fj.Measured = &measured
		}
		if f.Bound != runtimerules.NoBound {
			threshold := f.Threshold
			fj.Threshold = &threshold
		}
		if f.Status == scorecard.Fail {
			fj.HowToFix = f.HowToFix
		}
		fj.Evidence = append(fj.Evidence, f.Evidence...)
		out.Findings = append(out.Findings, fj)
	}
	return out
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
	lr, err := s.latestRuntime(c.Request().Context(), v)
	if err != nil {
		return err
	}
	sc := ls.card
	out := scorecardJSON{
		Status: ls.row.Status, Overall: ls.row.Overall, Grade: optString(string(sc.Grade)), Summary: sc.Summary,
		Standard: sc.Standard, StandardVersion: sc.StandardVersion, SpecRevision: ls.revision, ComputedAt: sc.ComputedAt, Stale: ls.stale,
		Categories: []categoryScoreJSON{}, Rules: []ruleResultJSON{}, Runtime: runtimeJSON(lr),
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
