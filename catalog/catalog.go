// Package catalog holds Steward's catalogue vocabulary: lifecycle stages,
// API kinds and visibilities, slugs, validation of what people type into the
// catalogue, and the errors every layer maps to a status. It knows nothing of
// HTTP or SQL, so the web handlers, the JSON API, the importer and the demo
// seeder all share one set of rules.
package catalog

import (
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"
)

// Sentinel errors the storage and domain layers wrap; the HTTP layer maps
// them to statuses in one table.
var (
	// ErrNotFound means the object asked for does not exist.
	ErrNotFound = errors.New("not found")
	// ErrConflict means the change collides with existing data (a taken slug).
	ErrConflict = errors.New("conflict")
	// ErrForbidden means the actor may not do this.
	ErrForbidden = errors.New("forbidden")
	// ErrInvalid means the input was rejected; see ValidationError for fields.
	ErrInvalid = errors.New("invalid input")
)

// ValidationError carries one message per form field so a form can be shown
// again with each message next to its field.
type ValidationError struct {
	Fields map[string]string
}

// Error lists the field messages in a stable order.
func (e *ValidationError) Error() string {
	keys := make([]string, 0, len(e.Fields))
	for k := range e.Fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, k+": "+e.Fields[k])
	}
	return "invalid input: " + strings.Join(parts, "; ")
}

// Unwrap lets errors.Is(err, ErrInvalid) match.
func (e *ValidationError) Unwrap() error { return ErrInvalid }

// Add records a message for field unless it already has one.
func (e *ValidationError) Add(field, msg string) {
	if e.Fields == nil {
		e.Fields = map[string]string{}
	}
	if _, ok := e.Fields[field]; !ok {
		e.Fields[field] = msg
	}
}

// OrNil returns nil when no field failed, so callers can `return v.OrNil()`.
func (e *ValidationError) OrNil() error {
	if e == nil || len(e.Fields) == 0 {
		return nil
	}
	return e
}

// FieldError builds a one-field validation error.
func FieldError(field, msg string) error {
	v := &ValidationError{}
	v.Add(field, msg)
	return v
}

// Stage is a version's lifecycle stage.
type Stage string

// The lifecycle stages in the order a version normally moves through them.
const (
	StageDesign      Stage = "design"
	StageDevelopment Stage = "development"
	StageTesting     Stage = "testing"
	StagePreview     Stage = "preview"
	StageProduction  Stage = "production"
	StageDeprecated  Stage = "deprecated"
	StageRetired     Stage = "retired"
)

// Stages lists every stage in lifecycle order.
var Stages = []Stage{StageDesign, StageDevelopment, StageTesting, StagePreview, StageProduction, StageDeprecated, StageRetired}

// Kind is the protocol family of an API.
type Kind string

// The API kinds Steward catalogues.
const (
	KindREST     Kind = "rest"
	KindGraphQL  Kind = "graphql"
	KindGRPC     Kind = "grpc"
	KindAsyncAPI Kind = "asyncapi"
)

// Kinds lists every kind.
var Kinds = []Kind{KindREST, KindGraphQL, KindGRPC, KindAsyncAPI}

// Label is the kind as people write it.
func (k Kind) Label() string {
	switch k {
	case KindREST:
		return "REST"
	case KindGraphQL:
		return "GraphQL"
	case KindGRPC:
		return "gRPC"
	case KindAsyncAPI:
		return "AsyncAPI"
	}
	return string(k)
}

// Visibility says who may call an API.
type Visibility string

// The visibilities, from the narrowest audience to the widest.
const (
	VisibilityInternal Visibility = "internal"
	VisibilityPartner  Visibility = "partner"
	VisibilityPublic   Visibility = "public"
)

// Visibilities lists every visibility.
var Visibilities = []Visibility{VisibilityInternal, VisibilityPartner, VisibilityPublic}

// ParseStage accepts a stage name in any case.
func ParseStage(s string) (Stage, bool) {
	return parseEnum(s, Stages)
}

// ParseKind accepts a kind by value or label in any case ("REST", "grpc").
func ParseKind(s string) (Kind, bool) {
	return parseEnum(s, Kinds)
}

// ParseVisibility accepts a visibility in any case.
func ParseVisibility(s string) (Visibility, bool) {
	return parseEnum(s, Visibilities)
}

func parseEnum[T ~string](s string, all []T) (T, bool) {
	s = strings.ToLower(strings.TrimSpace(s))
	for _, v := range all {
		if string(v) == s {
			return v, true
		}
	}
	var zero T
	return zero, false
}

// MaxSlugLength bounds slugs so they fit URLs and indexes comfortably.
const MaxSlugLength = 63

var slugPattern = regexp.MustCompile(`^[a-z0-9]+(?:-[a-z0-9]+)*$`)

// ValidSlug reports whether s is a URL-safe lower-case slug.
func ValidSlug(s string) bool {
	return len(s) <= MaxSlugLength && slugPattern.MatchString(s)
}

// Slugify turns a display name into a slug: "Payments API v2" → "payments-api-v2".
func Slugify(name string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(name) {
		switch {
		case r >= 'a' && r <= 'z' || r >= '0' && r <= '9':
			b.WriteRune(r)
			dash = false
		case b.Len() > 0 && !dash:
			b.WriteByte('-')
			dash = true
		}
	}
	s := strings.TrimRight(b.String(), "-")
	if len(s) > MaxSlugLength {
		s = strings.TrimRight(s[:MaxSlugLength], "-")
	}
	return s
}

// NormalizeTags trims, lower-cases, de-duplicates and sorts tags, dropping
// empty ones; tags are matched exactly in filters, so one spelling matters.
func NormalizeTags(tags []string) []string {
	seen := map[string]bool{}
	out := []string{}
	for _, t := range tags {
		t = strings.ToLower(strings.TrimSpace(t))
		t = strings.Join(strings.Fields(t), "-")
		if t == "" || seen[t] {
			continue
		}
		seen[t] = true
		out = append(out, t)
	}
	sort.Strings(out)
	return out
}

// SplitTags reads a comma- or space-separated tag list as typed in a form.
func SplitTags(s string) []string {
	return NormalizeTags(strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '\n' || r == '\t' }))
}

func checkLength(v *ValidationError, field, value string, max int) {
	if n := len([]rune(value)); n > max {
		v.Add(field, fmt.Sprintf("must be at most %d characters (it has %d)", max, n))
	}
}

// Actor is who makes a change and from where, recorded with every change.
type Actor struct {
	Name      string // user name or email; "system" for jobs, "demo" for the seeder
	Token     string // API token name when the change came through a token
	RequestID string
	ClientIP  string
}

// SystemActor is the actor for changes Steward makes by itself.
func SystemActor(what string) Actor { return Actor{Name: "system:" + what} }
