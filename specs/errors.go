package specs

import (
	"fmt"
	"strings"
)

// ErrorKind classifies why a spec was rejected, so callers can map it to a
// status or a hint without parsing messages.
type ErrorKind string

// The kinds of rejection Parse reports.
const (
	// ErrTooLarge means the input is bigger than Limits.MaxBytes.
	ErrTooLarge ErrorKind = "too_large"
	// ErrEncoding means the input is not valid UTF-8.
	ErrEncoding ErrorKind = "invalid_encoding"
	// ErrSyntax means the input is not well-formed JSON or YAML.
	ErrSyntax ErrorKind = "syntax"
	// ErrNotOpenAPI means the input is JSON or YAML but not an OpenAPI
	// description Steward can read.
	ErrNotOpenAPI ErrorKind = "not_openapi"
	// ErrTooDeep means objects and arrays nest deeper than Limits.MaxDepth.
	ErrTooDeep ErrorKind = "too_deep"
	// ErrAliases means the YAML uses more anchors or alias expansions than
	// Limits.MaxAliases allows.
	ErrAliases ErrorKind = "too_many_aliases"
	// ErrCircular means $ref pointers form a loop with no schema in between.
	ErrCircular ErrorKind = "circular_ref"
	// ErrTimeout means parsing ran past Limits.Timeout or the caller gave up.
	ErrTimeout ErrorKind = "timeout"
	// ErrInvalid means the document could not be turned into a model.
	ErrInvalid ErrorKind = "invalid"
)

// Problem is one located issue in a spec. Line and Column are 1-based and 0
// when unknown.
type Problem struct {
	Line    int    `json:"line"`
	Column  int    `json:"column"`
	Message string `json:"message"`
}

// String renders the problem with its position, the way an editor would,
// unless the message already ends by naming its line.
func (p Problem) String() string {
	switch {
	case p.Line > 0 && strings.HasSuffix(p.Message, fmt.Sprintf("at line %d", p.Line)):
		return p.Message
	case p.Line > 0 && p.Column > 0:
		return fmt.Sprintf("line %d, column %d: %s", p.Line, p.Column, p.Message)
	case p.Line > 0:
		return fmt.Sprintf("line %d: %s", p.Line, p.Message)
	default:
		return p.Message
	}
}

// ParseError is returned for every rejected spec: a person must be able to
// act on Error() and Problems.
type ParseError struct {
	Kind     ErrorKind
	Problems []Problem
	// Limit is the limit that was exceeded, when the rejection is about one
	// (bytes, depth, aliases, or the timeout in milliseconds).
	Limit int64
	// Cause is the underlying error when there is one worth matching with
	// errors.Is, such as context.Canceled.
	Cause error
}

// Error joins the problems into one sentence-like message; the first problem
// is the one that stopped parsing.
func (e *ParseError) Error() string {
	if len(e.Problems) == 0 {
		return "specs: " + string(e.Kind)
	}
	const shown = 3
	var b strings.Builder
	b.WriteString("specs: ")
	for i, p := range e.Problems {
		if i == shown {
			fmt.Fprintf(&b, "; and %d more", len(e.Problems)-shown)
			break
		}
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(p.String())
	}
	return b.String()
}

// Unwrap exposes Cause so errors.Is(err, context.Canceled) works.
func (e *ParseError) Unwrap() error { return e.Cause }

// Line returns the line of the first problem, or 0; handy for highlighting.
func (e *ParseError) Line() int {
	if len(e.Problems) == 0 {
		return 0
	}
	return e.Problems[0].Line
}

func reject(kind ErrorKind, line, col int, format string, args ...any) *ParseError {
	return &ParseError{Kind: kind, Problems: []Problem{{Line: line, Column: col, Message: fmt.Sprintf(format, args...)}}}
}
