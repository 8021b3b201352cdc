package journal

import (
	"cmp"
	"fmt"
	"strconv"
	"strings"
)

// Position is where a record starts in the journal: a segment number and a
// byte offset in it. The zero Position means the oldest retained record.
// Positions are comparable with ==; Compare orders them.
type Position struct {
	Segment uint64
	Offset  int64
}

// String renders p as "segment:offset", the form ParsePosition reads back,
// for a database text column.
func (p Position) String() string {
	return strconv.FormatUint(p.Segment, 10) + ":" + strconv.FormatInt(p.Offset, 10)
}

// ParsePosition reads a Position written by Position.String.
func ParsePosition(s string) (Position, error) {
	seg, off, ok := strings.Cut(s, ":")
	if !ok {
		return Position{}, fmt.Errorf("journal: position %q: want segment:offset", s)
	}
	n, err := strconv.ParseUint(seg, 10, 64)
	if err != nil {
		return Position{}, fmt.Errorf("journal: position %q: segment: %w", s, err)
	}
	o, err := strconv.ParseInt(off, 10, 64)
	if err != nil || o < 0 {
		return Position{}, fmt.Errorf("journal: position %q: offset is not a non-negative integer", s)
	}
	return Position{Segment: n, Offset: o}, nil
}

// Compare returns -1, 0 or +1 as p is before, at or after q.
func (p Position) Compare(q Position) int {
	if c := cmp.Compare(p.Segment, q.Segment); c != 0 {
		return c
	}
	return cmp.Compare(p.Offset, q.Offset)
}
