package handlers

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/steward-governance/steward/catalog"
	"github.com/steward-governance/steward/models"
	"github.com/steward-governance/steward/rules"
	"github.com/steward-governance/steward/scorecard"
	"github.com/steward-governance/steward/web"
)

// governanceTopRules is how many of the most failed rules pages list.
const governanceTopRules = 10

func (s *Server) showGovernancePage(c echo.Context) error {
	ctx := c.Request().Context()
	asCSV, print, err := reportQuery(c)
	if err != nil {
		return err
	}
	overview, err := s.loadOverview(ctx, time.Now().UTC().AddDate(0, 0, -overviewTrendDays)) // overview.go
	if err != nil {
		return err
	}
	if asCSV {
		scopes := append([]string{""}, overview.order...)
		return s.sendOverviewCSV(c, "governance-overview", overview, scopes)
	}
	dist, err := s.store.GradeDistribution(ctx)
	if err != nil {
		return err
	}
	spared, err := s.graceSpared(ctx, time.Now())
	if err != nil {
		return err
	}
	sum, err := s.store.SummarizeScores(ctx, models.LatestScorecardsFilter{Spared: spared}, governanceTopRules)
	if err != nil {
		return err
	}
	movers, err := s.store.Movers(ctx, time.Now().AddDate(0, 0, -7), 10)
	if err != nil {
		return err
	}
	p := web.GovernancePage{Scored: sum.Scored, Average: sum.Average, Report: overviewReport(overview, "", "/governance")}
	p.Report.Print = print
	if p.Report.Computed {
		p.Report.Leaders = leaderRows(overview)
	} else if who(c).Admin {
		p.Report.JobsURL = "/admin/jobs"
	}
	for _, g := range dist {
		bar := web.GradeBar{Grade: g.Grade, Label: "Grade " + g.Grade, Count: g.Count, URL: "/apis?grade=" + g.Grade}
		if g.Grade == "" {
			bar.Label, bar.URL = "Not scored", "/apis?grade=none"
		}
		p.Grades = append(p.Grades, bar)
		p.TotalAPIs += g.Count
		p.MaxCount = max(p.MaxCount, g.Count)
	}
	for _, r := range sum.WorstRule {
		p.Worst = append(p.Worst, web.RuleFailureRow{Rule: r.Rule, Category: r.Category, Versions: r.Versions, Findings: r.Findings})
	}
	if spared != nil {
		p.GraceRules, p.GraceUntil = len(spared.Rules), spared.Until
	}
	for _, m := range movers {
		p.Movers = append(p.Movers, web.MoverRow{URL: "/apis/" + m.APISlug + "/versions/" + m.Version + "/scorecard", Name: m.APIName + " " + m.Version, Before: m.Before, Now: m.Now})
	}
	return s.render(c, http.StatusOK, web.Governance(s.layout(c, "Governance overview"), p))
}

// graceSpared names the rules the current standard's grace period spares
// at now: new rules that scorecards show as warnings that do not count
// yet, so the rules failed most leave them out. Nil when no grace period
// runs. A standard that no longer loads spares nothing, said in the log:
// the overview then counts every failure rather than fail.
func (s *Server) graceSpared(ctx context.Context, now time.Time) (*models.GraceSpared, error) {
	_, sv, err := s.store.CurrentStandard(ctx)
	if errors.Is(err, catalog.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if sv.EffectiveAt == nil || !now.Before(*sv.EffectiveAt) {
		return nil, nil
	}
	prev, err := s.store.PreviousStandardVersion(ctx, sv)
	if errors.Is(err, catalog.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	standardOf := func(v *models.StandardVersion) (scorecard.Standard, error) {
		rs, err := rules.Parse([]byte(v.Ruleset), "standard.yaml", nil)
		if err != nil {
			return scorecard.Standard{}, fmt.Errorf("standard version %d: %w", v.Number, err)
		}
		return scorecard.StandardOf("", "", rs), nil
	}
	cur, err := standardOf(sv)
	if err == nil {
		var before scorecard.Standard
		if before, err = standardOf(prev); err == nil {
			g := scorecard.NewGrace(cur, before, *sv.EffectiveAt)
			spared := &models.GraceSpared{StandardVersionID: sv.ID, Until: *sv.EffectiveAt}
			for name := range g.Rules {
				spared.Rules = append(spared.Rules, name)
			}
			slices.Sort(spared.Rules)
			return spared, nil
		}
	}
	s.log.WarnContext(ctx, "governance overview: grace period not applied to the rules failed most", "error", err)
	return nil, nil
}
