// Package breaking classifies the changes between two revisions of an OpenAPI
// description as breaking, potentially breaking or compatible.
//
// The checks themselves come from oasdiff (see README.md); this package loads
// both revisions, runs every check, and turns the result into Steward's own
// small vocabulary so that callers (the spec upload flow, `steward diff` in CI)
// never depend on the library's types.
package breaking

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// Level is how much a change can hurt existing clients; higher is worse.
type Level int

// The levels, in increasing order of severity.
const (
	Info     Level = iota // compatible
	Warning               // potentially breaking: a person should look
	Breaking              // breaks existing clients
)

var levelNames = [...]string{Info: "info", Warning: "warning", Breaking: "breaking"}

// String returns "info", "warning" or "breaking".
func (l Level) String() string {
	if l < Info || l > Breaking {
		return fmt.Sprintf("Level(%d)", int(l))
	}
	return levelNames[l]
}

// ParseLevel reads a level from its String form.
func ParseLevel(s string) (Level, error) {
	for l, name := range levelNames {
		if strings.EqualFold(s, name) {
			return Level(l), nil
		}
	}
	return Info, fmt.Errorf("breaking: unknown level %q (want info, warning or breaking)", s)
}

// MarshalText writes the level by name so JSON reports read "breaking", not 2.
func (l Level) MarshalText() ([]byte, error) {
	if l < Info || l > Breaking {
		return nil, fmt.Errorf("breaking: invalid level %d", int(l))
	}
	return []byte(l.String()), nil
}

// UnmarshalText reads a level written by MarshalText.
func (l *Level) UnmarshalText(b []byte) error {
	parsed, err := ParseLevel(string(b))
	if err != nil {
		return err
	}
	*l = parsed
	return nil
}

// Location is where a change sits in one revision. Path is a JSON pointer
// into that revision's document ("/paths/~1pets/get/parameters/1"); Line and
// Column are 1-based. When the changed element is absent from a revision (an
// added parameter has no old place) the location is that of its operation, if
// the revision has it; a field is zero when nothing could be found.
type Location struct {
	Path   string `json:"path,omitempty"`
	Line   int    `json:"line,omitempty"`
	Column int    `json:"column,omitempty"`
}

// IsZero reports whether nothing is known about the location.
func (l Location) IsZero() bool { return l == Location{} }

// Change is one classified difference between two revisions.
type Change struct {
	// ID is the stable identifier of the check that found the change, such as
	// "api-path-removed-without-deprecation"; waivers and filters key on it.
	ID    string `json:"id"`
	Level Level  `json:"level"`
	// Operation is "GET /pets", or "" for a change to the document as a whole.
	Operation string   `json:"operation,omitempty"`
	Text      string   `json:"text"`
	Old       Location `json:"old,omitzero"`
	New       Location `json:"new,omitzero"`
}

// Report is every change found between two revisions, worst first.
type Report struct {
	// Changes are sorted breaking first, then warning, then info; within a
	// level by path and method, document-wide changes first.
	Changes []Change `json:"changes"`
}

// Worst returns the highest level among the changes, Info when there are none.
func (r Report) Worst() Level {
	worst := Info
	for _, c := range r.Changes {
		worst = max(worst, c.Level)
	}
	return worst
}

// Count returns how many changes have exactly level l.
func (r Report) Count(l Level) int {
	n := 0
	for _, c := range r.Changes {
		if c.Level == l {
			n++
		}
	}
	return n
}

// sortChanges puts the changes in Report order. Operations are compared by
// path before method so all changes to one endpoint stay together.
func sortChanges(changes []Change) {
	slices.SortStableFunc(changes, func(a, b Change) int {
		if c := cmp.Compare(b.Level, a.Level); c != 0 {
			return c
		}
		aMethod, aPath, _ := strings.Cut(a.Operation, " ")
		bMethod, bPath, _ := strings.Cut(b.Operation, " ")
		return cmp.Or(
			cmp.Compare(aPath, bPath),
			cmp.Compare(aMethod, bMethod),
			cmp.Compare(a.ID, b.ID),
			cmp.Compare(a.Text, b.Text),
		)
	})
}
