// Package specs parses and inspects OpenAPI descriptions uploaded to
// Steward. Every input is untrusted: size, nesting, YAML aliases and
// wall-clock time are bounded before and while libopenapi builds a model, and
// every rejection is a *ParseError a person can act on.
package specs

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"runtime/debug"
)

// Format is the serialization a spec was written in.
type Format string

// The formats Parse recognises.
const (
	// FormatJSON is chosen when the first non-space byte is "{".
	FormatJSON Format = "json"
	// FormatYAML is everything else.
	FormatYAML Format = "yaml"
)

// Endpoint is one operation: a method on a path.
type Endpoint struct {
	Method      string // upper case: GET, PUT, POST, DELETE, OPTIONS, HEAD, PATCH, TRACE
	Path        string
	OperationID string
	Summary     string
	Deprecated  bool
	Tags        []string
}

// Parsed is the catalogue view of an accepted spec.
type Parsed struct {
	Format      Format
	SpecVersion string // exactly as written: "2.0", "3.0.3", "3.1.0"
	Family      string // FamilyOAS2, FamilyOAS3_0 or FamilyOAS3_1
	Title       string
	APIVersion  string
	Description string
	Servers     []string   // server URLs (for 2.0: scheme://host+basePath)
	Tags        []string   // declared tags, in declaration order
	Endpoints   []Endpoint // sorted by path, then method in methodOrder
	Hash        string     // hex sha256 of the raw bytes
	Warnings    []Problem  // non-fatal issues, such as references that do not resolve
}

// Hash returns the hex SHA-256 of data; specs are identified by content so
// re-uploading the same bytes can be recognised.
func Hash(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

// Parse checks data against limits and, if it is an OpenAPI 2.0, 3.0 or 3.1
// description, returns its catalogue view. Every rejection is a *ParseError.
//
// When the timeout fires, Parse returns at once, but libopenapi cannot be
// interrupted: its goroutine finishes in the background and its result is
// dropped. Callers should bound how many parses run at once.
func Parse(ctx context.Context, data []byte, limits Limits) (*Parsed, error) {
	a, err := analyze(ctx, data, limits, false)
	if err != nil {
		return nil, err
	}
	return a.parsed, nil
}

// analysis is the result of one parse, shared by Parse and Describe so a
// call never parses twice.
type analysis struct {
	parsed   *Parsed
	document *Document
}

var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// modelBuilder is a variable only so tests can stand in a library that
// panics or hangs and prove Parse survives both.
var modelBuilder = buildModel

func analyze(parent context.Context, data []byte, limits Limits, describe bool) (*analysis, error) {
	limits = limits.withDefaults()
	if int64(len(data)) > limits.MaxBytes {
		perr := reject(ErrTooLarge, 0, 0, "the file is %s, larger than the %s limit", humanBytes(int64(len(data))), humanBytes(limits.MaxBytes))
		perr.Limit = limits.MaxBytes
		return nil, perr
	}
	ctx, cancel := context.WithTimeout(parent, limits.Timeout)
	defer cancel()
	if ctx.Err() != nil {
		return nil, timeoutError(parent, ctx, limits)
	}

	if perr := checkEncoding(data); perr != nil {
		return nil, perr
	}
	// A BOM is legal in UTF-8 files from some editors but trips the JSON
	// decoder; line numbers are unaffected by dropping it.
	body := bytes.TrimPrefix(data, utf8BOM)
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 {
		return nil, reject(ErrSyntax, 0, 0, "the file is empty")
	}

	parsed := &Parsed{Hash: Hash(data)}
	var top topLevel
	var perr *ParseError
	if trimmed[0] == '{' {
		parsed.Format = FormatJSON
		top, perr = prepassJSON(body, limits.MaxDepth)
	} else {
		parsed.Format = FormatYAML
		top, perr = prepassYAML(body, limits)
	}
	if perr != nil {
		return nil, perr
	}
	if parsed.SpecVersion, parsed.Family, perr = identify(top); perr != nil {
		return nil, perr
	}
	if ctx.Err() != nil {
		return nil, timeoutError(parent, ctx, limits)
	}

	type outcome struct {
		a    *analysis
		perr *ParseError
	}
	done := make(chan outcome, 1) // buffered: a timed-out run must not block forever
	go func() {
		defer func() {
			if r := recover(); r != nil {
				done <- outcome{perr: &ParseError{Kind: ErrInvalid,
					Problems: []Problem{{Message: fmt.Sprintf("the OpenAPI library failed on this document (%v); please report it with the file", r)}},
					Cause:    fmt.Errorf("specs: libopenapi panic: %v\n%s", r, debug.Stack())}}
			}
		}()
		m, perr := modelBuilder(body, parsed.Family)
		if perr != nil {
			done <- outcome{perr: perr}
			return
		}
		summarize(parsed, m)
		a := &analysis{parsed: parsed}
		if describe {
			a.document = describeModel(parsed, m)
		}
		done <- outcome{a: a}
	}()
	select {
	case out := <-done:
		if out.perr != nil {
			return nil, out.perr
		}
		return out.a, nil
	case <-ctx.Done():
		return nil, timeoutError(parent, ctx, limits)
	}
}

// timeoutError says whether our own limit fired or the caller gave up,
// because the fix differs: a smaller spec, or nothing.
func timeoutError(parent, ctx context.Context, limits Limits) *ParseError {
	perr := &ParseError{Kind: ErrTimeout, Cause: ctx.Err(), Limit: limits.Timeout.Milliseconds()}
	msg := fmt.Sprintf("reading the spec took longer than the %s limit; it may be too large or too intricate (many references)", limits.Timeout)
	switch err := parent.Err(); {
	case errors.Is(err, context.Canceled):
		msg = "reading the spec was cancelled before it finished"
	case err != nil:
		msg = "the request's deadline passed before the spec was read"
	}
	perr.Problems = []Problem{{Message: msg}}
	return perr
}

func humanBytes(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KB", float64(n)/(1<<10))
	default:
		return fmt.Sprintf("%d bytes", n)
	}
}
