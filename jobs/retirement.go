package jobs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/steward-governance/steward/catalog"
	"github.com/steward-governance/steward/lifecycle"
	"github.com/steward-governance/steward/models"
	"github.com/steward-governance/steward/retirement"
	"github.com/steward-governance/steward/rules"
)

// FollowUpStore is what the retirement follow-up reads.
type FollowUpStore interface {
	RetirementSettings(ctx context.Context) (retirement.Settings, error)
	ListCases(ctx context.Context, f models.CaseFilter) ([]retirement.Case, error)
}

// CaseFollower takes a case's step for the day; retirement.Service does,
// with the clock it is given.
type CaseFollower interface {
	FollowUp(ctx context.Context, c retirement.Case, set retirement.Settings) (retirement.Event, error)
}

// RetirementFollowUp follows every approved and blocked retirement case
// once a day: reminders to the owners and the governance channel 30, 7
// and 1 days before the sunset; at the sunset, retirement when the
// traffic left is within the grace share, else the case is blocked by
// its remaining consumers and escalated; blocked cases retire once their
// traffic stops.
type RetirementFollowUp struct {
	Store FollowUpStore
	Cases CaseFollower
	Log   *slog.Logger
}

// Name names the job.
func (j *RetirementFollowUp) Name() string { return "retirements" }

// Run follows each open case past its approval; one case failing does not
// stop the others.
func (j *RetirementFollowUp) Run(ctx context.Context) error {
	set, err := j.Store.RetirementSettings(ctx)
	if err != nil {
		return fmt.Errorf("retirements: %w", err)
	}
	cases, err := j.Store.ListCases(ctx, models.CaseFilter{States: []retirement.State{retirement.Approved, retirement.Blocked}})
	if err != nil {
		return fmt.Errorf("retirements: %w", err)
	}
	progress := Progress(ctx)
	progress.SetTotal(int64(len(cases)))
	var failed []error
	for _, c := range cases {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		ev, err := j.Cases.FollowUp(ctx, c, set)
		progress.Advance(1)
		switch {
		case err != nil && errors.Is(err, catalog.ErrConflict):
			// Someone decided the case meanwhile; tomorrow's run sees it.
		case err != nil:
			failed = append(failed, fmt.Errorf("case %d (%s): %w", c.ID, c.Subject(), err))
			progress.Count("failed", 1)
		case ev != "":
			progress.Count(string(ev), 1)
		}
	}
	if len(failed) > 0 {
		return fmt.Errorf("retirements: %w", errors.Join(failed...))
	}
	return nil
}

// StandardReader reads the organisation's published standard.
type StandardReader interface {
	CurrentStandard(ctx context.Context) (*models.Standard, *models.StandardVersion, error)
}

// StandardGates returns the lifecycle gates the published standard sets
// (x-steward-lifecycle), the defaults where it sets none or there is no
// standard yet.
func StandardGates(store StandardReader) func(ctx context.Context) (lifecycle.Gates, error) {
	return func(ctx context.Context) (lifecycle.Gates, error) {
		_, sv, err := store.CurrentStandard(ctx)
		if errors.Is(err, catalog.ErrNotFound) {
			return lifecycle.DefaultGates, nil
		}
		if err != nil {
			return lifecycle.Gates{}, err
		}
		rs, err := rules.Parse([]byte(sv.Ruleset), "standard.yaml", nil)
		if err != nil {
			return lifecycle.Gates{}, fmt.Errorf("the published standard does not load: %w", err)
		}
		return rs.LifecycleGates(), nil
	}
}
