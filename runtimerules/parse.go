package runtimerules

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/steward-governance/steward/rules"
)

// ExtensionKey is the top-level property of a ruleset that holds its
// runtime rules.
const ExtensionKey = "x-steward-runtime"

// ParseError is a mistake in x-steward-runtime, with where it is written.
// Its message names the rule and the field so that the author can fix it
// without reading Steward's code.
type ParseError struct {
	// Line and Column locate the offending value (1-based; 0 if unknown).
	Line, Column int
	// Rule is the rule the mistake is in; "" for the extension's own
	// fields (window, min-requests, rules).
	Rule string
	// Field is the field at fault ("max-ms", "metric", "window").
	Field string
	// Message says what is wrong and what is wanted.
	Message string
}

// Error reads "runtime rule runtime-p95-latency: max-ms must be a positive
// number (line 6)".
func (e *ParseError) Error() string {
	var b strings.Builder
	if e.Rule != "" {
		b.WriteString("runtime rule " + e.Rule + ": ")
	} else {
		b.WriteString(ExtensionKey + ": ")
	}
	b.WriteString(e.Message)
	if e.Line > 0 {
		fmt.Fprintf(&b, " (line %d)", e.Line)
	}
	return b.String()
}

// Parse reads a standard's runtime rules from its ruleset source (YAML or
// JSON): the x-steward-runtime extension and nothing else, so the rest of
// the document is left to the rule engine. A ruleset without the
// extension gets the defaults (Defaults). Mistakes are *ParseError, except
// a document that is not YAML or JSON at all.
func Parse(rulesetSource []byte) (*Set, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(rulesetSource, &root); err != nil {
		return nil, fmt.Errorf("runtime rules: the standard is not valid YAML or JSON: %w", err)
	}
	set := Defaults()
	if root.Kind == 0 || len(root.Content) == 0 {
		return set, nil
	}
	doc := root.Content[0]
	if doc.Kind != yaml.MappingNode {
		return nil, &ParseError{Line: doc.Line, Column: doc.Column, Message: "the standard must be an object"}
	}
	var ext *yaml.Node
	for i := 0; i+1 < len(doc.Content); i += 2 {
		if doc.Content[i].Value == ExtensionKey {
			ext = doc.Content[i+1]
		}
	}
	if ext == nil || isNull(ext) {
		return set, nil
	}
	p := parser{set: set, described: map[string]bool{}}
	if err := p.extension(ext); err != nil {
		return nil, err
	}
	for i := range set.Rules {
		r := &set.Rules[i]
		if !p.described[r.Name] && !r.Metric.IsDrift() {
			r.Description = describe(r.Metric, r.Threshold)
		}
	}
	return set, nil
}

type parser struct {
	set *Set
	// described records the rules whose description the standard wrote.
	described map[string]bool
}

func isNull(n *yaml.Node) bool {
	n = deref(n)
	return n.Kind == yaml.ScalarNode && n.Tag == "!!null"
}

// deref follows a YAML alias to what it names.
func deref(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	return n
}

func errAt(n *yaml.Node, rule, field, format string, args ...any) *ParseError {
	return &ParseError{Line: n.Line, Column: n.Column, Rule: rule, Field: field, Message: fmt.Sprintf(format, args...)}
}

// pairs returns a mapping's keys and values, refusing a key written twice.
func pairs(n *yaml.Node, rule, what string) ([]*yaml.Node, []*yaml.Node, error) {
	var keys, values []*yaml.Node
	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], deref(n.Content[i+1])
		if k.Value == "<<" && k.Tag == "!!merge" {
			return nil, nil, errAt(k, rule, "<<", "merge keys (<<) are not supported in %s", what)
		}
		if line, dup := seen[k.Value]; dup {
			if what == "rules" {
				return nil, nil, errAt(k, k.Value, "", "written twice (first on line %d)", line)
			}
			return nil, nil, errAt(k, rule, k.Value, "%s is written twice (first on line %d)", k.Value, line)
		}
		seen[k.Value] = k.Line
		keys, values = append(keys, k), append(values, v)
	}
	return keys, values, nil
}

func (p *parser) extension(ext *yaml.Node) error {
	ext = deref(ext)
	if ext.Kind != yaml.MappingNode {
		return errAt(ext, "", "", "must be an object with window, min-requests and rules")
	}
	keys, values, err := pairs(ext, "", ExtensionKey)
	if err != nil {
		return err
	}
	for i, k := range keys {
		v := values[i]
		switch k.Value {
		case "window":
			w, err := parseWindow(v)
			if err != nil {
				return errAt(v, "", "window", "window %v", err)
			}
			p.set.Window = w
		case "min-requests":
			n, ok := wholeNumber(v)
			if !ok || n < 1 {
				return errAt(v, "", "min-requests", "min-requests must be a whole number of at least 1, got %s", show(v))
			}
			p.set.MinRequests = n
		case "rules":
			if err := p.rules(v); err != nil {
				return err
			}
		default:
			if strings.HasPrefix(k.Value, "x-") {
				continue
			}
			return errAt(k, "", k.Value, "unknown field %q: want window, min-requests or rules", k.Value)
		}
	}
	return nil
}

var windowPattern = regexp.MustCompile(`^(\d+)\s*([dw])$`)

// parseWindow reads "7d", "2w" or a Go duration such as "36h". Rollups
// are hourly, so a window is a whole number of hours.
func parseWindow(n *yaml.Node) (time.Duration, error) {
	bad := fmt.Errorf("must be a duration such as 7d, 2w or 36h, got %s", show(n))
	if n.Kind != yaml.ScalarNode || n.Tag != "!!str" {
		return 0, bad
	}
	s := strings.TrimSpace(n.Value)
	var d time.Duration
	if m := windowPattern.FindStringSubmatch(s); m != nil {
		count, err := strconv.Atoi(m[1])
		if err != nil || count > 3660 {
			return 0, bad
		}
		day := 24 * time.Hour
		if m[2] == "w" {
			day *= 7
		}
		d = time.Duration(count) * day
	} else {
		var err error
		if d, err = time.ParseDuration(s); err != nil {
			return 0, bad
		}
	}
	if d < time.Hour || d%time.Hour != 0 {
		return 0, fmt.Errorf("must be a whole number of hours, at least 1h (traffic is rolled up by the hour), got %s", show(n))
	}
	return d, nil
}

func (p *parser) rules(n *yaml.Node) error {
	if isNull(n) {
		return nil
	}
	if n.Kind != yaml.MappingNode {
		return errAt(n, "", "rules", "rules must be an object of rule names to settings")
	}
	keys, values, err := pairs(n, "", "rules")
	if err != nil {
		return err
	}
	for i, k := range keys {
		name := k.Value
		if strings.TrimSpace(name) == "" {
			return errAt(k, "", "rules", "a rule needs a name")
		}
		if err := p.rule(name, values[i]); err != nil {
			return err
		}
	}
	return nil
}

// ruleFieldList names the settings a rule may have besides other x- fields,
// which are left for other tools.
const ruleFieldList = "metric, min, max, min-share, max-rate, max-ms, max-kb, severity, description, x-steward-category, x-steward-weight, x-steward-how-to-fix"

var thresholdKeys = map[string]bool{"min": true, "max": true, "min-share": true, "max-rate": true, "max-ms": true, "max-kb": true}

func (p *parser) rule(name string, n *yaml.Node) error {
	// Names are unique (pairs refuses a name written twice), so a match
	// is a built-in rule.
	idx := -1
	for i, r := range p.set.Rules {
		if r.Name == name {
			idx = i
		}
	}
	if n.Kind == yaml.ScalarNode {
		if idx < 0 {
			return errAt(n, name, "", "not a built-in rule, so it needs settings: at least a metric and a threshold (built-in rules: %s)", builtinList())
		}
		sev, err := parseSeverity(n, p.set.Rules[idx].Severity)
		if err != nil {
			return errAt(n, name, "severity", "%v", err)
		}
		p.set.Rules[idx].Severity = sev
		return nil
	}
	if n.Kind != yaml.MappingNode {
		return errAt(n, name, "", "must be a severity (error, warn, info, hint, off) or an object of settings")
	}
	keys, values, err := pairs(n, name, "a rule")
	if err != nil {
		return err
	}
	field := map[string]*yaml.Node{}
	var thresholdKey string
	for i, k := range keys {
		switch {
		case thresholdKeys[k.Value]:
			if thresholdKey != "" {
				return errAt(k, name, k.Value, "give one threshold, not both %s and %s", thresholdKey, k.Value)
			}
			thresholdKey = k.Value
		case k.Value == "metric" || k.Value == "severity" || k.Value == "description" ||
			k.Value == "x-steward-category" || k.Value == "x-steward-weight" || k.Value == "x-steward-how-to-fix":
		case strings.HasPrefix(k.Value, "x-"):
			continue
		default:
			return errAt(k, name, k.Value, "unknown field %q: want %s", k.Value, ruleFieldList)
		}
		field[k.Value] = values[i]
	}

	var r Rule
	if idx >= 0 {
		r = p.set.Rules[idx]
	} else {
		r = Rule{Name: name, Severity: rules.Warn, Weight: 1}
	}

	if mn := field["metric"]; mn != nil {
		if mn.Kind != yaml.ScalarNode || mn.Tag != "!!str" {
			return errAt(mn, name, "metric", "metric must be one of %s, got %s", metricList(), show(mn))
		}
		m := Metric(mn.Value)
		info, known := metrics[m]
		switch {
		case r.BuiltIn && m != r.Metric:
			return errAt(mn, name, "metric", "a built-in rule's metric cannot change (it measures %s); give a rule of your own a new name", r.Metric)
		case !known:
			return errAt(mn, name, "metric", "unknown metric %q: want one of %s", mn.Value, metricList())
		case !r.BuiltIn && info.unit == unitCount:
			return errAt(mn, name, "metric", "%s is counted by the drift check %s: configure that rule instead", m, driftRuleOf(m))
		}
		r.Metric = m
	} else if !r.BuiltIn {
		return errAt(n, name, "metric", "metric is required for a rule of your own: one of %s", metricList())
	}

	if thresholdKey != "" {
		tn := field[thresholdKey]
		if r.Metric.IsDrift() {
			return errAt(tn, name, thresholdKey, "a drift check takes no threshold: it is scored by the share of endpoints that pass; set its severity or x-steward-weight instead")
		}
		if want := []string{r.Metric.thresholdKey(), r.Metric.genericKey()}; thresholdKey != want[0] && thresholdKey != want[1] {
			return errAt(tn, name, thresholdKey, "%s does not apply to %s (%s); use %s or %s", thresholdKey, r.Metric, boundWord(r.Metric), want[0], want[1])
		}
		t, err := parseThreshold(r.Metric, tn)
		if err != nil {
			return errAt(tn, name, thresholdKey, "%s %v", thresholdKey, err)
		}
		r.Threshold = t
	} else if !r.BuiltIn {
		return errAt(n, name, r.Metric.thresholdKey(), "a threshold is required: %s (or %s) %s", r.Metric.thresholdKey(), r.Metric.genericKey(), unitHint(r.Metric))
	}

	if sn := field["severity"]; sn != nil {
		sev, err := parseSeverity(sn, r.Severity)
		if err != nil {
			return errAt(sn, name, "severity", "%v", err)
		}
		r.Severity = sev
	}
	if dn := field["description"]; dn != nil {
		if dn.Kind != yaml.ScalarNode || dn.Tag != "!!str" {
			return errAt(dn, name, "description", "description must be a string")
		}
		r.Description = dn.Value
		p.described[name] = true
	}
	if cn := field["x-steward-category"]; cn != nil {
		c := rules.Category(cn.Value)
		if cn.Kind != yaml.ScalarNode || !validCategory(c) {
			return errAt(cn, name, "x-steward-category", "x-steward-category must be one of security, design, documentation, performance, governance, got %s", show(cn))
		}
		r.Category = c
	} else if !r.BuiltIn {
		r.Category = metrics[r.Metric].category
	}
	if wn := field["x-steward-weight"]; wn != nil {
		w, ok := number(wn)
		if !ok || w < 0 {
			return errAt(wn, name, "x-steward-weight", "x-steward-weight must be a number of at least 0, got %s", show(wn))
		}
		r.Weight = w
	}
	if hn := field["x-steward-how-to-fix"]; hn != nil {
		if hn.Kind != yaml.ScalarNode || hn.Tag != "!!str" {
			return errAt(hn, name, "x-steward-how-to-fix", "x-steward-how-to-fix must be a string")
		}
		r.HowToFix = hn.Value
	} else if !r.BuiltIn {
		r.HowToFix = metrics[r.Metric].howToFix
	}

	if idx >= 0 {
		p.set.Rules[idx] = r
	} else {
		p.set.Rules = append(p.set.Rules, r)
	}
	return nil
}

// parseThreshold reads a share or rate (a fraction from 0 to 1, or a
// percentage string such as "99%") or a positive number of ms or KB.
func parseThreshold(m Metric, n *yaml.Node) (float64, error) {
	switch metrics[m].unit {
	case unitShare, unitRate:
		bad := errors.New("must be a number from 0 to 1 or a percentage such as 99%, got " + show(n))
		if n.Kind == yaml.ScalarNode && n.Tag == "!!str" && strings.HasSuffix(strings.TrimSpace(n.Value), "%") {
			pct, err := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(n.Value), "%")), 64)
			if err != nil || math.IsNaN(pct) || pct < 0 || pct > 100 {
				return 0, bad
			}
			return pct / 100, nil
		}
		v, ok := number(n)
		if !ok || v < 0 || v > 1 {
			return 0, bad
		}
		return v, nil
	}
	v, ok := number(n)
	if !ok || v <= 0 {
		return 0, errors.New("must be a positive number, got " + show(n))
	}
	return v, nil
}

// number reads a YAML int or float (not a quoted string, not a bool).
func number(n *yaml.Node) (float64, bool) {
	if n.Kind != yaml.ScalarNode || (n.Tag != "!!int" && n.Tag != "!!float") {
		return 0, false
	}
	var v float64
	if err := n.Decode(&v); err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, false
	}
	return v, true
}

func wholeNumber(n *yaml.Node) (int64, bool) {
	if n.Kind != yaml.ScalarNode || n.Tag != "!!int" {
		if v, ok := number(n); ok && v == math.Trunc(v) && math.Abs(v) < 1<<53 {
			return int64(v), true
		}
		return 0, false
	}
	var v int64
	if err := n.Decode(&v); err != nil {
		return 0, false
	}
	return v, true
}

// parseSeverity reads a severity as rulesets write it: a name, a number
// 0-3 (-1 for off), or a boolean (true keeps the current severity, false
// turns the rule off), like rules.ParseSeverity.
func parseSeverity(n *yaml.Node, current rules.Severity) (rules.Severity, error) {
	if n.Kind == yaml.ScalarNode {
		switch n.Tag {
		case "!!str":
			switch strings.ToLower(strings.TrimSpace(n.Value)) {
			case "error":
				return rules.Error, nil
			case "warn", "warning":
				return rules.Warn, nil
			case "info", "information":
				return rules.Info, nil
			case "hint":
				return rules.Hint, nil
			case "off":
				return rules.Off, nil
			}
		case "!!int":
			if v, ok := wholeNumber(n); ok && v >= -1 && v <= 3 {
				return rules.Severity(v), nil
			}
		case "!!bool":
			var b bool
			if n.Decode(&b) == nil {
				if b {
					if current == rules.Off {
						return rules.Warn, nil
					}
					return current, nil
				}
				return rules.Off, nil
			}
		}
	}
	return rules.Off, fmt.Errorf("severity must be error, warn, info, hint or off, got %s", show(n))
}

func validCategory(c rules.Category) bool {
	switch c {
	case rules.Security, rules.Design, rules.Documentation, rules.Performance, rules.Governance:
		return true
	}
	return false
}

// show writes a YAML value for an error message.
func show(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "an object"
	case yaml.SequenceNode:
		return "a list"
	}
	if n.Tag == "!!str" {
		return strconv.Quote(n.Value)
	}
	if n.Tag == "!!null" {
		return "nothing"
	}
	return n.Value
}

func boundWord(m Metric) string {
	if m.Bound() == AtLeast {
		return "higher is better, so it takes a minimum"
	}
	return "lower is better, so it takes a maximum"
}

func unitHint(m Metric) string {
	switch metrics[m].unit {
	case unitShare, unitRate:
		return "as a number from 0 to 1 or a percentage such as 99%"
	case unitMS:
		return "in milliseconds"
	case unitKB:
		return "in KB"
	}
	return ""
}

func metricList() string {
	var b bytes.Buffer
	for i, m := range metricOrder {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(string(m))
	}
	return b.String()
}

func builtinList() string {
	var names []string
	for _, r := range builtins() {
		names = append(names, r.Name)
	}
	return strings.Join(names, ", ")
}

func driftRuleOf(m Metric) string {
	for _, r := range builtins() {
		if r.Metric == m {
			return r.Name
		}
	}
	return ""
}
