package ingest

import (
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"strings"
)

// ReadBody reads a request body of at most limit bytes (MaxBodyBytes when
// limit <= 0), undoing a gzip Content-Encoding. The limit holds for the
// bytes read and for the bytes they decompress to, so a gzip bomb stops at
// the limit. It returns an *Error of kind ErrTooLarge over the limit,
// ErrMalformed for a broken gzip stream and ErrUnsupported for an encoding
// other than gzip or identity; errors from r itself are returned wrapped,
// unchanged in kind.
func ReadBody(r io.Reader, contentEncoding string, limit int64) ([]byte, error) {
	if limit <= 0 {
		limit = MaxBodyBytes
	}
	raw := &cappedReader{r: r, left: limit}
	var body io.Reader = raw
	switch enc := strings.ToLower(strings.TrimSpace(contentEncoding)); enc {
	case "", "identity":
	case "gzip", "x-gzip":
		zr, err := gzip.NewReader(raw)
		if err != nil {
			return nil, bodyError(err, limit)
		}
		defer zr.Close()
		body = zr
	default:
		return nil, &Error{Format: "body", Kind: ErrUnsupported,
			Reason: fmt.Sprintf("content encoding %q is not supported; send gzip or no encoding", enc)}
	}
	b, err := io.ReadAll(io.LimitReader(body, limit+1))
	if err != nil {
		return nil, bodyError(err, limit)
	}
	if int64(len(b)) > limit {
		return nil, tooLarge(limit)
	}
	return b, nil
}

// errRawTooLarge is cappedReader's signal that the sender sent too much.
var errRawTooLarge = errors.New("raw body over the limit")

// readError marks an error from the underlying reader, as opposed to one
// gzip found in the bytes.
type readError struct{ err error }

func (e readError) Error() string { return e.err.Error() }
func (e readError) Unwrap() error { return e.err }

// cappedReader fails once more than left bytes have been read, so an
// endless stream of empty gzip members cannot keep ReadBody busy.
type cappedReader struct {
	r    io.Reader
	left int64
}

func (c *cappedReader) Read(p []byte) (int, error) {
	if c.left < 0 {
		return 0, errRawTooLarge
	}
	if int64(len(p)) > c.left+1 {
		p = p[:c.left+1]
	}
	n, err := c.r.Read(p)
	c.left -= int64(n)
	if c.left < 0 {
		return n, errRawTooLarge
	}
	if err != nil && err != io.EOF {
		err = readError{err}
	}
	return n, err
}

func bodyError(err error, limit int64) error {
	var re readError
	switch {
	case errors.Is(err, errRawTooLarge):
		return tooLarge(limit)
	case errors.As(err, &re):
		return fmt.Errorf("ingest: reading body: %w", re.err)
	case err == io.EOF:
		return malformed("body", "gzip stream is empty")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return malformed("body", "gzip stream is truncated")
	}
	return malformed("body", "gzip: %v", err)
}

func tooLarge(limit int64) error {
	return &Error{Format: "body", Kind: ErrTooLarge, Limit: limit,
		Reason: "body is larger than the " + byteSize(limit) + " limit"}
}

// byteSize writes n the way a person would quote a limit.
func byteSize(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d-byte", n)
}
