package runtimerules

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/steward-governance/steward/scorecard"
	"github.com/steward-governance/steward/traffic/match"
)

// Endpoint is one documented operation of the current spec: a method on a
// path template, with the response codes the spec lists for it.
type Endpoint struct {
	// Method is the HTTP method, in any case.
	Method string
	// Path is the path template as the spec writes it ("/users/{id}").
	Path string
	// Statuses are the keys of the operation's responses: codes ("404"),
	// ranges ("4XX", any case) and "default", which covers every code.
	Statuses []string
}

// SeenEndpoint is one method on one path template that received traffic
// in the window, as the rollups know it.
type SeenEndpoint struct {
	// Method is the HTTP method, in any case.
	Method string
	// Path is the template the matcher gave the requests: the spec's own
	// for documented requests, an inferred one ("/users/{id}") otherwise.
	// Any route syntax the matcher understands (":id", "<id>") is fine.
	Path string
	// Documented is the matcher's verdict when the requests were matched.
	// Drift is measured against the spec given to ComputeDrift, so a spec
	// uploaded since wins; the verdict is kept on UndocumentedEndpoint.
	Documented bool
	// Statuses counts the requests by response status code; codes outside
	// 100-599 (unknown) are ignored.
	Statuses map[int]int64
	// Requests is the number of requests; an endpoint with none is not
	// seen.
	Requests int64
	LastSeen time.Time
}

// Undocumented says what the spec lacks for an endpoint that received
// traffic.
type Undocumented string

// The two ways an endpoint can be undocumented.
const (
	// UndocumentedPath: the spec has no such path at all.
	UndocumentedPath Undocumented = "path"
	// UndocumentedMethod: the spec has the path but not this method.
	UndocumentedMethod Undocumented = "method"
)

// UndocumentedEndpoint is an endpoint that received traffic but is not in
// the spec.
type UndocumentedEndpoint struct {
	Method, Path string
	Kind         Undocumented
	Requests     int64
	LastSeen     time.Time
	// MatchedAtIngest is true when the matcher found the endpoint
	// documented when its requests arrived: an earlier revision of the
	// spec had it.
	MatchedAtIngest bool
}

// StatusCount is a status code and how many responses had it.
type StatusCount struct {
	Code  int
	Count int64
}

// UndocumentedStatuses lists the status codes a documented endpoint
// returned that its responses do not cover.
type UndocumentedStatuses struct {
	// Method and Path are the documented endpoint's, as the spec writes
	// them.
	Method, Path string
	// Codes are in ascending order.
	Codes []StatusCount
}

// Drift compares what a version's spec documents with the traffic it got
// in the window.
type Drift struct {
	// Documented is how many endpoints the spec documents, Seen how many
	// distinct endpoints received traffic (documented or not), and
	// StatusCodes how many distinct status codes documented endpoints
	// returned, counted per endpoint: the targets of the three checks.
	Documented, Seen, StatusCodes int
	// Unseen are the documented endpoints that received no traffic, in
	// the order given.
	Unseen []Endpoint
	// Undocumented are the endpoints that received traffic but are not in
	// the spec, busiest first.
	Undocumented []UndocumentedEndpoint
	// UndocumentedStatuses are, per documented endpoint in the order
	// given, the status codes it returned that the spec does not list.
	UndocumentedStatuses []UndocumentedStatuses
}

// UndocumentedStatusCount is how many (endpoint, status code) pairs are
// undocumented.
func (d Drift) UndocumentedStatusCount() int {
	n := 0
	for _, u := range d.UndocumentedStatuses {
		n += len(u.Codes)
	}
	return n
}

// docEndpoint is a documented endpoint prepared for matching.
type docEndpoint struct {
	ep       Endpoint
	method   string
	segments []string // shapes: "{}" for a whole-segment parameter, "{...}" for a catch-all
	seen     bool
	codes    map[int]int64
}

// ComputeDrift compares documented endpoints with the endpoints seen in
// the window.
//
// A seen endpoint belongs to the documented endpoint with the same method
// and template, parameter names and syntax aside ("/users/:id" is
// "/users/{userId}"); failing that, to the documented template a concrete
// path fits, a literal segment beating a parameter. Two conventions keep
// HTTP plumbing out of the report: HEAD requests count as the path's GET
// when the spec documents GET but not HEAD (servers answer HEAD for every
// GET), and OPTIONS requests are CORS preflights, left out, unless the
// spec documents OPTIONS on that path.
//
// A status code is documented when the endpoint's responses list it, a
// range that holds it (4XX) or default.
func ComputeDrift(documented []Endpoint, seen []SeenEndpoint) Drift {
	docs := make([]*docEndpoint, 0, len(documented))
	byKey := map[string]*docEndpoint{}
	for _, e := range documented {
		d := &docEndpoint{ep: e, method: strings.ToUpper(strings.TrimSpace(e.Method)), segments: shape(e.Path)}
		key := d.method + " " + strings.Join(d.segments, "/")
		if _, dup := byKey[key]; dup {
			continue // one operation listed twice (by two tags, say)
		}
		byKey[key] = d
		docs = append(docs, d)
	}
	var drift Drift
	drift.Documented = len(docs)

	undocumented := map[string]*UndocumentedEndpoint{}
	var undocOrder []*UndocumentedEndpoint
	for _, s := range seen {
		if s.Requests <= 0 {
			continue
		}
		method := strings.ToUpper(strings.TrimSpace(s.Method))
		segs := shape(s.Path)
		d := find(docs, byKey, method, segs)
		if d == nil && method == "HEAD" {
			d = find(docs, byKey, "GET", segs)
		}
		if d == nil && method == "OPTIONS" {
			continue
		}
		if d != nil {
			d.seen = true
			if d.codes == nil {
				d.codes = map[int]int64{}
			}
			for code, n := range s.Statuses {
				if code >= 100 && code <= 599 && n > 0 {
					d.codes[code] += n
				}
			}
			continue
		}
		key := method + " " + strings.Join(segs, "/")
		u := undocumented[key]
		if u == nil {
			kind := UndocumentedPath
			if find(docs, byKey, "", segs) != nil {
				kind = UndocumentedMethod
			}
			u = &UndocumentedEndpoint{Method: method, Path: displayPath(s.Path), Kind: kind}
			undocumented[key] = u
			undocOrder = append(undocOrder, u)
		}
		u.Requests += s.Requests
		if s.LastSeen.After(u.LastSeen) {
			u.LastSeen = s.LastSeen
		}
		u.MatchedAtIngest = u.MatchedAtIngest || s.Documented
	}

	for _, d := range docs {
		if !d.seen {
			drift.Unseen = append(drift.Unseen, d.ep)
			continue
		}
		drift.Seen++
		drift.StatusCodes += len(d.codes)
		var missing []StatusCount
		for code, n := range d.codes {
			if !covers(d.ep.Statuses, code) {
				missing = append(missing, StatusCount{Code: code, Count: n})
			}
		}
		if len(missing) > 0 {
			slices.SortFunc(missing, func(a, b StatusCount) int { return cmp.Compare(a.Code, b.Code) })
			drift.UndocumentedStatuses = append(drift.UndocumentedStatuses, UndocumentedStatuses{Method: d.method, Path: d.ep.Path, Codes: missing})
		}
	}
	drift.Seen += len(undocOrder)
	for _, u := range undocOrder {
		drift.Undocumented = append(drift.Undocumented, *u)
	}
	slices.SortStableFunc(drift.Undocumented, func(a, b UndocumentedEndpoint) int {
		if c := cmp.Compare(b.Requests, a.Requests); c != 0 {
			return c
		}
		if c := strings.Compare(a.Path, b.Path); c != 0 {
			return c
		}
		return strings.Compare(a.Method, b.Method)
	})
	return drift
}

// shape turns a template into segments in which parameter names and
// syntax no longer matter: "/users/:id/" and "/users/{userId}" are both
// ["users", "{}"].
func shape(template string) []string {
	norm := match.NormaliseTemplate(template)
	if norm == "/" {
		return nil
	}
	segs := strings.Split(strings.TrimPrefix(norm, "/"), "/")
	for i, seg := range segs {
		segs[i] = shapeSegment(seg)
	}
	return segs
}

// shapeSegment drops the names of the segment's parameters: "{id}.json"
// becomes "{}.json", "{path...}" becomes "{...}".
func shapeSegment(seg string) string {
	if !strings.Contains(seg, "{") {
		return seg
	}
	var b strings.Builder
	for {
		open := strings.IndexByte(seg, '{')
		if open < 0 {
			b.WriteString(seg)
			return b.String()
		}
		end := strings.IndexByte(seg[open:], '}')
		if end < 0 {
			b.WriteString(seg)
			return b.String()
		}
		b.WriteString(seg[:open])
		if strings.HasSuffix(seg[open:open+end], "...") {
			b.WriteString("{...}")
		} else {
			b.WriteString("{}")
		}
		seg = seg[open+end+1:]
	}
}

// displayPath writes a seen template as pages show paths.
func displayPath(p string) string {
	if p == "" {
		return "/"
	}
	return match.NormaliseTemplate(p)
}

// find returns the documented endpoint a seen method and shape belong to;
// method "" matches any method.
func find(docs []*docEndpoint, byKey map[string]*docEndpoint, method string, segs []string) *docEndpoint {
	if method != "" {
		if d := byKey[method+" "+strings.Join(segs, "/")]; d != nil {
			return d
		}
	}
	var best *docEndpoint
	bestLiterals := -1
	for _, d := range docs {
		if method != "" && d.method != method {
			continue
		}
		if lit, ok := fits(d.segments, segs); ok && lit > bestLiterals {
			best, bestLiterals = d, lit
		}
	}
	return best
}

// fits reports whether a seen shape falls under a documented one and how
// many literal segments they share: a documented parameter takes any
// segment, a catch-all the rest of the path, a literal only itself.
func fits(doc, seen []string) (literals int, ok bool) {
	for i, d := range doc {
		if d == "{...}" && i == len(doc)-1 {
			return literals, len(seen) > i
		}
		if i >= len(seen) {
			return 0, false
		}
		switch {
		case d == seen[i]:
			if !strings.Contains(d, "{") {
				literals++
			}
		case d == "{}":
		default:
			return 0, false
		}
	}
	return literals, len(doc) == len(seen)
}

// covers reports whether an operation's response keys cover a status
// code: the code itself, its range (4XX) or default.
func covers(statuses []string, code int) bool {
	exact := strconv.Itoa(code)
	class := exact[:1] + "XX"
	for _, s := range statuses {
		s = strings.ToUpper(strings.TrimSpace(s))
		if s == exact || s == class || s == "DEFAULT" {
			return true
		}
	}
	return false
}

// Findings scores the drift with a set's drift rules (runtime-drift-*),
// as design-time rules are scored: each check earns its weight times the
// share of its targets that pass, and a check with nothing to look at is
// not applicable. Rules the set turns off are left out. Add the findings
// to a runtime result with Result.WithFindings, or to a design-time
// scorecard with Finding.RuleResult.
func (d Drift) Findings(set *Set) []Finding {
	if set == nil {
		set = Defaults()
	}
	window := set.Window
	if window <= 0 {
		window = DefaultWindow
	}
	var out []Finding
	for _, r := range set.Rules {
		if !r.Enabled() || !r.Metric.IsDrift() {
			continue
		}
		out = append(out, d.finding(r, window))
	}
	return out
}

// GovernanceFindings scores the drift with the built-in drift rules and
// the default window: three governance findings (undocumented endpoints,
// undocumented status codes, unseen endpoints). A standard that changes
// them needs Findings(set).
func (d Drift) GovernanceFindings() []Finding {
	return d.Findings(Defaults())
}

func (d Drift) finding(r Rule, window time.Duration) Finding {
	f := Finding{
		Rule: r.Name, Description: r.Description, Category: r.Category, Severity: r.Severity,
		Weight: r.Weight * scorecard.SeverityFactor(r.Severity),
		Metric: r.Metric, Bound: NoBound, HowToFix: r.HowToFix,
	}
	if f.Category == "" {
		f.Category = metrics[r.Metric].category
	}
	in := windowText(window)
	var evidence []string
	switch r.Metric {
	case UndocumentedEndpoints:
		f.Targets, f.FailedTargets = d.Seen, len(d.Undocumented)
		switch {
		case f.Targets == 0:
			f.Message = "No endpoint received traffic in " + in + "."
		case f.FailedTargets == 0 && f.Targets == 1:
			f.Message = "The endpoint that received traffic in " + in + " is in the spec."
		case f.FailedTargets == 0:
			f.Message = fmt.Sprintf("All %d endpoints that received traffic in %s are in the spec.", f.Targets, in)
		default:
			f.Message = fmt.Sprintf("%d of %s that received traffic in %s %s not in the spec.", f.FailedTargets, plural(f.Targets, "endpoint"), in, isAre(f.FailedTargets))
		}
		for _, u := range d.Undocumented {
			what := "path not in the spec"
			if u.Kind == UndocumentedMethod {
				what = "method not in the spec for this path"
			}
			evidence = append(evidence, fmt.Sprintf("%s %s: %s, %s", u.Method, u.Path, plural64(u.Requests, "request"), what))
		}
	case UnseenEndpoints:
		f.Targets, f.FailedTargets = d.Documented, len(d.Unseen)
		switch {
		case f.Targets == 0:
			f.Message = "The spec documents no endpoint."
		case f.FailedTargets == 0:
			f.Message = fmt.Sprintf("All %d documented endpoints received traffic in %s.", f.Targets, in)
			if f.Targets == 1 {
				f.Message = "The documented endpoint received traffic in " + in + "."
			}
		default:
			f.Message = fmt.Sprintf("%d of %d documented endpoints received no traffic in %s.", f.FailedTargets, f.Targets, in)
		}
		for _, e := range d.Unseen {
			evidence = append(evidence, strings.ToUpper(e.Method)+" "+e.Path)
		}
	case UndocumentedStatusCodes:
		f.Targets, f.FailedTargets = d.StatusCodes, d.UndocumentedStatusCount()
		switch {
		case f.Targets == 0:
			f.Message = "No documented endpoint returned a known status code in " + in + "."
		case f.FailedTargets == 0:
			f.Message = fmt.Sprintf("Every status code documented endpoints returned in %s is in the spec.", in)
		default:
			f.Message = fmt.Sprintf("%d of %d status codes documented endpoints returned in %s are not in the spec (on %s).",
				f.FailedTargets, f.Targets, in, plural(len(d.UndocumentedStatuses), "endpoint"))
			if f.FailedTargets == 1 {
				f.Message = fmt.Sprintf("1 of %d status codes documented endpoints returned in %s is not in the spec.", f.Targets, in)
			}
		}
		for _, u := range d.UndocumentedStatuses {
			for _, c := range u.Codes {
				evidence = append(evidence, fmt.Sprintf("%s %s returned %d (%s)", u.Method, u.Path, c.Code, plural64(c.Count, "time")))
			}
		}
	}
	f.Measured = float64(f.FailedTargets)
	switch {
	case f.Targets == 0:
		f.Status = scorecard.NotApplicable
	case f.FailedTargets == 0:
		f.Status, f.Credit = scorecard.Pass, f.Weight
	default:
		f.Status = scorecard.Fail
		f.Credit = f.Weight * float64(f.Targets-f.FailedTargets) / float64(f.Targets)
	}
	if len(evidence) > scorecard.MaxEvidence {
		evidence = evidence[:scorecard.MaxEvidence]
	}
	f.Evidence = evidence
	return f
}

func plural(n int, word string) string { return plural64(int64(n), word) }

func plural64(n int64, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return strconv.FormatInt(n, 10) + " " + word + "s"
}

func isAre(n int) string {
	if n == 1 {
		return "is"
	}
	return "are"
}
