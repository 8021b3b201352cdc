// Package rules is Steward's rule engine: it reads Spectral-compatible
// rulesets (plus Steward's per-rule category, weight and how-to-fix), and
// lints OpenAPI documents with them, reporting findings with their JSON path
// and source range. It is pure domain code: no HTTP, no SQL.
package rules

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/steward-governance/steward/rules/doc"
)

// Severity is how serious a finding is. The numbers are Spectral's.
type Severity int

// The severities, with Spectral's numbering; Off disables a rule.
const (
	Off   Severity = -1
	Error Severity = 0
	Warn  Severity = 1
	Info  Severity = 2
	Hint  Severity = 3
)

// String returns the name used in rulesets.
func (s Severity) String() string {
	switch s {
	case Error:
		return "error"
	case Warn:
		return "warn"
	case Info:
		return "info"
	case Hint:
		return "hint"
	}
	return "off"
}

// ParseSeverity reads a severity as rulesets write it: a name, a number 0-3
// (-1 for off) or a boolean (true keeps the default, false turns it off).
func ParseSeverity(n *doc.Node, def Severity) (Severity, error) {
	switch n.Kind {
	case doc.String:
		switch strings.ToLower(n.Value) {
		case "error":
			return Error, nil
		case "warn", "warning":
			return Warn, nil
		case "info", "information":
			return Info, nil
		case "hint":
			return Hint, nil
		case "off":
			return Off, nil
		}
	case doc.Number:
		if n.IsInteger() && n.Num >= -1 && n.Num <= 3 {
			return Severity(int(n.Num)), nil
		}
	case doc.Bool:
		if n.Value == "true" {
			return def, nil
		}
		return Off, nil
	}
	return Off, fmt.Errorf("invalid severity %s: want error, warn, info, hint, off or 0-3", describe(n))
}

// Category groups rules for scoring.
type Category string

// The categories Steward scores.
const (
	Security      Category = "security"
	Design        Category = "design"
	Documentation Category = "documentation"
	Performance   Category = "performance"
	Governance    Category = "governance"
)

// categoryList names the categories for error messages.
const categoryList = "security, design, documentation, performance, governance"

func validCategory(c string) bool {
	switch Category(c) {
	case Security, Design, Documentation, Performance, Governance:
		return true
	}
	return false
}

// Format is a document format a rule applies to.
type Format string

// The formats the engine recognises.
const (
	OAS2   Format = "oas2"
	OAS3   Format = "oas3"
	OAS3_0 Format = "oas3_0"
	OAS3_1 Format = "oas3_1"
)

var knownFormats = map[string]bool{"oas2": true, "oas3": true, "oas3_0": true, "oas3_1": true, "oas3_2": true}

// Formats is the set of formats a document has.
type Formats map[Format]bool

// DetectFormats works out what a document is from its version field.
func DetectFormats(root *doc.Node) Formats {
	f := Formats{}
	if root == nil || root.Kind != doc.Object {
		return f
	}
	if s := root.Get("swagger"); s != nil && (s.Value == "2.0" || s.Kind == doc.Number && s.Num == 2) {
		f[OAS2] = true
	}
	if o := root.Get("openapi"); o != nil && o.Kind == doc.String {
		switch {
		case strings.HasPrefix(o.Value, "3.0"):
			f[OAS3], f[OAS3_0] = true, true
		case strings.HasPrefix(o.Value, "3.1"):
			f[OAS3], f[OAS3_1] = true, true
		case strings.HasPrefix(o.Value, "3.2"):
			f[OAS3], f["oas3_2"] = true, true
		}
	}
	return f
}

// key names the format combination for caching per-format expansions.
func (f Formats) key() string {
	switch {
	case f[OAS2]:
		return "oas2"
	case f[OAS3_0]:
		return "oas3_0"
	case f[OAS3_1]:
		return "oas3_1"
	case f["oas3_2"]:
		return "oas3_2"
	case f[OAS3]:
		return "oas3"
	}
	return ""
}

// allFormatKeys are the combinations aliases are expanded for ahead of time.
var allFormatKeys = []Formats{
	{OAS2: true},
	{OAS3: true, OAS3_0: true},
	{OAS3: true, OAS3_1: true},
	{OAS3: true, "oas3_2": true},
	{},
}

func (f Formats) matchesAny(list []Format) bool {
	if len(list) == 0 {
		return true
	}
	for _, x := range list {
		if f[x] {
			return true
		}
	}
	return false
}

// Finding is one problem a rule found.
type Finding struct {
	Code     string
	Message  string
	Severity Severity
	// Path is where the problem is in the source document, as segments.
	Path []string
	// Range is the source text the finding covers (1-based lines/columns).
	Range    doc.Range
	Category Category
	Weight   float64
}

// PathString renders the finding's path as a JSON pointer.
func (f Finding) PathString() string { return doc.EscapePointer(f.Path) }

func describe(n *doc.Node) string {
	switch n.Kind {
	case doc.String:
		return strconv.Quote(n.Value)
	case doc.Object, doc.Array:
		return "an " + n.Kind.String()
	}
	return n.Value
}
