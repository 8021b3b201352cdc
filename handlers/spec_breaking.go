package handlers

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/steward-governance/steward/breaking"
	"github.com/steward-governance/steward/catalog"
	"github.com/steward-governance/steward/models"
	"github.com/steward-governance/steward/rules"
)

// compareTimeout bounds the classification of an upload against the
// current revision, so a pathological pair cannot hold a parse slot long.
const compareTimeout = 20 * time.Second

// breakingRefusal is an upload whose breaking changes the policy of its
// version's stage does not allow. Nothing is stored; the version page holds
// it as a pending revision when the policy is hold. It is a conflict: the
// spec is valid, the version's state is what stands in the way.
type breakingRefusal struct {
	Stage  catalog.Stage
	Policy rules.BreakingPolicy
	Report breaking.Report
	base   uint // the current revision it was compared with
	upload models.SpecUpload
}

func (e *breakingRefusal) Error() string {
	n := e.Report.Count(breaking.Breaking)
	what := fmt.Sprintf("%d breaking changes", n)
	if n == 1 {
		what = "1 breaking change"
	}
	switch e.Policy {
	case rules.BreakingRefuse:
		return fmt.Sprintf("This spec has %s, and the standard refuses breaking changes to %s versions. Publish them as a new version instead.", what, e.Stage)
	default:
		return fmt.Sprintf("This spec has %s, and the standard holds breaking changes to %s versions for approval. Upload it on the version page to hold it as a pending revision and request an exception, or publish a new version.", what, e.Stage)
	}
}

func (e *breakingRefusal) Unwrap() error { return catalog.ErrConflict }

// breakingChanges returns the breaking changes only, the ones a refusal lists.
func (e *breakingRefusal) breakingChanges() []breaking.Change {
	var out []breaking.Change
	for _, ch := range e.Report.Changes {
		if ch.Level == breaking.Breaking {
			out = append(out, ch)
		}
	}
	return out
}

// classifyUpload compares an upload with the version's current revision.
// A pair that cannot be compared (an old revision oasdiff cannot load, a
// timeout) is logged and reported as not compared: the upload goes on
// unclassified rather than leaving the version stuck on a revision nobody
// can move past.
func (s *Server) classifyUpload(ctx context.Context, v *models.VersionDetail, raw []byte) (breaking.Report, models.RevisionChanges, bool, error) {
	cur, err := s.store.GetRevision(ctx, v.API.Slug, v.Name, 0)
	if err != nil {
		return breaking.Report{}, models.RevisionChanges{}, false, err
	}
	cctx, cancel := context.WithTimeout(ctx, compareTimeout)
	defer cancel()
	report, err := breaking.Compare(cctx, []byte(cur.Content), raw)
	if err != nil {
		if ctx.Err() != nil {
			return breaking.Report{}, models.RevisionChanges{}, false, ctx.Err()
		}
		s.log.WarnContext(ctx, "spec upload not classified", "version", v.API.Slug+"/"+v.Name, "error", err)
		return breaking.Report{}, models.RevisionChanges{}, false, nil
	}
	js, err := json.Marshal(report)
	if err != nil {
		return breaking.Report{}, models.RevisionChanges{}, false, fmt.Errorf("handlers: encode changes: %w", err)
	}
	return report, models.RevisionChanges{JSON: string(js), Breaking: report.Count(breaking.Breaking),
		Warning: report.Count(breaking.Warning), Info: report.Count(breaking.Info)}, true, nil
}

// breakingPolicies caches the parsed current standard, which says what
// breaking changes meet at each stage; a standard version never changes
// once published, so its id is the key.
type breakingPolicies struct {
	mu sync.Mutex
	id uint
	rs *rules.Ruleset
}

// breakingPolicy returns the current standard's policy for a stage. With
// no published standard, or one that does not load, the defaults apply.
func (s *Server) breakingPolicy(ctx context.Context, stage catalog.Stage) rules.BreakingPolicy {
	_, sv, err := s.store.CurrentStandard(ctx)
	if err != nil {
		if !errors.Is(err, catalog.ErrNotFound) {
			s.log.WarnContext(ctx, "breaking-change policy: no standard, using the defaults", "error", err)
		}
		return (*rules.Ruleset)(nil).BreakingPolicyFor(stage)
	}
	p := &s.policies
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.rs == nil || p.id != sv.ID {
		rs, err := rules.Parse([]byte(sv.Ruleset), "standard.yaml", nil)
		if err != nil {
			s.log.WarnContext(ctx, "breaking-change policy: the standard does not load, using the defaults", "standard_version", sv.Number, "error", err)
			return (*rules.Ruleset)(nil).BreakingPolicyFor(stage)
		}
		p.id, p.rs = sv.ID, rs
	}
	return p.rs.BreakingPolicyFor(stage)
}
