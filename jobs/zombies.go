package jobs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/steward-governance/steward/catalog"
	"github.com/steward-governance/steward/models"
	"github.com/steward-governance/steward/retirement"
)

// ZombieStore is what the zombie job reads and writes.
type ZombieStore interface {
	RetirementSettings(ctx context.Context) (retirement.Settings, error)
	ZombieCandidates(ctx context.Context) ([]models.ZombieCandidate, error)
	Sources(ctx context.Context) ([]models.Source, error)
	LegitimateSince(ctx context.Context, since time.Time) ([]models.LastLegitimate, error)
	LastLegitimateOf(ctx context.Context, versionIDs []uint) (map[uint]time.Time, error)
	SaveZombieVerdicts(ctx context.Context, verdicts []models.ZombieVerdict, endpoints []models.ZombieEndpoint) error
	ProposalBlockers(ctx context.Context, coolOffSince time.Time) (map[uint]string, error)
}

// ProposalOpener opens retirement cases; retirement.Service does.
type ProposalOpener interface {
	Open(ctx context.Context, a retirement.Actor, apiSlug, version string, p retirement.Proposal) (*retirement.Case, error)
}

// ZombieDetection finds live versions, and endpoints of them, without
// legitimate traffic for the zombie window (30 days unless the
// organisation or the API says otherwise), but only where the traffic
// sources covered the window: elsewhere the verdict is "unknown", never
// "zombie". It stores a verdict per version and the zombie endpoints, and
// proposes retiring each zombie version, except where a case is open or a
// proposal was rejected within the cool-off.
type ZombieDetection struct {
	Store     ZombieStore
	Proposals ProposalOpener
	Now       func() time.Time
	Log       *slog.Logger
}

// Name names the job.
func (j *ZombieDetection) Name() string { return "zombies" }

// Run judges every production and preview version.
func (j *ZombieDetection) Run(ctx context.Context) error {
	now := time.Now().UTC()
	if j.Now != nil {
		now = j.Now().UTC()
	}
	set, err := j.Store.RetirementSettings(ctx)
	if err != nil {
		return fmt.Errorf("zombies: %w", err)
	}
	set = set.WithDefaults()
	cands, err := j.Store.ZombieCandidates(ctx)
	if err != nil {
		return fmt.Errorf("zombies: %w", err)
	}
	progress := Progress(ctx)
	progress.SetTotal(int64(len(cands)))
	srcs, err := j.Store.Sources(ctx)
	if err != nil {
		return fmt.Errorf("zombies: %w", err)
	}
	widest := set.ZombieDays
	for _, c := range cands {
		widest = max(widest, c.ZombieDays)
	}
	recent, err := j.Store.LegitimateSince(ctx, now.Add(-days(widest)))
	if err != nil {
		return fmt.Errorf("zombies: %w", err)
	}
	lastByEndpoint := map[string]time.Time{}
	lastByVersion := map[uint]time.Time{}
	for _, l := range recent {
		lastByEndpoint[endpointKey(l.VersionID, l.Method, l.Template)] = l.At
		if l.At.After(lastByVersion[l.VersionID]) {
			lastByVersion[l.VersionID] = l.At
		}
	}

	var verdicts []models.ZombieVerdict
	var endpoints []models.ZombieEndpoint
	var zombies []models.ZombieCandidate
	var zombieIDs []uint
	for _, c := range cands {
		n := set.ZombieDays
		if c.ZombieDays > 0 {
			n = c.ZombieDays
		}
		from := now.Add(-days(n))
		var last *time.Time
		if at, ok := lastByVersion[c.VersionID]; ok && !at.Before(from) {
			last = &at // else seen only within a wider API's window
		}
		spans := spansFor(srcs, c.APIID)
		verdict, reason := retirement.Judge(spans, last, n, now)
		v := models.ZombieVerdict{VersionID: c.VersionID, Verdict: string(verdict), Days: n, Reason: reason, LastLegitimate: last, ComputedAt: now}
		if verdict != retirement.Unknown {
			for _, op := range c.Operations {
				at, seen := lastByEndpoint[endpointKey(c.VersionID, op.Method, op.Path)]
				if seen && !at.Before(from) {
					continue
				}
				ze := models.ZombieEndpoint{VersionID: c.VersionID, Method: op.Method, Template: op.Path, ComputedAt: now}
				if seen {
					ze.LastLegitimate = &at
				}
				endpoints = append(endpoints, ze)
				v.ZombieEndpoints++
			}
		}
		verdicts = append(verdicts, v)
		progress.Count(string(verdict), 1)
		progress.Advance(1)
		if verdict == retirement.Zombie {
			zombies = append(zombies, c)
			zombieIDs = append(zombieIDs, c.VersionID)
		}
	}
	// A zombie's last legitimate request may lie before the window: look
	// it up for the page, which says "last seen on ...".
	if len(zombieIDs) > 0 {
		older, err := j.Store.LastLegitimateOf(ctx, zombieIDs)
		if err != nil {
			return fmt.Errorf("zombies: %w", err)
		}
		for i := range verdicts {
			if at, ok := older[verdicts[i].VersionID]; ok && verdicts[i].Verdict == string(retirement.Zombie) {
				verdicts[i].LastLegitimate = &at
			}
		}
	}
	if err := j.Store.SaveZombieVerdicts(ctx, verdicts, endpoints); err != nil {
		return fmt.Errorf("zombies: %w", err)
	}
	return j.propose(ctx, zombies, verdicts, set, now)
}

// propose opens a retirement proposal for each zombie version that has no
// open case and no recently rejected one.
func (j *ZombieDetection) propose(ctx context.Context, zombies []models.ZombieCandidate, verdicts []models.ZombieVerdict, set retirement.Settings, now time.Time) error {
	if j.Proposals == nil || len(zombies) == 0 {
		return nil
	}
	blocked, err := j.Store.ProposalBlockers(ctx, now.Add(-days(set.CoolOffDays)))
	if err != nil {
		return fmt.Errorf("zombies: %w", err)
	}
	reasons := map[uint]string{}
	for _, v := range verdicts {
		reasons[v.VersionID] = v.Reason
	}
	progress := Progress(ctx)
	job := retirement.SystemActor("zombies")
	for _, c := range zombies {
		if _, skip := blocked[c.VersionID]; skip {
			continue
		}
		p := retirement.Proposal{Scope: retirement.ScopeVersion,
			Reason: "Zombie: " + reasons[c.VersionID],
			MigrationNotes: fmt.Sprintf("Nobody has called %s %s for %d days, so no migration is expected. "+
				"If you still depend on it, say so on this case or contact team %s before the sunset.", c.APIName, c.Version, set.ZombieDays, c.TeamSlug)}
		_, err := j.Proposals.Open(ctx, job, c.APISlug, c.Version, p)
		switch {
		case err == nil:
			progress.Count("proposed", 1)
		case errors.Is(err, catalog.ErrConflict):
			// A person opened a case meanwhile: theirs stands.
		default:
			if j.Log != nil {
				j.Log.Warn("zombies: proposal not opened", "api", c.APISlug, "version", c.Version, "error", err)
			}
			progress.Count("proposal failed", 1)
		}
	}
	return nil
}

// spansFor lists what the sources that see apiID covered: its own and
// those bound to no API, which match traffic to every API.
func spansFor(srcs []models.Source, apiID uint) []retirement.Span {
	var out []retirement.Span
	for _, s := range srcs {
		if s.APIID != nil && *s.APIID != apiID {
			continue
		}
		if s.CoveredFrom != nil && s.CoveredTo != nil {
			out = append(out, retirement.Span{From: s.CoveredFrom.UTC(), To: s.CoveredTo.UTC()})
		}
	}
	return out
}

func endpointKey(version uint, method, template string) string {
	return fmt.Sprintf("%d %s %s", version, strings.ToUpper(method), template)
}

func days(n int) time.Duration { return time.Duration(n) * 24 * time.Hour }
