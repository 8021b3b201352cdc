package kong

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
)

// Error is a failed call to the Kong Admin API, or a Client that cannot make
// one. Its message names what failed, Kong's answer and what a person can do
// about it; it never contains the admin token.
type Error struct {
	// Op is what the client was doing, such as "list routes (page 3)".
	Op string
	// URL is the request URL without its query or credentials; empty when
	// the client configuration is at fault.
	URL string
	// StatusCode is the HTTP status Kong answered with, or 0 when no answer
	// arrived.
	StatusCode int
	// Message is the "message" field of Kong's error body, when it sent one.
	Message string
	// Hint says what to check or change.
	Hint string
	// Retryable reports whether the same call may succeed later unchanged:
	// network failures, 429 and 5xx answers.
	Retryable bool
	// Err is the underlying cause, if any.
	Err error
}

// Error returns the message for a person reading a log or a sync status.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("kong: ")
	b.WriteString(e.Op)
	if e.URL != "" {
		b.WriteString(" from ")
		b.WriteString(e.URL)
	}
	if e.StatusCode != 0 {
		fmt.Fprintf(&b, ": HTTP %d %s", e.StatusCode, http.StatusText(e.StatusCode))
	}
	if e.Message != "" {
		fmt.Fprintf(&b, ": Kong says %q", e.Message)
	}
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	if e.Hint != "" {
		b.WriteString("; ")
		b.WriteString(e.Hint)
	}
	return b.String()
}

// Unwrap returns the underlying cause, so errors.Is finds context.Canceled
// and the like.
func (e *Error) Unwrap() error { return e.Err }

// IsRetryable reports whether err is a Kong Admin API failure that may go
// away if the same Fetch is tried again later: a network failure, or a 429
// or 5xx answer. Configuration and credential problems are not retryable.
func IsRetryable(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Retryable
}

const redacted = "[REDACTED]"

// redactedError hides a secret in an underlying error's text while keeping
// the chain intact for errors.Is and errors.As.
type redactedError struct {
	msg string
	err error
}

func (r *redactedError) Error() string { return r.msg }
func (r *redactedError) Unwrap() error { return r.err }

// redactSecret removes secret from everything err would print. Kong does
// not echo tokens back, but proxies in front of it and transport errors are
// not ours to trust, and an error string ends up in logs and on pages.
func redactSecret(err error, secret string) error {
	if err == nil || secret == "" {
		return err
	}
	var e *Error
	if !errors.As(err, &e) {
		if msg := err.Error(); strings.Contains(msg, secret) {
			return &redactedError{msg: strings.ReplaceAll(msg, secret, redacted), err: err}
		}
		return err
	}
	e.Op = strings.ReplaceAll(e.Op, secret, redacted)
	e.URL = strings.ReplaceAll(e.URL, secret, redacted)
	e.Message = strings.ReplaceAll(e.Message, secret, redacted)
	e.Hint = strings.ReplaceAll(e.Hint, secret, redacted)
	if e.Err != nil {
		if msg := e.Err.Error(); strings.Contains(msg, secret) {
			e.Err = &redactedError{msg: strings.ReplaceAll(msg, secret, redacted), err: e.Err}
		}
	}
	return err
}
