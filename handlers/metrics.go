package handlers

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/steward-governance/steward/models"
)

// metricsRefresh bounds how often a scrape reads the governance figures
// from the database; scrapers every few seconds cost one read a minute.
const metricsRefresh = time.Minute

// showMetrics serves Prometheus' exposition format to anyone signed in
// (a scraper uses an API token as its bearer credential).
func (s *Server) showMetrics(c echo.Context) error {
	if s.metrics == nil {
		return echo.ErrNotFound
	}
	s.metrics.Handler().ServeHTTP(c.Response(), c.Request())
	return nil
}

// observeRequests counts every answered request by its route pattern.
func (s *Server) observeRequests(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		start := time.Now()
		err := next(c)
		status := c.Response().Status
		if err != nil {
			status = statusOf(err)
		}
		route := c.Path()
		if route == "" {
			route = "unmatched"
		}
		s.metrics.Request(c.Request().Method, route, status, time.Since(start))
		return err
	}
}

// governanceCollector reports the headline governance figures: live from
// the stored scorecards, and the overview job's latest snapshot of the
// organisation and of each team.
type governanceCollector struct {
	store Overviews
	log   *slog.Logger

	mu        sync.Mutex
	at        time.Time
	grades    []models.GradeCount
	summary   *models.ScoreSummary
	snapshots []models.GovernanceSnapshot
}

var (
	apisByGradeDesc = prometheus.NewDesc("steward_apis", "APIs in the catalogue by the grade of their best-scored version (\"none\": not scored).", []string{"grade"}, nil)
	averageDesc     = prometheus.NewDesc("steward_average_score", "Mean design-time score over the latest scorecard of every scored version.", nil, nil)
	scoredDesc      = prometheus.NewDesc("steward_scored_versions", "Versions with a design-time scorecard.", nil, nil)

	// The overview job's figures (models.FigureDefs), measured ones only.
	overviewRatioDesc = prometheus.NewDesc("steward_governance_ratio",
		"Governance overview figures that are shares, from 0 to 1 (plain_http_traffic, unauthenticated_apis, unversioned_apis, rate_limited_apis, zombie_versions...): the overview job's latest snapshot.", []string{"figure"}, nil)
	overviewCountDesc = prometheus.NewDesc("steward_governance_count",
		"Governance overview figures that are counts (shadow_apis, open_findings, pending_approvals): the overview job's latest snapshot.", []string{"figure"}, nil)
	overviewScoreDesc = prometheus.NewDesc("steward_governance_score",
		"Mean design-time score of the APIs' primary versions, out of 100: the overview job's latest snapshot.", nil, nil)
	overviewTeamScoreDesc = prometheus.NewDesc("steward_governance_team_score",
		"Mean design-time score of a team's APIs' primary versions, out of 100: the overview job's latest snapshot.", []string{"team"}, nil)
	overviewTimeDesc = prometheus.NewDesc("steward_governance_snapshot_timestamp_seconds",
		"When the overview job computed its latest snapshot, in seconds since the epoch.", nil, nil)
)

func (g *governanceCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- apisByGradeDesc
	ch <- averageDesc
	ch <- scoredDesc
	ch <- overviewRatioDesc
	ch <- overviewCountDesc
	ch <- overviewScoreDesc
	ch <- overviewTeamScoreDesc
	ch <- overviewTimeDesc
}

func (g *governanceCollector) Collect(ch chan<- prometheus.Metric) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if time.Since(g.at) > metricsRefresh {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		grades, err := g.store.GradeDistribution(ctx)
		if err == nil {
			var sum *models.ScoreSummary
			if sum, err = g.store.SummarizeScores(ctx, models.LatestScorecardsFilter{}, 0); err == nil {
				var snaps []models.GovernanceSnapshot
				if snaps, err = g.store.LatestGovernanceSnapshots(ctx); err == nil {
					g.grades, g.summary, g.snapshots, g.at = grades, sum, snaps, time.Now()
				}
			}
		}
		if err != nil {
			g.log.Warn("governance metrics not refreshed", "error", err)
		}
	}
	for _, gc := range g.grades {
		grade := gc.Grade
		if grade == "" {
			grade = "none"
		}
		ch <- prometheus.MustNewConstMetric(apisByGradeDesc, prometheus.GaugeValue, float64(gc.Count), grade)
	}
	if g.summary != nil {
		ch <- prometheus.MustNewConstMetric(averageDesc, prometheus.GaugeValue, float64(g.summary.Average))
		ch <- prometheus.MustNewConstMetric(scoredDesc, prometheus.GaugeValue, float64(g.summary.Scored))
	}
	for _, snap := range g.snapshots {
		collectSnapshot(ch, snap)
	}
}

// collectSnapshot reports a snapshot's measured figures: the
// organisation's all of them, a team's its score.
func collectSnapshot(ch chan<- prometheus.Metric, snap models.GovernanceSnapshot) {
	for _, def := range models.FigureDefs {
		f, ok := snap.Figure(def.Key)
		if !ok {
			continue
		}
		v, ok := f.Value(def.Unit)
		if !ok {
			continue
		}
		switch {
		case snap.TeamSlug != "":
			if def.Key == models.FigureAverageScore {
				ch <- prometheus.MustNewConstMetric(overviewTeamScoreDesc, prometheus.GaugeValue, v, snap.TeamSlug)
			}
		case def.Unit == models.UnitShare:
			ch <- prometheus.MustNewConstMetric(overviewRatioDesc, prometheus.GaugeValue, v, def.Key)
		case def.Unit == models.UnitCount:
			ch <- prometheus.MustNewConstMetric(overviewCountDesc, prometheus.GaugeValue, v, def.Key)
		case def.Unit == models.UnitScore:
			ch <- prometheus.MustNewConstMetric(overviewScoreDesc, prometheus.GaugeValue, v)
		}
	}
	if snap.TeamSlug == "" {
		ch <- prometheus.MustNewConstMetric(overviewTimeDesc, prometheus.GaugeValue, float64(snap.ComputedAt.Unix()))
	}
}
