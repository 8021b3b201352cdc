package handlers

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/steward-governance/steward/catalog"
	"github.com/steward-governance/steward/models"
	"github.com/steward-governance/steward/runtimerules"
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
	lr, err := s.latestRuntime(ctx, v)
	if err != nil {
		return p, err
	}
	p.Runtime = runtimeView(lr, base)
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

// runtimeView shows a runtime scorecard beside the design-time one: the
// score, its categories, the rules that fail with what was measured
// against what the standard asks, and the drift.
func runtimeView(lr *loadedRuntime, base string) web.RuntimeView {
	rv := web.RuntimeView{TrafficURL: base + "/traffic"}
	row := lr.row
	if row == nil {
		rv.NoData, rv.Detail = true, noRuntimeRow
		return rv
	}
	window := row.WindowTo.Sub(row.WindowFrom)
	rv.TrafficURL = trafficURL(base, window)
	rv.NoData, rv.Detail, rv.Summary = row.NoData, row.Detail, row.Summary
	rv.ComputedAt, rv.Since, rv.Window, rv.WindowFrom, rv.WindowTo, rv.Requests = row.ComputedAt, row.Since, windowLabel(window), row.WindowFrom, row.WindowTo, row.Requests
	if row.NoData {
		return rv
	}
	if row.Overall != nil {
		rv.HasScore, rv.Overall, rv.Grade = true, *row.Overall, row.Grade
	}
	for _, cat := range lr.categories {
		rv.Categories = append(rv.Categories, web.CategoryView{Name: string(cat.Category), HasScore: cat.HasScore, Score: cat.Score, Passed: cat.Passed, Failed: cat.Failed})
	}
	// Heaviest first: what costs the most points is what to fix first.
	findings := append([]runtimerules.Finding(nil), lr.findings...)
	sort.SliceStable(findings, func(i, j int) bool { return findings[i].Weight > findings[j].Weight })
	for _, f := range findings {
		switch f.Status {
		case scorecard.Pass:
			rv.Passing++
		case scorecard.Fail:
			rv.Failing = append(rv.Failing, web.RuntimeFindingView{
				Rule: f.Rule, Description: f.Description, Category: string(f.Category), Severity: f.Severity.String(),
				Message: f.Message, Measured: f.MeasuredText(), Threshold: f.ThresholdText(), Evidence: f.Evidence, HowToFix: f.HowToFix,
			})
		}
	}
	if d := lr.drift; d != nil {
		dv := &web.DriftView{
			Revision: lr.revision, RevisionURL: base + "/revisions/" + strconv.Itoa(lr.revision),
			Documented: d.Documented, Seen: d.Seen,
			UnseenCount: row.UnseenEndpoints, UndocumentedCount: row.UndocumentedEndpoints, StatusCount: row.UndocumentedStatusCodes,
		}
		for _, e := range d.Unseen {
			dv.Unseen = append(dv.Unseen, strings.ToUpper(e.Method)+" "+e.Path)
		}
		for _, e := range d.Undocumented {
			dv.Undocumented = append(dv.Undocumented, web.DriftEndpointView{Method: e.Method, Path: e.Path, Kind: string(e.Kind), Requests: e.Requests, LastSeen: e.LastSeen})
		}
		for _, u := range d.UndocumentedStatuses {
			codes := make([]string, len(u.Codes))
			for i, code := range u.Codes {
				codes[i] = fmt.Sprintf("%d (%d×)", code.Code, code.Count)
			}
			dv.Statuses = append(dv.Statuses, web.DriftStatusView{Method: u.Method, Path: u.Path, Codes: strings.Join(codes, ", ")})
		}
		rv.Drift = dv
	}
	return rv
}
