package catalog

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Page sizes for catalogue listings.
const (
	DefaultPageSize = 25
	MaxPageSize     = 100
)

// Sort orders a catalogue listing may use.
const (
	SortName    = "name"
	SortUpdated = "updated"
	SortTeam    = "team"
)

// ListQuery is a catalogue search: free text, filters, order and a page.
// The same struct backs the HTML catalogue and GET /api/v1/apis, so both
// answer the same question the same way.
type ListQuery struct {
	Text       string
	Team       string // team slug
	Stage      Stage
	Kind       Kind
	Tag        string
	Visibility Visibility
	Grade      string // "A".."F", or "none" for APIs not scored yet
	// Zombie keeps the APIs with a version the zombie job found silent.
	Zombie bool
	Sort   string
	Limit  int
	Offset int
}

// Normalize clamps paging, drops unknown enum values and defaults the order.
// It returns a ValidationError naming a filter that holds an unknown value,
// so a typo in a URL is reported rather than silently ignored.
func (q *ListQuery) Normalize() error {
	v := &ValidationError{}
	q.Text = strings.TrimSpace(q.Text)
	if len(q.Text) > 200 {
		v.Add("q", "search text must be at most 200 characters")
	}
	q.Team = strings.TrimSpace(q.Team)
	q.Tag = strings.ToLower(strings.TrimSpace(q.Tag))
	if q.Stage != "" {
		if s, ok := ParseStage(string(q.Stage)); ok {
			q.Stage = s
		} else {
			v.Add("stage", "unknown stage "+quote(string(q.Stage)))
		}
	}
	if q.Kind != "" {
		if k, ok := ParseKind(string(q.Kind)); ok {
			q.Kind = k
		} else {
			v.Add("kind", "unknown kind "+quote(string(q.Kind)))
		}
	}
	if q.Visibility != "" {
		if vis, ok := ParseVisibility(string(q.Visibility)); ok {
			q.Visibility = vis
		} else {
			v.Add("visibility", "unknown visibility "+quote(string(q.Visibility)))
		}
	}
	switch g := strings.ToUpper(strings.TrimSpace(q.Grade)); g {
	case "":
	case "A", "B", "C", "D", "F":
		q.Grade = g
	case "NONE":
		q.Grade = "none"
	default:
		v.Add("grade", "grade must be A, B, C, D, F or none")
	}
	switch q.Sort {
	case "":
		q.Sort = SortName
	case SortName, SortUpdated, SortTeam:
	default:
		v.Add("sort", "sort by name, updated or team")
	}
	if q.Limit <= 0 {
		q.Limit = DefaultPageSize
	}
	if q.Limit > MaxPageSize {
		q.Limit = MaxPageSize
	}
	if q.Offset < 0 {
		q.Offset = 0
	}
	return v.OrNil()
}

func quote(s string) string { return "“" + s + "”" }

// MaxTermLength bounds indexed and searched words; longer ones are cut.
const MaxTermLength = 40

// cutTerm shortens w to at most MaxTermLength bytes without splitting a
// character: a cut rune would be invalid UTF-8, which PostgreSQL refuses.
func cutTerm(w string) string {
	if len(w) <= MaxTermLength {
		return w
	}
	cut := MaxTermLength
	for cut > 0 && !utf8.RuneStart(w[cut]) {
		cut--
	}
	return w[:cut]
}

// SearchTerms splits search text into lower-case words. Every word must
// match the start of some indexed word of an API for it to be found.
func SearchTerms(text string) []string {
	seen := map[string]bool{}
	var out []string
	for _, w := range words(text) {
		w = cutTerm(strings.ToLower(w))
		if !seen[w] {
			seen[w] = true
			out = append(out, w)
		}
	}
	return out
}

// IndexTerms returns the distinct words under which an API is found: every
// word of the given texts, and the parts of camelCase and snake_case words,
// so "getPetById" is found by "pet" as well as by "getpet".
func IndexTerms(texts ...string) []string {
	seen := map[string]bool{}
	var out []string
	add := func(w string) {
		w = cutTerm(strings.ToLower(w))
		if len(w) < 2 || seen[w] {
			return
		}
		seen[w] = true
		out = append(out, w)
	}
	for _, t := range texts {
		for _, w := range words(t) {
			add(w)
			for _, part := range camelParts(w) {
				add(part)
			}
		}
	}
	return out
}

// words splits on anything that is not a letter or digit.
func words(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
}

// camelParts splits "getPetByID" into get, Pet, By, ID; a word with no case
// change yields nothing, since the whole word is indexed already.
func camelParts(w string) []string {
	runes := []rune(w)
	var parts []string
	start := 0
	for i := 1; i < len(runes); i++ {
		prev, cur := runes[i-1], runes[i]
		next := rune(0)
		if i+1 < len(runes) {
			next = runes[i+1]
		}
		boundary := unicode.IsLower(prev) && unicode.IsUpper(cur) ||
			unicode.IsUpper(prev) && unicode.IsUpper(cur) && unicode.IsLower(next) ||
			unicode.IsLetter(prev) != unicode.IsLetter(cur)
		if boundary {
			parts = append(parts, string(runes[start:i]))
			start = i
		}
	}
	if start == 0 {
		return nil
	}
	return append(parts, string(runes[start:]))
}
