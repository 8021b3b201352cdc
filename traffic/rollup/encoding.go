package rollup

import (
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"github.com/DataDog/sketches-go/ddsketch"
	"github.com/axiomhq/hyperloglog"
)

// encodingVersion is the first byte of every blob. Version 1 means: latency
// sketch with a logarithmic mapping at 1% accuracy, in milliseconds, and a
// HyperLogLog sketch of precision 14. A change to either gets a new
// version, and UnmarshalBinary keeps reading the old ones.
const encodingVersion = 1

// consumerPrecision is the HyperLogLog precision of hyperloglog.New14.
const consumerPrecision = 14

// presence bits: which optional parts follow the counters.
const (
	hasFirstSeen = 1 << iota
	hasLastSeen
	hasLastLegitimate
	hasLatency
	hasConsumers
)

// ErrBadBlob is returned by UnmarshalBinary for data it cannot read.
var ErrBadBlob = errors.New("rollup: unreadable bucket blob")

// counters lists the numeric fields in blob order. The order is part of
// the format: append, never reorder.
func (b *Bucket) counters() []*int64 {
	return []*int64{
		&b.Count, &b.Legitimate,
		&b.Status1xx, &b.Status2xx, &b.Status3xx, &b.Status4xx, &b.Status5xx, &b.StatusUnknown,
		&b.Timed, &b.ResponseBytes, &b.ResponseBytesKnown,
		&b.HTTPS, &b.Authenticated, &b.RateLimitHeaders, &b.Compressed, &b.HSTS, &b.SecurityHeaders,
	}
}

// MarshalBinary encodes everything in b but its Key, which storage keeps in
// the row's own columns: a version byte, the counters as varints, the
// times, then the latency and consumer sketches, each length-prefixed. A
// bucket with a handful of consumers takes a few hundred bytes; the
// consumer sketch grows about 3 bytes a consumer up to a fixed 16 KiB, so
// no blob exceeds about 17 KiB.
func (b *Bucket) MarshalBinary() ([]byte, error) {
	buf := make([]byte, 0, 64)
	buf = append(buf, encodingVersion)
	for _, c := range b.counters() {
		buf = binary.AppendVarint(buf, *c)
	}
	var present byte
	times := []struct {
		t   time.Time
		bit byte
	}{{b.FirstSeen, hasFirstSeen}, {b.LastSeen, hasLastSeen}, {b.LastLegitimate, hasLastLegitimate}}
	for _, t := range times {
		if !t.t.IsZero() {
			present |= t.bit
		}
	}
	if b.latency != nil && !b.latency.IsEmpty() {
		present |= hasLatency
	}
	if b.consumers != nil {
		present |= hasConsumers
	}
	buf = append(buf, present)
	for _, t := range times {
		if !t.t.IsZero() {
			buf = binary.AppendVarint(buf, t.t.UnixNano())
		}
	}
	if present&hasLatency != 0 {
		var sketch []byte
		b.latency.Encode(&sketch, true)
		buf = binary.AppendUvarint(buf, uint64(len(sketch)))
		buf = append(buf, sketch...)
	}
	if present&hasConsumers != 0 {
		sketch, err := b.consumers.MarshalBinary()
		if err != nil {
			return nil, fmt.Errorf("rollup: encoding consumers: %w", err)
		}
		buf = binary.AppendUvarint(buf, uint64(len(sketch)))
		buf = append(buf, sketch...)
	}
	return buf, nil
}

// UnmarshalBinary replaces everything in b but its Key with what data
// holds. On error b is left unchanged.
func (b *Bucket) UnmarshalBinary(data []byte) error {
	if len(data) == 0 || data[0] != encodingVersion {
		if len(data) == 0 {
			return fmt.Errorf("%w: empty", ErrBadBlob)
		}
		return fmt.Errorf("%w: unknown version %d", ErrBadBlob, data[0])
	}
	r := reader{data: data[1:]}
	d := Bucket{Key: b.Key}
	for _, c := range d.counters() {
		*c = r.varint()
	}
	present := r.byte()
	for _, t := range []struct {
		t   *time.Time
		bit byte
	}{{&d.FirstSeen, hasFirstSeen}, {&d.LastSeen, hasLastSeen}, {&d.LastLegitimate, hasLastLegitimate}} {
		if present&t.bit != 0 {
			*t.t = time.Unix(0, r.varint()).UTC()
		}
	}
	if present&hasLatency != 0 {
		raw := r.bytes()
		if r.err == nil {
			sketch, err := ddsketch.DecodeDDSketch(raw, newLatencyStore, latencyMapping)
			if err != nil {
				return fmt.Errorf("%w: latency: %w", ErrBadBlob, err)
			}
			d.latency = sketch
		}
	}
	if present&hasConsumers != 0 {
		raw := r.bytes()
		if r.err == nil {
			// Byte 1 of the sketch's own header is its precision; only
			// precision 14 merges with the sketches Add makes.
			if len(raw) < 2 || raw[1] != consumerPrecision {
				return fmt.Errorf("%w: consumers: not a precision-%d sketch", ErrBadBlob, consumerPrecision)
			}
			sketch := hyperloglog.New14()
			if err := sketch.UnmarshalBinary(raw); err != nil {
				return fmt.Errorf("%w: consumers: %w", ErrBadBlob, err)
			}
			d.consumers = sketch
		}
	}
	switch {
	case r.err != nil:
		return fmt.Errorf("%w: %v", ErrBadBlob, r.err)
	case len(r.data) > 0:
		return fmt.Errorf("%w: %d bytes after the end", ErrBadBlob, len(r.data))
	}
	*b = d
	return nil
}

// reader reads a blob front to back, remembering the first error so the
// decoder can check once at the end.
type reader struct {
	data []byte
	err  error
}

func (r *reader) varint() int64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Varint(r.data)
	if n <= 0 {
		r.err = errors.New("truncated number")
		return 0
	}
	r.data = r.data[n:]
	return v
}

func (r *reader) byte() byte {
	if r.err != nil {
		return 0
	}
	if len(r.data) == 0 {
		r.err = errors.New("truncated")
		return 0
	}
	c := r.data[0]
	r.data = r.data[1:]
	return c
}

func (r *reader) bytes() []byte {
	if r.err != nil {
		return nil
	}
	n, k := binary.Uvarint(r.data)
	if k <= 0 || n > uint64(len(r.data)-k) {
		r.err = errors.New("truncated sketch")
		return nil
	}
	raw := r.data[k : k+int(n)]
	r.data = r.data[k+int(n):]
	return raw
}
