package handlers

import (
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/steward-governance/steward/models"
	"github.com/steward-governance/steward/web"
)

// governanceTopRules is how many of the most failed rules pages list.
const governanceTopRules = 10

func (s *Server) showGovernancePage(c echo.Context) error {
	ctx := c.Request().Context()
	dist, err := s.store.GradeDistribution(ctx)
	if err != nil {
		return err
	}
	sum, err := s.store.SummarizeScores(ctx, models.LatestScorecardsFilter{}, governanceTopRules)
	if err != nil {
		return err
	}
	movers, err := s.store.Movers(ctx, time.Now().AddDate(0, 0, -7), 10)
	if err != nil {
		return err
	}
	p := web.GovernancePage{Scored: sum.Scored, Average: sum.Average}
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
	for _, m := range movers {
		p.Movers = append(p.Movers, web.MoverRow{URL: "/apis/" + m.APISlug + "/versions/" + m.Version + "/scorecard", Name: m.APIName + " " + m.Version, Before: m.Before, Now: m.Now})
	}
	return s.render(c, http.StatusOK, web.Governance(s.layout(c, "Governance overview"), p))
}
