package handlers

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/steward-governance/steward/catalog"
	"github.com/steward-governance/steward/jobs"
	"github.com/steward-governance/steward/models"
	"github.com/steward-governance/steward/policy"
	"github.com/steward-governance/steward/web"
)

// previewStallAfter is how long a running preview may go without progress
// before its page calls it stalled: far longer than one version's lints,
// so only a preview whose runner is gone (a restart) reaches it.
const previewStallAfter = 5 * time.Minute

// previewMaxRun bounds a whole preview.
const previewMaxRun = time.Hour

// previewStatus is what a preview's page says it is at now.
func previewStatus(pv *models.StandardPreview, now time.Time) string {
	if pv.Status == models.PreviewRunning && now.Sub(pv.UpdatedAt) > previewStallAfter {
		return "stalled"
	}
	return pv.Status
}

// startStandardPreview records a preview of the draft, which stops any
// other still running, and runs it in the background; the preview page
// shows its progress.
func (s *Server) startStandardPreview(c echo.Context) error {
	slug := c.Param("standard")
	if err := authorize(c, policy.StandardsManage, standardObject(slug)); err != nil {
		return err
	}
	_, dr, err := s.draftOf(c)
	if err != nil {
		return err
	}
	pv, err := s.store.StartPreview(c.Request().Context(), actor(c), slug, dr.Number)
	if err != nil {
		return err
	}
	s.runPreview(pv.ID)
	return c.Redirect(http.StatusSeeOther, standardBase(slug)+"/draft/preview")
}

// runPreview runs a recorded preview outside the request. Its state is in
// the database: the runner stops when a newer preview cancels it there,
// and a runner lost to a restart shows as stalled.
func (s *Server) runPreview(id uint) {
	job := &jobs.Preview{Store: s.store, Log: s.log}
	go func() {
		ctx, cancel := context.WithTimeout(s.background, previewMaxRun)
		defer cancel()
		defer func() {
			if r := recover(); r != nil {
				s.log.Error("preview panicked", "preview", id, "panic", fmt.Sprint(r))
				_ = s.store.FinishPreview(context.Background(), id, models.PreviewFailed, "an internal error stopped it; it has been logged")
			}
		}()
		if err := job.Run(ctx, id); err != nil {
			s.log.Error("preview failed", "preview", id, "error", err)
		}
	}()
}

func (s *Server) showStandardPreviewPage(c echo.Context) error {
	slug := c.Param("standard")
	if err := authorize(c, policy.StandardsManage, standardObject(slug)); err != nil {
		return err
	}
	ctx := c.Request().Context()
	d, dr, err := s.draftOf(c)
	if err != nil {
		return err
	}
	p := web.StandardPreviewPage{
		Crumbs: standardCrumbs(d.Name, fmt.Sprintf("Preview of draft version %d", dr.Number)), Base: standardBase(slug), Name: d.Name,
		Number: dr.Number, CanManage: true,
	}
	pv, err := s.store.LatestPreview(ctx, dr.ID)
	if errors.Is(err, catalog.ErrNotFound) {
		p.None = true
		return s.render(c, http.StatusOK, web.StandardPreview(s.layout(c, "Preview"), p))
	}
	if err != nil {
		return err
	}
	p.Status, p.Processed, p.Total, p.StartedBy, p.StartedAt, p.Error = previewStatus(pv, time.Now()), pv.Processed, pv.Total, pv.StartedBy, pv.StartedAt, pv.Error
	p.Refresh = p.Status == models.PreviewRunning
	p.Outdated = pv.RulesetHash != models.RulesetHash(dr.Ruleset)
	if pv.BaselineID != nil {
		for _, v := range d.Versions {
			if v.ID == *pv.BaselineID {
				p.BaselineNumber = v.Number
			}
		}
	}
	results, err := s.store.PreviewResults(ctx, pv.ID)
	if err != nil {
		return err
	}
	for _, r := range results {
		row := previewRow(r)
		switch {
		case row.HasDelta && row.Delta < 0:
			p.Lower++
		case row.HasDelta && row.Delta > 0:
			p.Higher++
		}
		p.Rows = append(p.Rows, row)
	}
	sortByImpact(p.Rows)
	return s.render(c, http.StatusOK, web.StandardPreview(s.layout(c, "Preview of draft version "+itoa(dr.Number)), p))
}

func previewRow(r models.PreviewResultRow) web.PreviewRow {
	row := web.PreviewRow{
		Name: r.APIName + " " + r.Version, URL: "/apis/" + r.APISlug + "/versions/" + r.Version + "/scorecard",
		GradeNow: r.GradeNow, GradeDraft: r.GradeDraft, Error: r.Error,
	}
	if r.ScoreNow != nil {
		row.HasNow, row.ScoreNow = true, *r.ScoreNow
	}
	if r.ScoreDraft != nil {
		row.HasDraft, row.ScoreDraft = true, *r.ScoreDraft
	}
	if row.HasNow && row.HasDraft {
		row.HasDelta, row.Delta = true, row.ScoreDraft-row.ScoreNow
	}
	_ = json.Unmarshal([]byte(r.NewFailing), &row.NewFailing) // stored by the preview job; empty when unreadable
	return row
}

// sortByImpact puts the largest score drop first; among equal changes,
// the version with more newly failing rules; versions without two scores
// to compare come last.
func sortByImpact(rows []web.PreviewRow) {
	sort.SliceStable(rows, func(i, j int) bool {
		a, b := rows[i], rows[j]
		if a.HasDelta != b.HasDelta {
			return a.HasDelta
		}
		if a.Delta != b.Delta {
			return a.Delta < b.Delta
		}
		if len(a.NewFailing) != len(b.NewFailing) {
			return len(a.NewFailing) > len(b.NewFailing)
		}
		return a.Name < b.Name
	})
}
