package jobs

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/steward-governance/steward/catalog"
	"github.com/steward-governance/steward/models"
	"github.com/steward-governance/steward/rules"
	"github.com/steward-governance/steward/scorecard"
)

// ScoringStore is what scoring reads and writes.
type ScoringStore interface {
	CurrentStandard(ctx context.Context) (*models.Standard, *models.StandardVersion, error)
	StaleScorecards(ctx context.Context, standardVersionID uint, limit int) ([]models.ScoringTarget, error)
	RevisionByID(ctx context.Context, id uint) (*models.SpecRevision, error)
	ApprovedWaivers(ctx context.Context, versionID uint) ([]models.WaiverRow, error)
	SaveScorecard(ctx context.Context, row models.ScorecardRow) error
}

// Scoring recomputes the scorecards that no longer match their version's
// current spec or the current standard: after a spec upload, after a
// standard is published, and on its schedule to catch up after a restart.
type Scoring struct {
	Store ScoringStore
	Log   *slog.Logger
	// Timeout bounds the evaluation of one spec; a lint that runs out is
	// stored as an incomplete scorecard, never as a pass.
	Timeout time.Duration

	running sync.Mutex
	kick    chan struct{}
	once    sync.Once

	mu       sync.Mutex
	compiled map[uint]*rules.Ruleset // by standard version id
}

// scoringBatch is how many versions one query fetches; Run loops until
// none is left.
const scoringBatch = 20

// Name names the job in logs.
func (j *Scoring) Name() string { return "scoring" }

func (j *Scoring) kicks() chan struct{} {
	j.once.Do(func() { j.kick = make(chan struct{}, 1) })
	return j.kick
}

// Kick asks for a run soon without waiting for it; kicks while a run is
// pending fold into that run.
func (j *Scoring) Kick() {
	select {
	case j.kicks() <- struct{}{}:
	default:
	}
}

// Loop runs the job whenever it is kicked, until ctx ends.
func (j *Scoring) Loop(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-j.kicks():
			if err := j.Run(ctx); err != nil {
				j.Log.Error("scoring failed", "error", err)
			}
		}
	}
}

// Run scores every stale version. Concurrent calls do not overlap: a call
// made while another runs returns at once, and the running one picks up
// the new work on its next query.
func (j *Scoring) Run(ctx context.Context) error {
	if !j.running.TryLock() {
		return nil
	}
	defer j.running.Unlock()
	std, sv, err := j.Store.CurrentStandard(ctx)
	if err != nil {
		return fmt.Errorf("jobs: scoring: %w", err)
	}
	rs, err := j.ruleset(sv)
	if err != nil {
		return fmt.Errorf("jobs: scoring: standard %s v%d does not load: %w", std.Slug, sv.Number, err)
	}
	standard := scorecard.StandardOf(std.Name, strconv.Itoa(sv.Number), rs)
	grace := j.grace(ctx, sv, standard) // new rules spared until the effective date (preview.go)
	scored := 0
	for ctx.Err() == nil {
		targets, err := j.Store.StaleScorecards(ctx, sv.ID, scoringBatch)
		if err != nil {
			return fmt.Errorf("jobs: scoring: %w", err)
		}
		if len(targets) == 0 {
			// Same spec, same standard, yet a waiver or the end of a
			// grace period changed what the score should be.
			if targets, err = j.rescoreTargets(ctx, sv); err != nil {
				return fmt.Errorf("jobs: scoring: %w", err)
			}
		}
		if len(targets) == 0 {
			break
		}
		for _, t := range targets {
			if err := j.score(ctx, rs, standard, grace, sv.ID, t); err != nil {
				return err
			}
			scored++
		}
	}
	if scored > 0 {
		j.Log.Info("scorecards computed", "count", scored, "standard", std.Slug, "standard_version", sv.Number)
	}
	return ctx.Err()
}

func (j *Scoring) ruleset(sv *models.StandardVersion) (*rules.Ruleset, error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if rs, ok := j.compiled[sv.ID]; ok {
		return rs, nil
	}
	rs, err := rules.Parse([]byte(sv.Ruleset), "standard.yaml", nil)
	if err != nil {
		return nil, err
	}
	if j.compiled == nil {
		j.compiled = map[uint]*rules.Ruleset{}
	}
	j.compiled[sv.ID] = rs
	return rs, nil
}

// score lints one version's current spec and stores its scorecard. A spec
// the engine cannot read gets a scorecard saying so, not a grade.
func (j *Scoring) score(ctx context.Context, rs *rules.Ruleset, std scorecard.Standard, grace scorecard.Grace, svID uint, t models.ScoringTarget) error {
	rev, err := j.Store.RevisionByID(ctx, t.RevisionID)
	if err != nil {
		return fmt.Errorf("jobs: scoring %s/%s: %w", t.APISlug, t.Version, err)
	}
	revision, err := revisionOf(ctx, j.Store, t.VersionID, rev)
	if err != nil {
		return fmt.Errorf("jobs: scoring %s/%s: %w", t.APISlug, t.Version, err)
	}
	waiverRows, err := j.Store.ApprovedWaivers(ctx, t.VersionID)
	if err != nil {
		return fmt.Errorf("jobs: scoring %s/%s: %w", t.APISlug, t.Version, err)
	}
	var waivers []scorecard.Waiver
	for _, w := range waiverRows {
		sw := scorecard.Waiver{Rule: w.Rule, Reason: w.Reason, GrantedBy: w.DecidedBy}
		if w.ExpiresAt != nil {
			sw.Expires = *w.ExpiresAt
		}
		waivers = append(waivers, sw)
	}
	timeout := j.Timeout
	if timeout <= 0 {
		timeout = time.Minute
	}
	start := time.Now()
	lctx, cancel := context.WithTimeout(ctx, timeout)
	rep, lintErr := rs.LintBytes(lctx, []byte(rev.Content), rules.LintOptions{Source: t.APISlug + "/" + t.Version})
	cancel()
	if ctx.Err() != nil {
		return ctx.Err() // shutting down: leave it stale for next time
	}
	now := time.Now().UTC()
	std = grace.Apply(std, now)
	var sc scorecard.Scorecard
	status := "scored"
	switch {
	case lintErr != nil && rep == nil:
		// Incomplete with the reason: never a pass.
		sc = scorecard.ComputeRevision(std, nil, revision, waivers, now)
		sc.Summary = "not scored: " + lintErr.Error()
		status = "error"
	default:
		sc = scorecard.ComputeRevision(std, rep, revision, waivers, now)
		if sc.Incomplete {
			status = "incomplete"
		} else if !sc.HasScore {
			status = "not_scored"
		}
	}
	grace.Mark(&sc, now)
	body, err := json.Marshal(sc)
	if err != nil {
		return fmt.Errorf("jobs: scoring: %w", err)
	}
	row := models.ScorecardRow{
		VersionID: t.VersionID, RevisionID: t.RevisionID, StandardVersionID: svID, ComputedAt: now,
		Status: status, Grade: string(sc.Grade), Result: string(body), DurationMS: time.Since(start).Milliseconds(),
	}
	if sc.HasScore {
		overall := sc.Overall
		row.Overall = &overall
	}
	if err := j.Store.SaveScorecard(ctx, row); err != nil {
		return fmt.Errorf("jobs: scoring %s/%s: %w", t.APISlug, t.Version, err)
	}
	return nil
}

// StageStore tells a version's lifecycle stage, which the breaking-changes
// check weighs a revision's changes against; a store without it leaves the
// check not applicable.
type StageStore interface {
	VersionStage(ctx context.Context, versionID uint) (catalog.Stage, error)
}

// revisionOf is what scoring knows of rev besides its text: how it differs
// from the revision before it, and its version's stage.
func revisionOf(ctx context.Context, store any, versionID uint, rev *models.SpecRevision) (scorecard.Revision, error) {
	ss, ok := store.(StageStore)
	if !ok {
		return scorecard.Revision{}, nil
	}
	stage, err := ss.VersionStage(ctx, versionID)
	if err != nil {
		return scorecard.Revision{}, err
	}
	out := scorecard.RevisionOf(stage, rev.Changes, rev.Excepted)
	if zs, ok := store.(ZombieVerdictStore); ok {
		verdicts, err := zs.ZombieVerdicts(ctx, []uint{versionID})
		if err != nil {
			return scorecard.Revision{}, err
		}
		if v, ok := verdicts[versionID]; ok {
			out.Zombie, out.ZombieDays = v.Verdict, v.Days
		}
	}
	return out, nil
}

// ZombieVerdictStore tells the zombie job's verdict on versions, which
// the zombie check of the governance category scores.
type ZombieVerdictStore interface {
	ZombieVerdicts(ctx context.Context, versionIDs []uint) (map[uint]models.ZombieVerdict, error)
}
