package handlers

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/steward-governance/steward/catalog"
	"github.com/steward-governance/steward/models"
	"github.com/steward-governance/steward/scorecard"
	"github.com/steward-governance/steward/web"
)

// scoreHistoryPoints is how many past scorecards the chart draws.
const scoreHistoryPoints = 60

// loadedScorecard is a version's latest scorecard with what it was made of.
type loadedScorecard struct {
	row      *models.ScorecardRow
	card     scorecard.Scorecard
	revision int  // spec revision number it was computed from
	stale    bool // the spec or the standard changed since
}

// latestScorecard loads v's newest scorecard; nil when there is none yet.
func (s *Server) latestScorecard(c echo.Context, v *models.VersionDetail) (*loadedScorecard, error) {
	ctx := c.Request().Context()
	row, err := s.store.LatestScorecard(ctx, v.ID)
	if errors.Is(err, catalog.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	ls := &loadedScorecard{row: row}
	if err := json.Unmarshal([]byte(row.Result), &ls.card); err != nil {
		return nil, fmt.Errorf("handlers: scorecard %d: %w", row.ID, err)
	}
	for _, r := range v.Revisions {
		if r.ID == row.RevisionID {
			ls.revision = r.Number
		}
	}
	_, sv, err := s.store.CurrentStandard(ctx)
	if err != nil && !errors.Is(err, catalog.ErrNotFound) {
		return nil, err
	}
	ls.stale = (v.CurrentRevisionID != nil && *v.CurrentRevisionID != row.RevisionID) || (sv != nil && sv.ID != row.StandardVersionID)
	return ls, nil
}

func (s *Server) showScorecardPage(c echo.Context) error {
	v, err := s.store.GetVersion(c.Request().Context(), c.Param("api"), c.Param("version"))
	if err != nil {
		return err
	}
	p, err := s.scorecardPage(c, v, web.WaiverFormView{})
	if err != nil {
		return err
	}
	return s.render(c, http.StatusOK, web.Scorecard(s.layout(c, "Scorecard of "+v.API.Name+" "+v.Name), p))
}

// scorecardPage builds v's scorecard page; form is a waiver request sent
// back with its errors (waivers_request.go).
func (s *Server) scorecardPage(c echo.Context, v *models.VersionDetail, form web.WaiverFormView) (web.ScorecardPage, error) {
	ctx := c.Request().Context()
	base := "/apis/" + v.API.Slug + "/versions/" + v.Name
	p := web.ScorecardPage{Crumbs: versionCrumbs(v, "Scorecard"), Base: base, NoSpec: v.CurrentRevisionID == nil}
	ls, err := s.latestScorecard(c, v)
	if err != nil {
		return p, err
	}
	if ls != nil && !p.NoSpec {
		sc := ls.card
		p.HasScorecard, p.Status, p.Grade, p.Overall, p.HasScore = true, ls.row.Status, string(sc.Grade), sc.Overall, sc.HasScore
		p.Summary, p.Standard, p.StandardVersion, p.Revision, p.ComputedAt, p.Stale = sc.Summary, sc.Standard, sc.StandardVersion, ls.revision, sc.ComputedAt, ls.stale
		for _, cat := range sc.Categories {
			p.Categories = append(p.Categories, web.CategoryView{Name: string(cat.Category), HasScore: cat.HasScore, Score: cat.Score, Passed: cat.Passed, Failed: cat.Failed, Waived: cat.Waived})
		}
		p.Rules = ruleViews(sc, base+"/revisions/"+strconv.Itoa(ls.revision))
		hist, err := s.store.ScoreHistory(ctx, v.ID, scoreHistoryPoints)
		if err != nil {
			return p, err
		}
		var points []web.ScorePoint
		for _, h := range hist {
			if h.Overall != nil {
				points = append(points, web.ScorePoint{At: h.ComputedAt, Score: *h.Overall, Grade: h.Grade})
			}
		}
		p.HistoryPoints = len(points)
		p.Chart = web.NewScoreChart(points, 640, 200)
	}
	return p, s.addWaiverViews(c, v, &p, form)
}

// statusOrder puts what needs attention first.
var statusOrder = map[scorecard.Status]int{scorecard.Error: 0, scorecard.Fail: 1, scorecard.NotEvaluated: 2, scorecard.Waived: 3, scorecard.Pass: 4, scorecard.NotApplicable: 5}

func ruleViews(sc scorecard.Scorecard, revisionURL string) []web.RuleView {
	results := append([]scorecard.RuleResult(nil), sc.Rules...)
	sort.SliceStable(results, func(i, j int) bool {
		a, b := results[i], results[j]
		if statusOrder[a.Status] != statusOrder[b.Status] {
			return statusOrder[a.Status] < statusOrder[b.Status]
		}
		return a.Weight > b.Weight
	})
	out := make([]web.RuleView, 0, len(results))
	for _, r := range results {
		rv := web.RuleView{
			Name: r.Rule, Description: r.Description, Category: string(r.Category), Severity: r.Severity.String(),
			Status: string(r.Status), Findings: r.Findings, HowToFix: r.HowToFix, DocURL: r.DocumentationURL, Error: r.Error, Detail: r.Detail,
			Targets: r.Targets, FailedTargets: r.FailedTargets,
		}
		if r.Waiver != nil {
			rv.Waiver = r.Waiver.Reason
		}
		if r.GraceUntil != nil {
			rv.Grace = r.GraceUntil.UTC().Format("2 Jan 2006")
		}
		for _, e := range r.Evidence {
			ev := web.EvidenceView{Message: e.Message, Path: e.Path, Line: e.Line}
			if e.Line > 0 {
				ev.URL = revisionURL + "#L" + strconv.Itoa(e.Line)
			}
			rv.Evidence = append(rv.Evidence, ev)
		}
		out = append(out, rv)
	}
	return out
}
