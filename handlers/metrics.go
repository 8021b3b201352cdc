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

// governanceCollector reports the headline governance figures from the
// stored scorecards.
type governanceCollector struct {
	store Overviews
	log   *slog.Logger

	mu      sync.Mutex
	at      time.Time
	grades  []models.GradeCount
	summary *models.ScoreSummary
}

var (
	apisByGradeDesc = prometheus.NewDesc("steward_apis", "APIs in the catalogue by the grade of their best-scored version (\"none\": not scored).", []string{"grade"}, nil)
	averageDesc     = prometheus.NewDesc("steward_average_score", "Mean design-time score over the latest scorecard of every scored version.", nil, nil)
	scoredDesc      = prometheus.NewDesc("steward_scored_versions", "Versions with a design-time scorecard.", nil, nil)
)

func (g *governanceCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- apisByGradeDesc
	ch <- averageDesc
	ch <- scoredDesc
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
				g.grades, g.summary, g.at = grades, sum, time.Now()
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
}
