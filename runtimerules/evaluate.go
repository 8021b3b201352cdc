package runtimerules

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"time"

	"github.com/steward-governance/steward/rules"
	"github.com/steward-governance/steward/scorecard"
	"github.com/steward-governance/steward/traffic/rollup"
)

// NoRuntimeData is the summary of a result without a score because the
// version had too little traffic in the window.
const NoRuntimeData = "no runtime data"

// NotScoredNoRule is the summary of a result whose every rule is off or
// not applicable.
const NotScoredNoRule = "not scored: no runtime rule applies"

// Finding is one runtime rule's line on a runtime scorecard.
type Finding struct {
	Rule        string
	Description string
	Category    rules.Category
	Severity    rules.Severity
	// Weight is what the rule counts for in its category: its weight
	// times its severity's factor (scorecard.SeverityFactor).
	Weight float64
	// Status is scorecard.Pass, scorecard.Fail or scorecard.NotApplicable
	// (the summary cannot know the metric, or a drift check had nothing to
	// check).
	Status scorecard.Status
	Metric Metric
	Bound  Bound
	// Measured is the metric's value and Threshold the rule's, in the
	// metric's unit (see Rule.Threshold); Metric.Format writes them. For
	// a drift check Measured is the number of failed targets.
	Measured, Threshold float64
	// Targets and FailedTargets are what a drift check looked at and how
	// many of them fail (endpoints, or status codes per endpoint); a
	// metric rule has one target.
	Targets, FailedTargets int
	// Credit is what the rule earns towards its category: its Weight when
	// it passes; for a drift check, Weight × the share of targets that
	// pass; 0 when it fails.
	Credit float64
	// Message says what was measured against what the standard asks:
	// "62% of requests used HTTPS over the last 7 days; the standard asks
	// for at least 99%".
	Message string
	// Evidence lists what a drift check found (at most
	// scorecard.MaxEvidence lines): "GET /admin/debug: 120 requests".
	Evidence []string
	HowToFix string
}

// Scored reports whether the finding counts towards its category.
func (f Finding) Scored() bool {
	return f.Weight > 0 && (f.Status == scorecard.Pass || f.Status == scorecard.Fail)
}

// MeasuredText writes the measured value as a page shows it ("62%"); ""
// when the rule is not applicable.
func (f Finding) MeasuredText() string {
	if f.Status == scorecard.NotApplicable {
		return ""
	}
	if f.Metric.IsDrift() {
		return strconv.Itoa(f.FailedTargets) + " of " + strconv.Itoa(f.Targets)
	}
	return formatMeasured(f.Metric, f.Measured, f.Threshold)
}

// ThresholdText writes what the standard asks ("at least 99%"); "" for a
// drift check.
func (f Finding) ThresholdText() string {
	if f.Metric.IsDrift() || f.Bound == NoBound {
		return ""
	}
	return string(f.Bound) + " " + formatThreshold(f.Metric, f.Threshold)
}

// RuleResult describes the finding as a design-time scorecard line, so
// that runtime findings (drift in the governance category, say) can be
// shown and scored with the design-time scorecard's pages and rules.
func (f Finding) RuleResult() scorecard.RuleResult {
	rr := scorecard.RuleResult{
		Rule: f.Rule, Description: f.Description, Category: f.Category, Severity: f.Severity,
		Weight: f.Weight, Status: f.Status, Credit: f.Credit, Detail: f.Message, HowToFix: f.HowToFix,
	}
	if f.Metric.IsDrift() {
		rr.Targets, rr.FailedTargets = f.Targets, f.FailedTargets
		rr.Findings = f.FailedTargets
	} else if f.Status == scorecard.Fail {
		rr.Findings = 1
	}
	for _, e := range f.Evidence {
		rr.Evidence = append(rr.Evidence, scorecard.Evidence{Message: e, Severity: f.Severity})
	}
	return rr
}

// Result is a standard's runtime rules evaluated on one version's traffic
// over the window: a runtime scorecard.
type Result struct {
	// NoData is set when the version had fewer than MinRequests requests
	// in the window: there is then no finding, no score and no grade, and
	// pages say "no runtime data", never a score.
	NoData bool
	// Requests is how many requests the summary covered, MinRequests how
	// many a score needs.
	Requests, MinRequests int64
	Window                time.Duration
	// HasScore is false with NoData and when no rule could be scored;
	// Overall and Grade are then empty.
	HasScore bool
	Overall  int
	Grade    scorecard.Grade
	// Summary says in a few words what the result is: "B (84/100)", "no
	// runtime data", "not scored: no runtime rule applies".
	Summary string
	// Detail explains a result without a score: "12 requests in the last
	// 7 days; a runtime score needs at least 20".
	Detail string
	// Categories holds one line per category, in scorecard.Categories
	// order, computed as design-time category scores are.
	Categories []scorecard.CategoryScore
	// Findings holds one line per enabled rule, sorted by category (in
	// scorecard.Categories order), then rule name, as design-time
	// scorecards are.
	Findings []Finding

	categoryWeights map[rules.Category]float64
}

// Evaluate holds a traffic summary to a set's runtime rules. The summary
// should cover the set's Window (messages say "over the last 7 days").
//
// A version with fewer than minRequests requests in the summary gets a
// Result with NoData: "no runtime data", never a score. minRequests of 0
// or less means the set's MinRequests (the standard's min-requests), or
// DefaultMinRequests (20) when that is not set either.
//
// Scores follow the design-time scorecard (package scorecard): every
// enabled rule counts its x-steward-weight times its severity factor
// (error 1, warn 0.5, info 0.25, hint 0); a rule that passes earns that
// weight and one that fails earns nothing (a metric is measured once, so
// it passes or fails as a whole); a rule whose metric the summary cannot
// know (a latency with no timed request, a size with no known response
// size) is not applicable: shown, not scored. A category scores 100 ×
// earned / weight, truncated; the overall score is the mean of the
// categories that have a score, each counting its CategoryWeights weight
// (1 if unset), truncated; grades are scorecard.GradeFor's.
func Evaluate(set *Set, s rollup.Summary, minRequests int64) Result {
	if set == nil {
		set = Defaults()
	}
	if minRequests <= 0 {
		minRequests = set.MinRequests
	}
	if minRequests <= 0 {
		minRequests = DefaultMinRequests
	}
	window := set.Window
	if window <= 0 {
		window = DefaultWindow
	}
	res := Result{Requests: s.Requests, MinRequests: minRequests, Window: window, categoryWeights: set.CategoryWeights}
	if s.Requests < minRequests {
		res.NoData = true
		res.Summary = NoRuntimeData
		switch s.Requests {
		case 0:
			res.Detail = fmt.Sprintf("No requests in %s; a runtime score needs at least %d.", windowText(window), minRequests)
		case 1:
			res.Detail = fmt.Sprintf("1 request in %s; a runtime score needs at least %d.", windowText(window), minRequests)
		default:
			res.Detail = fmt.Sprintf("%d requests in %s; a runtime score needs at least %d.", s.Requests, windowText(window), minRequests)
		}
		return res
	}
	for _, r := range set.Rules {
		if !r.Enabled() || r.Metric.IsDrift() {
			continue
		}
		res.Findings = append(res.Findings, evaluateRule(r, s, window))
	}
	res.score()
	return res
}

// WithFindings returns the result with more findings (drift checks, see
// Drift.Findings) added and the scores computed again. A result without
// runtime data stays without: traffic too thin to score cannot show drift
// either.
func (res Result) WithFindings(extra ...Finding) Result {
	if res.NoData {
		return res
	}
	res.Findings = append(append([]Finding(nil), res.Findings...), extra...)
	res.score()
	return res
}

func evaluateRule(r Rule, s rollup.Summary, window time.Duration) Finding {
	info := metrics[r.Metric]
	f := Finding{
		Rule: r.Name, Description: r.Description, Category: r.Category, Severity: r.Severity,
		Weight: r.Weight * scorecard.SeverityFactor(r.Severity),
		Metric: r.Metric, Bound: info.bound, Threshold: r.Threshold, Targets: 1, HowToFix: r.HowToFix,
	}
	if f.Category == "" {
		f.Category = info.category
	}
	v, ok := info.measure(s)
	if !ok {
		f.Status, f.Targets = scorecard.NotApplicable, 0
		switch info.unit {
		case unitMS:
			f.Message = fmt.Sprintf("No request in %s had a known duration, so the %s is unknown.", windowText(window), info.unknown)
		case unitKB:
			f.Message = fmt.Sprintf("No response size was recorded in %s, so the average response size is unknown.", windowText(window))
		default:
			f.Message = fmt.Sprintf("Nothing was recorded for %s in %s.", r.Metric, windowText(window))
		}
		return f
	}
	f.Measured = v
	if meets(info.bound, v, r.Threshold) {
		f.Status, f.Credit = scorecard.Pass, f.Weight
	} else {
		f.Status, f.FailedTargets = scorecard.Fail, 1
	}
	shown := formatMeasured(r.Metric, v, r.Threshold)
	asks := "; the standard asks for " + string(info.bound) + " " + formatThreshold(r.Metric, r.Threshold)
	switch info.unit {
	case unitShare, unitRate:
		f.Message = shown + " " + info.past + " over " + windowText(window) + asks
	default:
		f.Message = info.past + " was " + shown + " over " + windowText(window) + asks
	}
	return f
}

// score sorts the findings and computes category and overall scores, as
// scorecard.ComputeRevision does for design-time rules.
func (res *Result) score() {
	order := map[rules.Category]int{}
	for i, c := range scorecard.Categories {
		order[c] = i
	}
	sort.SliceStable(res.Findings, func(i, j int) bool {
		a, b := res.Findings[i], res.Findings[j]
		if order[a.Category] != order[b.Category] {
			return order[a.Category] < order[b.Category]
		}
		return a.Rule < b.Rule
	})
	res.Categories = res.Categories[:0:0]
	var overall, overallWeight float64
	for _, c := range scorecard.Categories {
		cs := scorecard.CategoryScore{Category: c}
		for _, f := range res.Findings {
			if f.Category != c {
				continue
			}
			switch f.Status {
			case scorecard.Pass:
				cs.Passed++
			case scorecard.Fail:
				cs.Failed++
			case scorecard.NotApplicable:
				cs.NotApplicable++
			}
			if f.Scored() {
				cs.ScoredWeight += f.Weight
				cs.Credit += f.Credit
			}
		}
		if cs.ScoredWeight > 0 {
			exact := 100 * cs.Credit / cs.ScoredWeight
			cs.HasScore, cs.Score = true, truncate(exact)
			w := 1.0
			if cw, ok := res.categoryWeights[c]; ok {
				w = cw
			}
			overall += w * exact
			overallWeight += w
		}
		res.Categories = append(res.Categories, cs)
	}
	res.HasScore, res.Overall, res.Grade, res.Detail = false, 0, scorecard.NoGrade, ""
	if overallWeight == 0 {
		res.Summary = NotScoredNoRule
		return
	}
	res.HasScore = true
	res.Overall = truncate(overall / overallWeight)
	res.Grade = scorecard.GradeFor(res.Overall)
	res.Summary = string(res.Grade) + " (" + strconv.Itoa(res.Overall) + "/100)"
}

// Category returns the result's line for a category.
func (res Result) Category(c rules.Category) (scorecard.CategoryScore, bool) {
	for _, cs := range res.Categories {
		if cs.Category == c {
			return cs, true
		}
	}
	return scorecard.CategoryScore{}, false
}

// Finding returns the finding of the rule of that name.
func (res Result) Finding(rule string) (Finding, bool) {
	for _, f := range res.Findings {
		if f.Rule == rule {
			return f, true
		}
	}
	return Finding{}, false
}

// truncate mirrors the scorecard's (unexported) rounding: scores are
// truncated, never rounded up into a better grade, with an epsilon for
// float error (100 × 3/3 must stay 100).
func truncate(x float64) int {
	return int(math.Floor(x + 1e-9))
}

// windowText names a window in a sentence: "the last 7 days", "the last
// day", "the last 36 hours".
func windowText(w time.Duration) string {
	day := 24 * time.Hour
	switch {
	case w == day:
		return "the last day"
	case w%day == 0:
		return "the last " + strconv.FormatInt(int64(w/day), 10) + " days"
	case w == time.Hour:
		return "the last hour"
	case w%time.Hour == 0:
		return "the last " + strconv.FormatInt(int64(w/time.Hour), 10) + " hours"
	}
	return "the last " + w.String()
}
