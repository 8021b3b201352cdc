package journal

import (
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"github.com/steward-governance/steward/traffic"
)

// eventVersion is the first byte of every encoded event; a change to the
// layout below takes a new version, and DecodeEvent keeps reading the old.
const eventVersion = 1

// The flags byte carries the event's booleans.
const (
	flagAuthenticated = 1 << iota
	flagRateLimitHeaders
	flagHSTS
	flagCompressed
	flagSecurityHeaders
	flagsKnown = 1<<iota - 1
)

// ErrMalformedEvent means bytes given to DecodeEvent are not an event
// EncodeEvent wrote.
var ErrMalformedEvent = errors.New("journal: malformed event")

// EncodeEvent appends e and the id of the source that delivered it to dst,
// in a compact versioned binary form, and returns the extended slice:
//
//	version          byte (1)
//	flags            byte: Authenticated, RateLimitHeaders, HSTS, Compressed, SecurityHeaders from bit 0
//	sourceID         varint
//	Time             varint Unix seconds, uvarint nanoseconds
//	Method, Scheme, Host, Path, Route   uvarint length + bytes each
//	Status           varint
//	Duration         varint nanoseconds
//	ResponseBytes    varint
//	UserAgent, Consumer                 uvarint length + bytes each
//
// A typical event takes about 100 bytes.
func EncodeEvent(dst []byte, sourceID int64, e *traffic.Event) []byte {
	var flags byte
	for _, f := range [...]struct {
		set  bool
		flag byte
	}{
		{e.Authenticated, flagAuthenticated},
		{e.RateLimitHeaders, flagRateLimitHeaders},
		{e.HSTS, flagHSTS},
		{e.Compressed, flagCompressed},
		{e.SecurityHeaders, flagSecurityHeaders},
	} {
		if f.set {
			flags |= f.flag
		}
	}
	dst = append(dst, eventVersion, flags)
	dst = binary.AppendVarint(dst, sourceID)
	dst = binary.AppendVarint(dst, e.Time.Unix())
	dst = binary.AppendUvarint(dst, uint64(e.Time.Nanosecond()))
	for _, s := range [...]string{e.Method, e.Scheme, e.Host, e.Path, e.Route} {
		dst = appendString(dst, s)
	}
	dst = binary.AppendVarint(dst, int64(e.Status))
	dst = binary.AppendVarint(dst, int64(e.Duration))
	dst = binary.AppendVarint(dst, e.ResponseBytes)
	dst = appendString(dst, e.UserAgent)
	return appendString(dst, e.Consumer)
}

func appendString(dst []byte, s string) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(s)))
	return append(dst, s...)
}

// DecodeEvent reads what EncodeEvent wrote. The event's Time comes back in
// UTC; the strings are copies, so b may be reused. Anything else, trailing
// bytes included, is ErrMalformedEvent.
func DecodeEvent(b []byte) (sourceID int64, e traffic.Event, err error) {
	if len(b) < 2 {
		return 0, e, fmt.Errorf("%w: %d bytes", ErrMalformedEvent, len(b))
	}
	if b[0] != eventVersion {
		return 0, e, fmt.Errorf("%w: unknown version %d", ErrMalformedEvent, b[0])
	}
	flags := b[1]
	if flags&^flagsKnown != 0 {
		return 0, e, fmt.Errorf("%w: unknown flags %#x", ErrMalformedEvent, flags)
	}
	d := decoder{b: b[2:]}
	sourceID = d.varint()
	sec, nsec := d.varint(), d.uvarint()
	e.Method = d.method()
	e.Scheme = d.scheme()
	e.Host = d.string()
	e.Path = d.string()
	e.Route = d.string()
	status := d.varint()
	e.Duration = time.Duration(d.varint())
	e.ResponseBytes = d.varint()
	e.UserAgent = d.string()
	e.Consumer = d.string()
	switch {
	case d.err != nil:
		return 0, traffic.Event{}, d.err
	case len(d.b) > 0:
		return 0, traffic.Event{}, fmt.Errorf("%w: %d trailing bytes", ErrMalformedEvent, len(d.b))
	case nsec >= uint64(time.Second):
		return 0, traffic.Event{}, fmt.Errorf("%w: %d nanoseconds", ErrMalformedEvent, nsec)
	case int64(int(status)) != status:
		return 0, traffic.Event{}, fmt.Errorf("%w: status %d", ErrMalformedEvent, status)
	}
	e.Time = time.Unix(sec, int64(nsec)).UTC()
	e.Status = int(status)
	e.Authenticated = flags&flagAuthenticated != 0
	e.RateLimitHeaders = flags&flagRateLimitHeaders != 0
	e.HSTS = flags&flagHSTS != 0
	e.Compressed = flags&flagCompressed != 0
	e.SecurityHeaders = flags&flagSecurityHeaders != 0
	return sourceID, e, nil
}

// decoder reads fields off the front of b; after the first error every read
// returns a zero value and err keeps that first error.
type decoder struct {
	b   []byte
	err error
}

func (d *decoder) fail(what string) {
	if d.err == nil {
		d.err = fmt.Errorf("%w: bad %s", ErrMalformedEvent, what)
	}
	d.b = nil
}

func (d *decoder) varint() int64 {
	v, n := binary.Varint(d.b)
	if n <= 0 {
		d.fail("varint")
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) uvarint() uint64 {
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.fail("uvarint")
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) bytes() []byte {
	n := d.uvarint()
	if n > uint64(len(d.b)) {
		d.fail("string length")
		return nil
	}
	s := d.b[:n]
	d.b = d.b[n:]
	return s
}

func (d *decoder) string() string { return string(d.bytes()) }

// method and scheme return the common values without allocating: a rollup
// decodes every event in the journal.
func (d *decoder) method() string {
	b := d.bytes()
	for _, m := range [...]string{"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"} {
		if string(b) == m {
			return m
		}
	}
	return string(b)
}

func (d *decoder) scheme() string {
	b := d.bytes()
	for _, s := range [...]string{"https", "http"} {
		if string(b) == s {
			return s
		}
	}
	return string(b)
}
