package ingest

import "fmt"

// ErrorKind classifies why input was refused, so the HTTP layer can map it
// to a status without parsing messages. It is an error itself, so
// errors.Is(err, ingest.ErrTooLarge) works on any error the package returns.
type ErrorKind string

// The kinds of refusal.
const (
	// ErrTooLarge means the input is over a size limit (map it to 413).
	ErrTooLarge ErrorKind = "too_large"
	// ErrMalformed means the input is not what its format says it is (400).
	ErrMalformed ErrorKind = "malformed"
	// ErrUnsupported means a content encoding or media type Steward does
	// not read (415).
	ErrUnsupported ErrorKind = "unsupported"
)

// Error makes ErrorKind an error so it can be matched with errors.Is.
func (k ErrorKind) Error() string { return "ingest: " + string(k) }

// Error is what every decoder and ReadBody return for input they refuse.
// Error() names the format and a reason the sender can act on.
type Error struct {
	// Format is the input's format: "body", "treblle", "otlp", "nginx",
	// "kong" or "envoy".
	Format string
	// Kind says why, for mapping to a status.
	Kind ErrorKind
	// Reason is the sentence for people, without the "ingest: format:"
	// prefix, so a handler can return it as is.
	Reason string
	// Limit is the limit that was exceeded, for ErrTooLarge.
	Limit int64
}

// Error returns "ingest: <format>: <reason>".
func (e *Error) Error() string { return "ingest: " + e.Format + ": " + e.Reason }

// Is reports whether target is e's kind.
func (e *Error) Is(target error) bool {
	k, ok := target.(ErrorKind)
	return ok && k == e.Kind
}

func malformed(format, reason string, args ...any) error {
	return &Error{Format: format, Kind: ErrMalformed, Reason: fmt.Sprintf(reason, args...)}
}
