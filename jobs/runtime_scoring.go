package jobs

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/steward-governance/steward/models"
	"github.com/steward-governance/steward/rules"
	"github.com/steward-governance/steward/runtimerules"
	"github.com/steward-governance/steward/specs"
	"github.com/steward-governance/steward/traffic/rollup"
)

// RuntimeScoringStore is what runtime scoring reads and writes.
type RuntimeScoringStore interface {
	CurrentStandard(ctx context.Context) (*models.Standard, *models.StandardVersion, error)
	RuntimeTargets(ctx context.Context) ([]models.RuntimeTarget, error)
	HasTraffic(ctx context.Context, versionIDs []uint, from time.Time) (map[uint]bool, error)
	TrafficRows(ctx context.Context, versionID uint, from, to time.Time) ([]models.EndpointTraffic, error)
	EndpointStatuses(ctx context.Context, versionID uint) ([]models.EndpointStatus, error)
	RevisionByID(ctx context.Context, id uint) (*models.SpecRevision, error)
	SaveRuntimeScorecard(ctx context.Context, row models.RuntimeScorecardRow) (bool, error)
}

// RuntimeScoring holds every version's traffic over the standard's window
// (x-steward-runtime, 7 days by default) to the standard's runtime rules,
// measures the drift between the version's current spec and its traffic,
// and stores the result as the version's runtime scorecard.
//
// Cost: one query lists the versions with their latest runtime outcome and
// one (per 500 versions) finds those with traffic in the window; only those
// have their rollup rows read. A version without traffic costs nothing
// unless its latest runtime scorecard still shows a score, which is then
// replaced by "no runtime data". A version that never had traffic gets no
// row at all: no row means no runtime data. Specs are described once per
// revision and kept while the revision is current.
//
// History: a run whose outcome is the version's latest refreshes that row;
// a different outcome adds one (models.SaveRuntimeScorecard).
type RuntimeScoring struct {
	Store RuntimeScoringStore
	Log   *slog.Logger
	// SpecLimits bound the description of a stored spec; zero fields take
	// specs' defaults.
	SpecLimits specs.Limits
	// Now is the clock; nil means time.Now.
	Now func() time.Time

	mu sync.Mutex
	// set is the compiled runtime rules of standard version setFor.
	set    *runtimerules.Set
	setFor uint
	// endpoints caches the documented endpoints of spec revisions by id;
	// revisions never change, and a run drops those no longer current.
	endpoints map[uint][]runtimerules.Endpoint
}

// MaxDriftList is how many entries each stored drift list keeps; the
// counts beside them stay exact. Scanners can make thousands of inferred
// templates, which no page needs in full.
const MaxDriftList = 200

// Name names the job.
func (j *RuntimeScoring) Name() string { return "runtime-scoring" }

// Run scores every version with traffic in the window.
func (j *RuntimeScoring) Run(ctx context.Context) error {
	log := j.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	std, sv, err := j.Store.CurrentStandard(ctx)
	if err != nil {
		return fmt.Errorf("runtime scoring: %w", err)
	}
	set, err := j.rules(sv)
	if err != nil {
		return fmt.Errorf("runtime scoring: the runtime rules of standard %s v%d do not load: %w", std.Slug, sv.Number, err)
	}
	now := time.Now()
	if j.Now != nil {
		now = j.Now()
	}
	// Hourly rollups: the window ends with the current hour, as the
	// traffic page's does, and spans whole hours.
	to := now.UTC().Truncate(time.Hour).Add(time.Hour)
	from := to.Add(-set.Window)

	targets, err := j.Store.RuntimeTargets(ctx)
	if err != nil {
		return fmt.Errorf("runtime scoring: %w", err)
	}
	ids := make([]uint, len(targets))
	for i, t := range targets {
		ids[i] = t.VersionID
	}
	busy, err := j.Store.HasTraffic(ctx, ids, from)
	if err != nil {
		return fmt.Errorf("runtime scoring: %w", err)
	}
	progress := Progress(ctx)
	progress.SetTotal(int64(len(targets)))
	run := runtimeRun{job: j, set: set, svID: sv.ID, from: from, to: to, now: now.UTC(), log: log}
	current := map[uint]bool{}
	var failed []string
	for _, t := range targets {
		if err := ctx.Err(); err != nil {
			return err
		}
		if t.RevisionID != nil {
			current[*t.RevisionID] = true
		}
		outcome, err := run.score(ctx, t, busy[t.VersionID])
		switch {
		case err != nil && ctx.Err() != nil:
			return ctx.Err()
		case err != nil && !errors.Is(err, rollup.ErrBadBlob):
			// The database failing: later versions would fail alike, and
			// every score stored so far stays.
			return fmt.Errorf("runtime scoring %s/%s: %w", t.APISlug, t.Version, err)
		case err != nil:
			// One version's unreadable rollups must not hold the others
			// back; the run fails at the end with every reason.
			log.Warn("runtime scoring failed", "api", t.APISlug, "version", t.Version, "error", err)
			failed = append(failed, t.APISlug+"/"+t.Version+": "+err.Error())
			progress.Count("failed", 1)
		default:
			progress.Count(outcome, 1)
		}
		progress.Advance(1)
	}
	j.forgetRevisions(current)
	if len(failed) > 0 {
		if len(failed) > 5 {
			failed = append(failed[:5], fmt.Sprintf("and %d more", len(failed)-5))
		}
		return fmt.Errorf("runtime scoring: %s", strings.Join(failed, "; "))
	}
	return nil
}

// rules compiles the runtime rules of a standard version, with the
// standard's category weights so that runtime and design-time overall
// scores weigh categories alike.
func (j *RuntimeScoring) rules(sv *models.StandardVersion) (*runtimerules.Set, error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.set != nil && j.setFor == sv.ID {
		return j.set, nil
	}
	set, err := runtimerules.Parse([]byte(sv.Ruleset))
	if err != nil {
		return nil, err
	}
	rs, err := rules.Parse([]byte(sv.Ruleset), "standard.yaml", nil)
	if err != nil {
		return nil, err
	}
	set.CategoryWeights = rs.CategoryWeights
	j.set, j.setFor = set, sv.ID
	return set, nil
}

// documented returns a revision's documented endpoints, describing its
// spec on first use. Failures are not kept: the spec was read at upload,
// so a failure now (a timeout on a busy replica) is worth another try.
func (j *RuntimeScoring) documented(ctx context.Context, revisionID uint) ([]runtimerules.Endpoint, error) {
	j.mu.Lock()
	list, ok := j.endpoints[revisionID]
	j.mu.Unlock()
	if ok {
		return list, nil
	}
	rev, err := j.Store.RevisionByID(ctx, revisionID)
	if err != nil {
		return nil, err
	}
	doc, err := specs.Describe(ctx, []byte(rev.Content), j.SpecLimits)
	if err != nil {
		return nil, fmt.Errorf("%w: revision %d: %w", errUnreadableSpec, rev.Number, err)
	}
	list = runtimerules.EndpointsOf(doc)
	j.mu.Lock()
	if j.endpoints == nil {
		j.endpoints = map[uint][]runtimerules.Endpoint{}
	}
	j.endpoints[revisionID] = list
	j.mu.Unlock()
	return list, nil
}

// errUnreadableSpec marks a stored spec that cannot be described: the
// version is scored without drift rather than not at all.
var errUnreadableSpec = errors.New("the current spec cannot be read")

// forgetRevisions drops cached endpoints of revisions no longer current.
func (j *RuntimeScoring) forgetRevisions(current map[uint]bool) {
	j.mu.Lock()
	defer j.mu.Unlock()
	for id := range j.endpoints {
		if !current[id] {
			delete(j.endpoints, id)
		}
	}
}

// runtimeRun is what one run scores every version with.
type runtimeRun struct {
	job      *RuntimeScoring
	set      *runtimerules.Set
	svID     uint
	from, to time.Time
	now      time.Time
	log      *slog.Logger
}

// The outcomes a run counts, shown with the run on the jobs page.
const (
	outcomeScored    = "scored"
	outcomeNoData    = "no runtime data"
	outcomeNoTraffic = "no traffic"
	outcomeNoDrift   = "scored without drift"
)

// score computes and stores one version's runtime scorecard and says what
// came of it.
func (r runtimeRun) score(ctx context.Context, t models.RuntimeTarget, hasTraffic bool) (string, error) {
	store := r.job.Store
	if !hasTraffic {
		// Nothing in the window. Leave a version without a row, or whose
		// latest already says so, alone: that is the cheap path most of
		// a large catalogue takes. A score from earlier traffic must not
		// outlive it, so that one gives way to "no runtime data".
		if t.LatestID == nil || t.LatestNoData {
			return outcomeNoTraffic, nil
		}
		res := runtimerules.Evaluate(r.set, rollup.Summary{}, 0)
		return outcomeNoData, r.save(ctx, t, res, nil, nil)
	}
	summary, seen, err := r.readWindow(ctx, t.VersionID)
	if err != nil {
		return "", err
	}
	res := runtimerules.Evaluate(r.set, summary, 0)
	if res.NoData {
		// Too little traffic to score is too little to show drift too
		// (Result.WithFindings): an API called five times a week has
		// "unseen" endpoints by chance.
		return outcomeNoData, r.save(ctx, t, res, nil, nil)
	}
	if t.RevisionID == nil {
		// No spec, nothing to compare the traffic with: the design-time
		// scorecard already says the spec is missing.
		return outcomeNoDrift, r.save(ctx, t, res, nil, nil)
	}
	documented, err := r.job.documented(ctx, *t.RevisionID)
	if err != nil {
		if ctx.Err() != nil || !errors.Is(err, errUnreadableSpec) {
			return "", err
		}
		r.log.Warn("runtime scoring: drift not measured", "api", t.APISlug, "version", t.Version, "error", err)
		return outcomeNoDrift, r.save(ctx, t, res, nil, nil)
	}
	statuses, err := store.EndpointStatuses(ctx, t.VersionID)
	if err != nil {
		return "", err
	}
	drift := runtimerules.ComputeDrift(documented, seen.withStatuses(statuses, r.from))
	res = res.WithFindings(drift.Findings(r.set)...)
	return outcomeScored, r.save(ctx, t, res, &drift, t.RevisionID)
}

// save stores a result as the version's runtime scorecard.
func (r runtimeRun) save(ctx context.Context, t models.RuntimeTarget, res runtimerules.Result, drift *runtimerules.Drift, revisionID *uint) error {
	row := models.RuntimeScorecardRow{
		VersionID: t.VersionID, StandardVersionID: r.svID, RevisionID: revisionID,
		ComputedAt: r.now, WindowFrom: r.from, WindowTo: r.to,
		Requests: res.Requests, MinRequests: res.MinRequests, NoData: res.NoData,
		Grade: string(res.Grade), Summary: res.Summary, Detail: res.Detail,
		Fingerprint: fingerprint(r.svID, revisionID, res, drift),
	}
	if res.HasScore {
		overall := res.Overall
		row.Overall = &overall
	}
	categories, err := json.Marshal(res.Categories)
	if err != nil {
		return err
	}
	findings, err := json.Marshal(res.Findings)
	if err != nil {
		return err
	}
	row.Categories, row.Findings = string(categories), string(findings)
	if res.Categories == nil {
		row.Categories = "[]"
	}
	if res.Findings == nil {
		row.Findings = "[]"
	}
	if drift != nil {
		row.HasDrift = true
		row.UnseenEndpoints = len(drift.Unseen)
		row.UndocumentedEndpoints = len(drift.Undocumented)
		row.UndocumentedStatusCodes = drift.UndocumentedStatusCount()
		capped := capDrift(*drift)
		body, err := json.Marshal(capped)
		if err != nil {
			return err
		}
		row.Drift = string(body)
	}
	_, err = r.job.Store.SaveRuntimeScorecard(ctx, row)
	return err
}

// readDays is how much of the window one query reads: a busy version's
// week of hourly rows with their sketches can run to hundreds of
// megabytes, so the window is read a day at a time and merged as it goes.
const readDays = 24 * time.Hour

// readWindow adds up a version's hourly rollups over the window and lists
// the endpoints that received traffic.
func (r runtimeRun) readWindow(ctx context.Context, versionID uint) (rollup.Summary, *seenSet, error) {
	var total rollup.Bucket
	seen := &seenSet{index: map[string]int{}}
	for start := r.from; start.Before(r.to); start = start.Add(readDays) {
		end := start.Add(readDays)
		if end.After(r.to) {
			end = r.to
		}
		rows, err := r.job.Store.TrafficRows(ctx, versionID, start, end)
		if err != nil {
			return rollup.Summary{}, nil, err
		}
		for _, row := range rows {
			var b rollup.Bucket
			if err := b.UnmarshalBinary(row.Sketches); err != nil {
				return rollup.Summary{}, nil, fmt.Errorf("rollup of %s %s at %s: %w", row.Method, row.Template, row.Hour.UTC().Format(time.RFC3339), err)
			}
			total.Merge(&b)
			seen.add(row)
		}
	}
	return rollup.Summarise([]rollup.Bucket{total}), seen, nil
}

// seenSet gathers the endpoints that received traffic in the window, for
// drift.
type seenSet struct {
	index map[string]int
	list  []runtimerules.SeenEndpoint
}

func (s *seenSet) add(row models.EndpointTraffic) {
	k := row.Method + " " + row.Template
	i, ok := s.index[k]
	if !ok {
		i = len(s.list)
		s.index[k] = i
		s.list = append(s.list, runtimerules.SeenEndpoint{Method: row.Method, Path: row.Template})
	}
	e := &s.list[i]
	e.Requests += row.Requests
	e.Documented = e.Documented || row.Documented
	if row.LastSeen.After(e.LastSeen) {
		e.LastSeen = row.LastSeen
	}
}

// withStatuses adds the status codes each seen endpoint returned. Status
// counts keep no time: a code counts when its endpoint last returned it
// within the window (last_seen), with its count since counting began.
func (s *seenSet) withStatuses(statuses []models.EndpointStatus, from time.Time) []runtimerules.SeenEndpoint {
	for _, st := range statuses {
		i, ok := s.index[st.Method+" "+st.Template]
		if !ok || st.LastSeen.Before(from) || st.Requests <= 0 {
			continue
		}
		e := &s.list[i]
		if e.Statuses == nil {
			e.Statuses = map[int]int64{}
		}
		e.Statuses[st.Status] += st.Requests
	}
	return s.list
}

// capDrift keeps at most MaxDriftList entries of each list.
func capDrift(d runtimerules.Drift) runtimerules.Drift {
	if len(d.Unseen) > MaxDriftList {
		d.Unseen = d.Unseen[:MaxDriftList]
	}
	if len(d.Undocumented) > MaxDriftList {
		d.Undocumented = d.Undocumented[:MaxDriftList]
	}
	if len(d.UndocumentedStatuses) > MaxDriftList {
		d.UndocumentedStatuses = d.UndocumentedStatuses[:MaxDriftList]
	}
	return d
}

// fingerprint names an outcome: the standard and revision it was judged
// by, the score, each rule's status and failed targets, and what drifted.
// Measured values are left out, so a p95 moving from 212 to 214 ms
// refreshes the latest row instead of adding one; the same rule starting
// to fail adds one.
func fingerprint(svID uint, revisionID *uint, res runtimerules.Result, drift *runtimerules.Drift) string {
	var b strings.Builder
	fmt.Fprintf(&b, "sv %d\n", svID)
	if revisionID != nil {
		fmt.Fprintf(&b, "rev %d\n", *revisionID)
	}
	fmt.Fprintf(&b, "nodata %t score %t %d %s\n", res.NoData, res.HasScore, res.Overall, res.Grade)
	for _, c := range res.Categories {
		fmt.Fprintf(&b, "cat %s %t %d\n", c.Category, c.HasScore, c.Score)
	}
	for _, f := range res.Findings {
		fmt.Fprintf(&b, "rule %s %s %d/%d\n", f.Rule, f.Status, f.FailedTargets, f.Targets)
	}
	if drift != nil {
		for _, e := range drift.Unseen {
			fmt.Fprintf(&b, "unseen %s %s\n", strings.ToUpper(e.Method), e.Path)
		}
		for _, e := range drift.Undocumented {
			fmt.Fprintf(&b, "undocumented %s %s\n", e.Method, e.Path)
		}
		for _, u := range drift.UndocumentedStatuses {
			codes := make([]string, len(u.Codes))
			for i, c := range u.Codes {
				codes[i] = strconv.Itoa(c.Code)
			}
			fmt.Fprintf(&b, "statuses %s %s %s\n", u.Method, u.Path, strings.Join(codes, ","))
		}
	}
	sum := sha256.Sum256([]byte(b.String()))
	return hex.EncodeToString(sum[:])
}
