package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strconv"
	"time"

	"github.com/steward-governance/steward/catalog"
	"github.com/steward-governance/steward/models"
	"github.com/steward-governance/steward/rules"
	"github.com/steward-governance/steward/scorecard"
)

// PreviewStore is what a preview reads and writes. A preview's state and
// results live in the database (tables standard_previews and
// standard_preview_results), so any replica can show its progress and a
// newer preview, started anywhere, stops it.
type PreviewStore interface {
	GetPreview(ctx context.Context, id uint) (*models.StandardPreview, error)
	GetStandardVersion(ctx context.Context, id uint) (*models.StandardVersion, error)
	PreviousStandardVersion(ctx context.Context, sv *models.StandardVersion) (*models.StandardVersion, error)
	PreviewTargets(ctx context.Context) ([]models.ScoringTarget, error)
	RevisionByID(ctx context.Context, id uint) (*models.SpecRevision, error)
	ApprovedWaivers(ctx context.Context, versionID uint) ([]models.WaiverRow, error)
	SetPreviewTotal(ctx context.Context, id uint, total int) error
	SavePreviewResult(ctx context.Context, r models.PreviewResult) error
	FinishPreview(ctx context.Context, id uint, status, why string) error
}

// Preview scores every API version with a current spec twice: under the
// published standard (as its scorecard would say now, grace period and
// waivers included) and under a draft (waivers included), and stores both
// scores and the rules that would newly fail. It stops as soon as the
// preview is no longer running: a newer preview started, the draft was
// edited or published.
type Preview struct {
	Store PreviewStore
	Log   *slog.Logger
	// Timeout bounds one lint; a lint that runs out is recorded as an
	// error for that version, not as a score.
	Timeout time.Duration
}

// Run carries out preview id, which StartPreview recorded.
func (p *Preview) Run(ctx context.Context, id uint) error {
	pv, err := p.Store.GetPreview(ctx, id)
	if err != nil {
		return fmt.Errorf("jobs: preview %d: %w", id, err)
	}
	if pv.Status != models.PreviewRunning {
		return nil
	}
	fail := func(why string, err error) error {
		// The run's own context may be what ended; the record must still
		// say so.
		if ferr := p.Store.FinishPreview(context.WithoutCancel(ctx), id, models.PreviewFailed, why); ferr != nil && !errors.Is(ferr, models.ErrPreviewStopped) {
			p.Log.Error("recording a failed preview", "preview", id, "error", ferr)
		}
		return fmt.Errorf("jobs: preview %d: %s: %w", id, why, err)
	}
	draft, err := p.Store.GetStandardVersion(ctx, pv.DraftID)
	if err != nil {
		return fail("the draft is gone", err)
	}
	drs, err := rules.Parse([]byte(draft.Ruleset), "draft.yaml", nil)
	if err != nil {
		return fail("the draft does not load: "+err.Error(), err)
	}
	draftStd := scorecard.StandardOf("draft", strconv.Itoa(draft.Number), drs)
	var base *baseline
	if pv.BaselineID != nil {
		sv, err := p.Store.GetStandardVersion(ctx, *pv.BaselineID)
		if err != nil {
			return fail("the published version is gone", err)
		}
		rs, err := rules.Parse([]byte(sv.Ruleset), "standard.yaml", nil)
		if err != nil {
			return fail(fmt.Sprintf("the published version %d does not load: %v", sv.Number, err), err)
		}
		std := scorecard.StandardOf("published", strconv.Itoa(sv.Number), rs)
		grace, err := graceFor(ctx, p.Store, parseVersion, sv, std, time.Now())
		if err != nil {
			p.Log.Warn("preview: grace period not applied", "preview", id, "error", err)
		}
		base = &baseline{rs: rs, std: std, grace: grace}
	}
	targets, err := p.Store.PreviewTargets(ctx)
	if err != nil {
		return fail("listing versions failed", err)
	}
	if err := p.Store.SetPreviewTotal(ctx, id, len(targets)); err != nil {
		if errors.Is(err, models.ErrPreviewStopped) {
			return nil
		}
		return fail("recording progress failed", err)
	}
	for _, t := range targets {
		if ctx.Err() != nil {
			return fail("stopped before the end (Steward shut down or the preview ran too long)", ctx.Err())
		}
		res, err := p.compare(ctx, t, drs, draftStd, base)
		if err != nil {
			return fail("scoring "+t.APISlug+"/"+t.Version+" failed", err)
		}
		res.PreviewID = id
		if err := p.Store.SavePreviewResult(ctx, res); err != nil {
			if errors.Is(err, models.ErrPreviewStopped) {
				return nil
			}
			return fail("recording a result failed", err)
		}
	}
	if err := p.Store.FinishPreview(ctx, id, models.PreviewDone, ""); err != nil && !errors.Is(err, models.ErrPreviewStopped) {
		return fmt.Errorf("jobs: preview %d: %w", id, err)
	}
	return nil
}

// baseline is the published standard a preview compares with.
type baseline struct {
	rs    *rules.Ruleset
	std   scorecard.Standard
	grace scorecard.Grace
}

// compare scores one version under both standards.
func (p *Preview) compare(ctx context.Context, t models.ScoringTarget, drs *rules.Ruleset, draftStd scorecard.Standard, base *baseline) (models.PreviewResult, error) {
	res := models.PreviewResult{VersionID: t.VersionID}
	rev, err := p.Store.RevisionByID(ctx, t.RevisionID)
	if err != nil {
		return res, err
	}
	revision, err := revisionOf(ctx, p.Store, t.VersionID, rev)
	if err != nil {
		return res, err
	}
	waiverRows, err := p.Store.ApprovedWaivers(ctx, t.VersionID)
	if err != nil {
		return res, err
	}
	waivers := waiversOf(waiverRows)
	now := time.Now().UTC()
	source := t.APISlug + "/" + t.Version
	failingNow := map[string]bool{}
	if base != nil {
		sc, lerr := p.lint(ctx, base.rs, base.grace.Apply(base.std, now), rev.Content, source, revision, waivers, now)
		if lerr != nil {
			res.Error = "published standard: " + lerr.Error()
		}
		if sc.HasScore {
			n := sc.Overall
			res.ScoreNow, res.GradeNow = &n, string(sc.Grade)
		}
		for _, r := range sc.Rules {
			if failing(r.Status) {
				failingNow[r.Rule] = true
			}
		}
	}
	sc, lerr := p.lint(ctx, drs, draftStd, rev.Content, source, revision, waivers, now)
	if lerr != nil {
		res.Error = joinErr(res.Error, "draft: "+lerr.Error())
	}
	if sc.HasScore {
		n := sc.Overall
		res.ScoreDraft, res.GradeDraft = &n, string(sc.Grade)
	}
	var newly []string
	for _, r := range sc.Rules {
		if failing(r.Status) && !failingNow[r.Rule] {
			newly = append(newly, r.Rule)
		}
	}
	sort.Strings(newly)
	b, err := json.Marshal(append([]string{}, newly...))
	if err != nil {
		return res, err
	}
	res.NewFailing = string(b)
	return res, ctx.Err()
}

// lint scores one spec under one standard; a lint that could not run is
// an error, and an unfinished one says so in the error too.
func (p *Preview) lint(ctx context.Context, rs *rules.Ruleset, std scorecard.Standard, content, source string, rev scorecard.Revision, waivers []scorecard.Waiver, now time.Time) (scorecard.Scorecard, error) {
	timeout := p.Timeout
	if timeout <= 0 {
		timeout = time.Minute
	}
	lctx, cancel := context.WithTimeout(ctx, timeout)
	rep, err := rs.LintBytes(lctx, []byte(content), rules.LintOptions{Source: source})
	cancel()
	if err != nil && rep == nil {
		return scorecard.ComputeRevision(std, nil, rev, waivers, now), err
	}
	sc := scorecard.ComputeRevision(std, rep, rev, waivers, now)
	if sc.Incomplete {
		return sc, errors.New(sc.Summary)
	}
	return sc, nil
}

func failing(s scorecard.Status) bool { return s == scorecard.Fail || s == scorecard.Error }

func joinErr(a, b string) string {
	if a == "" {
		return b
	}
	return a + "; " + b
}

// waiversOf turns stored waivers into what scoring reads.
func waiversOf(rows []models.WaiverRow) []scorecard.Waiver {
	var out []scorecard.Waiver
	for _, w := range rows {
		sw := scorecard.Waiver{Rule: w.Rule, Reason: w.Reason, GrantedBy: w.DecidedBy}
		if w.ExpiresAt != nil {
			sw.Expires = *w.ExpiresAt
		}
		out = append(out, sw)
	}
	return out
}

func parseVersion(sv *models.StandardVersion) (*rules.Ruleset, error) {
	return rules.Parse([]byte(sv.Ruleset), "standard.yaml", nil)
}

// GraceStore tells which standard version a published one replaced; a
// store without it gives no grace periods.
type GraceStore interface {
	PreviousStandardVersion(ctx context.Context, sv *models.StandardVersion) (*models.StandardVersion, error)
}

// graceFor returns sv's grace period at now: the rules it adds to the
// version it replaced, spared until its effective date. There is none
// without an effective date, once that date has passed, and for a first
// version.
func graceFor(ctx context.Context, store any, compile func(*models.StandardVersion) (*rules.Ruleset, error), sv *models.StandardVersion, std scorecard.Standard, now time.Time) (scorecard.Grace, error) {
	if sv.EffectiveAt == nil || !now.Before(*sv.EffectiveAt) {
		return scorecard.Grace{}, nil
	}
	gs, ok := store.(GraceStore)
	if !ok {
		return scorecard.Grace{}, nil
	}
	prev, err := gs.PreviousStandardVersion(ctx, sv)
	if errors.Is(err, catalog.ErrNotFound) {
		return scorecard.Grace{}, nil
	}
	if err != nil {
		return scorecard.Grace{}, err
	}
	prs, err := compile(prev)
	if err != nil {
		return scorecard.Grace{}, fmt.Errorf("version %d, which version %d replaced, does not load: %w", prev.Number, sv.Number, err)
	}
	return scorecard.NewGrace(std, scorecard.StandardOf("", strconv.Itoa(prev.Number), prs), *sv.EffectiveAt), nil
}

// RescoreStore finds versions whose score changed without their spec or
// the standard changing (waivers decided or expired, a grace period
// ended); a store without it leaves them to the next spec or standard.
type RescoreStore interface {
	RescoreTargets(ctx context.Context, sv *models.StandardVersion, now time.Time, limit int) ([]models.ScoringTarget, error)
}

// grace is the current standard version's grace period for scoring; a
// previous version that no longer loads means no grace, said in the log.
func (j *Scoring) grace(ctx context.Context, sv *models.StandardVersion, std scorecard.Standard) scorecard.Grace {
	g, err := graceFor(ctx, j.Store, j.ruleset, sv, std, time.Now())
	if err != nil {
		j.Log.Warn("scoring: grace period not applied", "standard_version", sv.Number, "error", err)
	}
	return g
}

// rescoreTargets lists the versions RescoreStore finds, when the store
// has it.
func (j *Scoring) rescoreTargets(ctx context.Context, sv *models.StandardVersion) ([]models.ScoringTarget, error) {
	rs, ok := j.Store.(RescoreStore)
	if !ok {
		return nil, nil
	}
	return rs.RescoreTargets(ctx, sv, time.Now().UTC(), scoringBatch)
}
