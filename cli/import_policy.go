package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/steward-governance/steward/breaking"
	"github.com/steward-governance/steward/catalog"
	"github.com/steward-governance/steward/models"
	"github.com/steward-governance/steward/rules"
)

// importCompareTimeout bounds the comparison of one imported spec with
// the current revision, as for an upload.
const importCompareTimeout = 20 * time.Second

// importRefusalChanges is how many breaking changes a refusal lists; the
// count is always complete.
const importRefusalChanges = 10

// breakingGate is the breaking-change policy of the current standard as
// `steward import` meets it (models.SpecGate): a spec that would replace a
// version's current revision is compared with it, and refused when it
// breaks clients at a stage whose policy holds or refuses breaking
// changes. The CLI has no pending revisions: what the version page would
// hold, an import refuses.
type breakingGate struct {
	policy func(catalog.Stage) rules.BreakingPolicy
	warn   io.Writer // where comparisons that could not be made are reported
}

// newBreakingGate reads the policy from the store's current standard; with
// none published, or one that does not load, the defaults apply, as for
// uploads.
func newBreakingGate(ctx context.Context, store *models.Store, warn io.Writer) (*breakingGate, error) {
	var rs *rules.Ruleset
	_, sv, err := store.CurrentStandard(ctx)
	switch {
	case errors.Is(err, catalog.ErrNotFound):
	case err != nil:
		return nil, err
	default:
		if rs, err = rules.Parse([]byte(sv.Ruleset), "standard.yaml", nil); err != nil {
			fmt.Fprintf(warn, "warning: the current standard (version %d) does not load, so the default breaking-change policy applies: %v\n", sv.Number, err)
			rs = nil
		}
	}
	return &breakingGate{policy: rs.BreakingPolicyFor, warn: warn}, nil
}

// CheckReplacement compares the imported spec with the current revision.
// A pair that cannot be compared goes in unclassified, with a warning, as
// an upload does: a version must not be stuck on a revision nobody can
// move past.
func (g *breakingGate) CheckReplacement(ctx context.Context, r models.SpecReplacement) (models.RevisionChanges, error) {
	cctx, cancel := context.WithTimeout(ctx, importCompareTimeout)
	defer cancel()
	report, err := breaking.Compare(cctx, r.Current, r.Upload.Content)
	if err != nil {
		if ctx.Err() != nil {
			return models.RevisionChanges{}, ctx.Err()
		}
		fmt.Fprintf(g.warn, "warning: api %s version %s: not compared with its current spec, so imported without a breaking-change check: %v\n", r.APISlug, r.Version, err)
		return models.RevisionChanges{}, nil
	}
	if report.Worst() == breaking.Breaking {
		stage, policy := r.Stage, g.policy(r.Stage)
		if planned := g.policy(r.PlannedStage); strictness(planned) > strictness(policy) {
			stage, policy = r.PlannedStage, planned
		}
		if policy != rules.BreakingAllow {
			return models.RevisionChanges{}, &importRefusal{replacement: r, stage: stage, policy: policy, report: report}
		}
	}
	js, err := json.Marshal(report)
	if err != nil {
		return models.RevisionChanges{}, fmt.Errorf("encode changes: %w", err)
	}
	return models.RevisionChanges{JSON: string(js), Breaking: report.Count(breaking.Breaking),
		Warning: report.Count(breaking.Warning), Info: report.Count(breaking.Info)}, nil
}

// strictness orders the policies from the most permissive.
func strictness(p rules.BreakingPolicy) int {
	switch p {
	case rules.BreakingAllow:
		return 0
	case rules.BreakingHold:
		return 1
	}
	return 2
}

// importRefusal is an imported spec whose breaking changes the policy of
// its version's stage does not let through.
type importRefusal struct {
	replacement models.SpecReplacement
	stage       catalog.Stage
	policy      rules.BreakingPolicy
	report      breaking.Report
}

// Error names the API, the version and the policy, lists the breaking
// changes and says what to do instead.
func (e *importRefusal) Error() string {
	r := e.replacement
	n := e.report.Count(breaking.Breaking)
	what := fmt.Sprintf("%d breaking changes", n)
	if n == 1 {
		what = "1 breaking change"
	}
	var b strings.Builder
	verb := "holds breaking changes to %s versions for a governance lead's exception"
	if e.policy == rules.BreakingRefuse {
		verb = "refuses breaking changes to %s versions"
	}
	fmt.Fprintf(&b, "api %s version %s: the spec has %s from the current one, and the standard "+verb, r.APISlug, r.Version, what, e.stage)
	if e.stage != r.Stage {
		fmt.Fprintf(&b, " (the stage this import gives it, from %s)", r.Stage)
	} else if r.PlannedStage != r.Stage {
		fmt.Fprintf(&b, " (its stage now: moving it to %s in the same import does not lift that)", r.PlannedStage)
	}
	b.WriteString(":")
	listed := 0
	for _, ch := range e.report.Changes {
		if ch.Level != breaking.Breaking {
			continue
		}
		if listed == importRefusalChanges {
			fmt.Fprintf(&b, "\n  and %d more", n-listed)
			break
		}
		line := ch.Text
		if ch.Operation != "" {
			line = ch.Operation + ": " + line
		}
		b.WriteString("\n  " + line)
		listed++
	}
	b.WriteString("\nPublish the changes as a new version")
	if e.policy == rules.BreakingHold {
		b.WriteString(", or upload the spec on the version page to hold it and request an exception")
	}
	b.WriteString(".")
	return b.String()
}

// Unwrap makes the refusal a conflict, which the import reports with the
// others (models.SpecsRefusedError).
func (e *importRefusal) Unwrap() error { return catalog.ErrConflict }
