package rules

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"runtime/debug"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/steward-governance/steward/rules/doc"
	"github.com/steward-governance/steward/rules/jsonpath"
)

// ErrTimeout is wrapped by Lint's error when the context ends before every
// rule ran: the report is then incomplete and must not count as a pass.
var ErrTimeout = errors.New("rules: linting did not finish in time")

// LintOptions tunes one run.
type LintOptions struct {
	// Source names the document, for overrides' file globs.
	Source string
	// MaxResults bounds the nodes one JSONPath may select; 0 means
	// jsonpath.DefaultMaxResults.
	MaxResults int
	// MaxResolvedNodes bounds the size of one value a function hands to a
	// JSON Schema validator (the schema function's target, an example,
	// the whole document for oas3-schema), counted with every $ref copied
	// where it is used. 0 means DefaultMaxResolvedNodes; a value may
	// always be as big as the document itself (Document.Size), whose size
	// the caller bounds. An OpenAPI schema compiled for an example check
	// is bounded at the smaller of this and MaxCompiledSchemaNodes. A rule
	// that meets a bigger value lands in Report.RuleErrors: "spec too
	// large to evaluate rule R: more than N nodes after resolving $ref".
	MaxResolvedNodes int
}

// DefaultMaxResolvedNodes is LintOptions.MaxResolvedNodes when it is 0.
// The largest value the built-in rulesets validate in the OpenAPI
// Directory's 2,639 specs, other than whole documents, has about 25,000
// nodes. A value far above that comes from shared components that fan
// out: copying every reference in place would take gigabytes, and
// validating the copy minutes. A value at the limit takes about 3 s of
// CPU to validate.
const DefaultMaxResolvedNodes = 1_000_000

// MaxCompiledSchemaNodes bounds an OpenAPI schema compiled for an example
// check, counted with every $ref inlined. Compiling takes time quadratic
// in the schema's size (jsonschema v6 scans its queue for every
// subschema): a schema at the limit takes about 4 s of CPU, one of
// 500,000 nodes over a minute. The largest in the OpenAPI Directory has
// about 25,000 nodes (0.25 s).
const MaxCompiledSchemaNodes = 100_000

// tooLarge words a value that went over MaxResolvedNodes as the rule error
// a user reads on the scorecard.
func tooLarge(rule string, err error) error {
	return fmt.Errorf("spec too large to evaluate rule %s: %w", rule, err)
}

// Report is the outcome of linting one document.
type Report struct {
	Findings []Finding
	Formats  Formats
	// RuleErrors lists rules that could not be evaluated (a JSONPath that
	// selects too much, a function that failed); their silence is not a pass.
	RuleErrors []RuleError
	// Incomplete is set when linting stopped early (see ErrTimeout).
	Incomplete bool
	// Stats says, for every rule that ran to the end without a rule error,
	// how many targets it examined and how many of them failed (see
	// RuleStats). A rule that does not apply to the document's format, did
	// not run before a timeout or is in RuleErrors has no entry.
	Stats map[string]RuleStats
}

// RuleStats counts what one rule examined on one document, so a score can
// be "the share of targets that pass" rather than all-or-nothing.
//
// A target is one value the rule checks, counted once however it is
// reached:
//   - For a then without field, or with a property path as field
//     ("description", "a.b[0]"), the target is the value the rule's given
//     matched: the operation whose description is missing is the target,
//     not the missing description.
//   - For a then with field "@key", each key of the matched object (each
//     index of an array) is a target: a rule on $.paths with field "@key"
//     has one target per path.
//   - For a then with a JSONPath field ("$..type"), each value it selects
//     in the match is a target; when it selects nothing, the match is.
//   - A match that is a key (a given ending in ~) is that key.
//
// Targets are identified by where they are written in the document, as
// findings are: a component reached through ten $refs is one target, and
// a value that two given expressions or two thens of the rule both reach
// is one target. A target fails when at least one of the rule's thens
// reports a finding while examining it (wherever the function places it,
// normally on or below the target). A finding that a severity override
// turns off does not fail its target; a finding dropped as a duplicate of
// one already reported still does.
type RuleStats struct {
	Targets int
	Failed  int
}

// Passed is how many targets had no finding.
func (s RuleStats) Passed() int { return s.Targets - s.Failed }

// RuleError is a rule that failed to run on a document.
type RuleError struct {
	Rule string
	Err  error
}

func (e RuleError) Error() string { return fmt.Sprintf("rule %s: %v", e.Rule, e.Err) }

// LintBytes parses src (JSON or YAML) and lints it.
func (rs *Ruleset) LintBytes(ctx context.Context, src []byte, opts LintOptions) (*Report, error) {
	d, err := doc.ParseDocument(src)
	if err != nil {
		return nil, fmt.Errorf("rules: parse document: %w", err)
	}
	return rs.Lint(ctx, d, opts)
}

// Lint runs every enabled rule that applies to the document's format.
// When ctx ends first it returns the findings so far, Incomplete set and an
// error wrapping ErrTimeout.
func (rs *Ruleset) Lint(ctx context.Context, d *doc.Document, opts LintOptions) (*Report, error) {
	l := &linter{
		ctx:     ctx,
		rs:      rs,
		doc:     d,
		formats: DetectFormats(d.Root),
		opts:    opts,
		seen:    map[string]bool{},
		// "$.." is answered from one shared walk per mode; each index is
		// built the first time a rule needs it.
		index: [2]*jsonpath.Index{jsonpath.NewIndex(d, false), jsonpath.NewIndex(d, true)},
		run:   &lintRun{},
	}
	rep := &Report{Formats: l.formats}
	rules, sevFor := rs.effectiveRules(opts.Source)
	l.sevFor = sevFor
	var todo []*Rule
	for _, r := range rules {
		if !r.Enabled() && !sevFor.overridden(r.Name) {
			continue
		}
		if len(r.Formats) > 0 && !l.formats.matchesAny(r.Formats) {
			continue
		}
		todo = append(todo, r)
	}
	// Rules are independent, so they run on all cores; results are merged
	// in rule order so reports do not depend on scheduling.
	type outcome struct {
		findings []Finding
		stats    RuleStats
		err      error
		ran      bool
	}
	results := make([]outcome, len(todo))
	// A rule function may not look at ctx (or a validator it calls may
	// take long): Lint does not wait for it after the deadline. Its
	// worker keeps running until the function returns, and what it
	// finds then is dropped, so results is written only under mu and
	// only until Lint has stopped reading it.
	var mu sync.Mutex
	abandoned := false
	next := make(chan int)
	var wg sync.WaitGroup
	for w := 0; w < min(runtime.GOMAXPROCS(0), len(todo)); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			marks := newTargetMarks(d.Size())
			for i := range next {
				if ctx.Err() != nil {
					continue
				}
				run := l.forRule()
				run.marks = marks
				err := run.runRule(todo[i])
				o := outcome{findings: run.findings, stats: marks.stats, err: err, ran: ctx.Err() == nil}
				mu.Lock()
				if !abandoned {
					results[i] = o
				}
				mu.Unlock()
				marks.reset()
			}
		}()
	}
	finished := make(chan struct{})
	go func() {
		wg.Wait()
		close(finished)
	}()
feed:
	for i := range todo {
		select {
		case next <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	select {
	case <-finished:
	case <-ctx.Done():
		// A rule still running now cannot count (it did not finish in
		// time), so there is nothing to wait for.
	}
	mu.Lock()
	abandoned = true
	mu.Unlock()
	var stopped string
	rep.Stats = make(map[string]RuleStats, len(todo))
	for i, o := range results {
		if !o.ran {
			if stopped == "" {
				stopped = todo[i].Name
			}
			continue
		}
		l.findings = append(l.findings, o.findings...)
		if o.err != nil {
			rep.RuleErrors = append(rep.RuleErrors, RuleError{Rule: todo[i].Name, Err: o.err})
		} else {
			rep.Stats[todo[i].Name] = o.stats
		}
	}
	rep.Findings = l.sorted()
	if stopped != "" || ctx.Err() != nil {
		rep.Incomplete = true
		return rep, fmt.Errorf("%w (rule %s and others did not run): %v", ErrTimeout, stopped, ctx.Err())
	}
	return rep, nil
}

// forRule returns a linter for one rule's run: shared document state, its
// own findings and caches.
func (l *linter) forRule() *linter {
	return &linter{ctx: l.ctx, rs: l.rs, doc: l.doc, formats: l.formats, opts: l.opts, sevFor: l.sevFor, seen: map[string]bool{}, index: l.index, run: l.run}
}

// severities resolves a rule's severity for a finding, given overrides.
type severities struct {
	entries []sevEntry
}

type sevEntry struct {
	rule    string
	sev     Severity
	pointer []string
	hasPtr  bool
}

func (s severities) overridden(rule string) bool {
	for _, e := range s.entries {
		if e.rule == rule && e.sev != Off {
			return true
		}
	}
	return false
}

func (s severities) forFinding(r *Rule, path []string) Severity {
	sev := r.Severity
	for _, e := range s.entries {
		if e.rule != r.Name {
			continue
		}
		if e.hasPtr && !hasPrefix(path, e.pointer) {
			continue
		}
		sev = e.sev
	}
	return sev
}

func hasPrefix(p, prefix []string) bool {
	if len(prefix) > len(p) {
		return false
	}
	for i := range prefix {
		if p[i] != prefix[i] {
			return false
		}
	}
	return true
}

// effectiveRules applies the overrides whose files match source.
func (rs *Ruleset) effectiveRules(source string) ([]*Rule, severities) {
	rules := rs.Rules
	var sev severities
	for _, o := range rs.overrides {
		var matched []overrideFile
		for _, f := range o.files {
			if f.matches(source) {
				matched = append(matched, f)
			}
		}
		if len(matched) == 0 {
			continue
		}
		for name, r := range o.rules {
			replaced := false
			next := make([]*Rule, 0, len(rules)+1)
			for _, x := range rules {
				if x.Name == name {
					next = append(next, r)
					replaced = true
				} else {
					next = append(next, x)
				}
			}
			if !replaced {
				next = append(next, r)
			}
			rules = next
		}
		for name, s := range o.sev {
			for _, f := range matched {
				sev.entries = append(sev.entries, sevEntry{rule: name, sev: s, pointer: f.pointer, hasPtr: f.hasPtr})
			}
		}
	}
	return rules, sev
}

type linter struct {
	ctx     context.Context
	rs      *Ruleset
	doc     *doc.Document
	formats Formats
	opts    LintOptions
	sevFor  severities
	index   [2]*jsonpath.Index // unresolved, resolved
	// seen holds the key of every result reported, and whether it was
	// kept (false: a severity override turned it off).
	seen     map[string]bool
	findings []Finding
	// marks counts the rule's targets (see RuleStats); nil counts nothing.
	marks *targetMarks
	// run is what every rule of this Lint call shares.
	run *lintRun
	// conv converts values for JSON Schema validation, sharing what it
	// converted across the rule's calls; made on first use.
	conv *doc.Converter
	// failed is why the rule cannot go on (see Call.fail).
	failed error
}

// lintRun is what the rules of one Lint call share across workers.
type lintRun struct {
	schemas schemaCache
}

// maxResolved is the run's MaxResolvedNodes, at least the document's
// size.
func (l *linter) maxResolved() int {
	return max(l.maxResolvedOption(), l.doc.Size())
}

func (l *linter) maxResolvedOption() int {
	if l.opts.MaxResolvedNodes > 0 {
		return l.opts.MaxResolvedNodes
	}
	return DefaultMaxResolvedNodes
}

// maxSchema bounds an OpenAPI schema compiled for an example check (see
// MaxCompiledSchemaNodes); the document's size does not raise it, since
// compiling is quadratic.
func (l *linter) maxSchema() int {
	return min(l.maxResolvedOption(), MaxCompiledSchemaNodes)
}

// converter returns the rule's converter; a rule is resolved or not for
// all its calls, so one converter serves them all.
func (l *linter) converter(resolved bool) *doc.Converter {
	if l.conv == nil {
		l.conv = &doc.Converter{MaxNodes: l.maxResolved(), Ctx: l.ctx}
		if resolved {
			l.conv.Deref = l.doc.Deref
		}
	}
	return l.conv
}

func (l *linter) sorted() []Finding {
	sort.SliceStable(l.findings, func(i, j int) bool {
		a, b := l.findings[i].Range.Start, l.findings[j].Range.Start
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Column < b.Column
	})
	return l.findings
}

func (l *linter) runRule(r *Rule) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("internal error: %v\n%s", p, debug.Stack())
		}
	}()
	paths := r.given[l.formats.key()]
	var deref func(*doc.Node) *doc.Node
	index := l.index[0]
	if r.Resolved {
		deref = l.doc.Deref
		index = l.index[1]
	}
	for _, p := range paths {
		matches, err := p.Eval(l.doc.Root, jsonpath.Options{Deref: deref, MaxResults: l.opts.MaxResults, Context: l.ctx, Index: index})
		if err != nil {
			return fmt.Errorf("given %q: %w", p.String(), err)
		}
		for _, m := range matches {
			// A rule may run for seconds over a large document: stop
			// between matches once the run is over.
			if err := l.ctx.Err(); err != nil {
				return err
			}
			for ti := range r.Then {
				if err := l.runThen(r, &r.Then[ti], m, deref); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

type target struct {
	node *doc.Node
	path []string
	// idNode and idKey identify the target for RuleStats (see targetID);
	// the ID is read only after the function ran.
	idNode *doc.Node
	idKey  bool
}

// targets resolves a then's field on a match into the values its function
// is called on (see RuleStats for which of them are targets).
func (l *linter) targets(t *Then, m jsonpath.Match, deref func(*doc.Node) *doc.Node) ([]target, error) {
	n := m.Node
	var out []target
	switch {
	case t.Field == "@key":
		for i := range n.Children {
			var key string
			if n.Kind == doc.Array {
				key = strconv.Itoa(i)
			} else {
				key = n.Keys[i]
			}
			kn := &doc.Node{Kind: doc.String, Value: key, Parent: n, Index: i}
			out = append(out, target{node: kn, path: appendPath(m.Path, key), idNode: kn, idKey: true})
		}
	case t.fieldPath != nil:
		ms, err := t.fieldPath.Eval(n, jsonpath.Options{Deref: deref, MaxResults: l.opts.MaxResults, Context: l.ctx})
		if err != nil {
			return nil, fmt.Errorf("field %q: %w", t.Field, err)
		}
		for _, fm := range ms {
			out = append(out, target{node: fm.Node, path: appendPath(m.Path, fm.Path...), idNode: fm.Node, idKey: fm.IsKey})
		}
	default:
		out = append(out, fieldTarget(t, m, deref))
	}
	if len(out) == 0 {
		out = append(out, target{path: m.Path, idNode: m.Node, idKey: m.IsKey})
	}
	return out, nil
}

// fieldTarget follows a property-path field (a.b[0]) from a match.
func fieldTarget(t *Then, m jsonpath.Match, deref func(*doc.Node) *doc.Node) target {
	cur := m.Node
	for _, seg := range t.fieldSegs {
		if cur == nil {
			break
		}
		switch cur.Kind {
		case doc.Object:
			cur = cur.Get(seg)
		case doc.Array:
			i, err := strconv.Atoi(seg)
			if err != nil {
				cur = nil
			} else {
				cur = cur.Item(i)
			}
		default:
			cur = nil
		}
		if cur != nil && deref != nil {
			cur = deref(cur)
		}
	}
	return target{node: cur, path: appendPath(m.Path, t.fieldSegs...), idNode: m.Node, idKey: m.IsKey}
}

func (l *linter) runThen(r *Rule, t *Then, m jsonpath.Match, deref func(*doc.Node) *doc.Node) error {
	n := m.Node
	isObj := n != nil && (n.Kind == doc.Object || n.Kind == doc.Array) && !m.IsKey
	// One value to check, the common case: no slice to allocate.
	switch {
	case t.Field == "" || !isObj:
		return l.check(r, t, target{node: n, path: m.Path, idNode: n, idKey: m.IsKey})
	case t.Field != "@key" && t.fieldPath == nil:
		return l.check(r, t, fieldTarget(t, m, deref))
	}
	ts, err := l.targets(t, m, deref)
	if err != nil {
		return err
	}
	for _, tg := range ts {
		if err := l.check(r, t, tg); err != nil {
			return err
		}
	}
	return nil
}

// check calls a then's function on one value, reports what it finds and
// counts the target. It returns the error of a function that could not
// finish (Call.fail), whose results are dropped.
func (l *linter) check(r *Rule, t *Then, tg target) error {
	c := &Call{Target: tg.node, Opts: t.opts, Path: tg.path, Doc: l.doc, Formats: l.formats, Resolved: r.Resolved, Rule: r, lint: l}
	results := t.fn.run(c)
	if l.failed != nil {
		return l.failed
	}
	failed := false
	for _, res := range results {
		p := res.Path
		if p == nil {
			p = tg.path
		}
		if l.report(r, p, res.Message) {
			failed = true
		}
	}
	if l.marks != nil {
		l.marks.count(targetID(tg.idNode, tg.idKey), failed)
	}
	return nil
}

// targetID identifies a target by where it is written: 2×ID for a value,
// 2×ID+1 for the key it sits under. Below 2 means it cannot be identified
// (no node, or one made outside the document) and is counted each time it
// is seen.
func targetID(n *doc.Node, isKey bool) int64 {
	if n == nil {
		return -1
	}
	if isKey {
		// A key match (given ending in ~) is a string node standing at
		// its value's place in the parent.
		p := n.Parent
		if p == nil || n.Index < 0 || n.Index >= len(p.Children) {
			return -1
		}
		return 2*int64(p.Children[n.Index].ID) + 1
	}
	return 2 * int64(n.ID)
}

// targetMarks counts one rule's targets, each once: two bits per target
// id (seen, failed) in slices sized to the document and reused across the
// rules a worker runs; reset clears only the words a rule touched.
type targetMarks struct {
	seen, failed []uint64
	dirty        []int32
	stats        RuleStats
}

func newTargetMarks(size int) *targetMarks {
	words := (2*(size+1) + 63) / 64
	return &targetMarks{seen: make([]uint64, words), failed: make([]uint64, words)}
}

func (m *targetMarks) count(id int64, failed bool) {
	if id < 2 || int(id>>6) >= len(m.seen) {
		m.stats.Targets++
		if failed {
			m.stats.Failed++
		}
		return
	}
	w, bit := id>>6, uint64(1)<<(id&63)
	if s := m.seen[w]; s&bit == 0 {
		if s == 0 {
			m.dirty = append(m.dirty, int32(w))
		}
		m.seen[w] = s | bit
		m.stats.Targets++
	}
	if failed && m.failed[w]&bit == 0 {
		m.failed[w] |= bit
		m.stats.Failed++
	}
}

// reset clears the marks for the next rule.
func (m *targetMarks) reset() {
	for _, w := range m.dirty {
		m.seen[w], m.failed[w] = 0, 0
	}
	m.dirty = m.dirty[:0]
	m.stats = RuleStats{}
}

// report maps a result to where it is written in the source and records it
// once (Spectral drops results with the same rule, path and message). It
// reports whether the result counts as a finding: false when a severity
// override turns it off.
func (l *linter) report(r *Rule, p []string, fnMsg string) bool {
	found, depth := l.doc.Lookup(p, r.Resolved)
	var path []string
	if r.Resolved {
		path = found.Path()
	} else {
		path = append([]string(nil), p[:depth]...)
	}
	property := ""
	switch {
	case depth < len(p):
		from := depth - 1
		if from < 0 {
			from = 0
		}
		property = dotPath(p[from:])
	case len(path) > 0:
		property = path[len(path)-1]
	}
	vars := map[string]string{
		"property":    property,
		"error":       fnMsg,
		"path":        doc.EscapePointer(path)[1:],
		"description": r.Description,
		"value":       found.JSString(),
	}
	errMsg := render(fnMsg, vars)
	vars["error"] = errMsg
	var msg string
	switch {
	case r.hasMessage:
		msg = render(r.Message, vars)
	case r.Description != "":
		msg = r.Description
	default:
		msg = errMsg
	}
	msg = strings.TrimSpace(msg)
	key := r.Name + "\x00" + strings.Join(path, "\x00") + "\x00" + msg
	if kept, ok := l.seen[key]; ok {
		return kept
	}
	sev := l.sevFor.forFinding(r, path)
	l.seen[key] = sev != Off
	if sev == Off {
		return false
	}
	l.findings = append(l.findings, Finding{
		Code:     r.Name,
		Message:  msg,
		Severity: sev,
		Path:     path,
		Range:    found.Range,
		Category: r.Category,
		Weight:   r.Weight,
	})
	return true
}

// dotPath prints a path as Spectral's {{property}} does: a.b[0].c.
func dotPath(p []string) string {
	var b strings.Builder
	for i, s := range p {
		if _, err := strconv.Atoi(s); err == nil {
			b.WriteString("[" + s + "]")
			continue
		}
		if i > 0 {
			b.WriteByte('.')
		}
		b.WriteString(s)
	}
	return b.String()
}

// render fills {{name}} placeholders.
func render(tpl string, vars map[string]string) string {
	if !strings.Contains(tpl, "{{") {
		return tpl
	}
	var b strings.Builder
	for {
		i := strings.Index(tpl, "{{")
		if i < 0 {
			b.WriteString(tpl)
			return b.String()
		}
		j := strings.Index(tpl[i:], "}}")
		if j < 0 {
			b.WriteString(tpl)
			return b.String()
		}
		name := strings.TrimSpace(tpl[i+2 : i+j])
		b.WriteString(tpl[:i])
		if v, ok := vars[name]; ok {
			b.WriteString(v)
		} else {
			b.WriteString(tpl[i : i+j+2])
		}
		tpl = tpl[i+j+2:]
	}
}
