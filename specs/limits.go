package specs

import "time"

// Limits bound the work done on one untrusted spec. Zero fields take their
// defaults, so a Limits that sets only MaxBytes still bounds everything else.
type Limits struct {
	MaxBytes   int64         // default 25 << 20
	MaxDepth   int           // max nesting of objects/arrays, default 200
	MaxAliases int           // max YAML alias expansions / anchors, default 1000 (rejects alias bombs)
	Timeout    time.Duration // wall-clock bound for parse+resolve, default 20s
}

// DefaultLimits returns limits that accept every real-world spec we know of
// while keeping one upload from tying up a server core for long.
func DefaultLimits() Limits {
	return Limits{
		MaxBytes:   25 << 20,
		MaxDepth:   200,
		MaxAliases: 1000,
		Timeout:    20 * time.Second,
	}
}

// withDefaults fills zero fields so a partly filled Limits (say only a
// smaller MaxBytes in a test) never means "unlimited".
func (l Limits) withDefaults() Limits {
	d := DefaultLimits()
	if l.MaxBytes <= 0 {
		l.MaxBytes = d.MaxBytes
	}
	if l.MaxDepth <= 0 {
		l.MaxDepth = d.MaxDepth
	}
	if l.MaxAliases <= 0 {
		l.MaxAliases = d.MaxAliases
	}
	if l.Timeout <= 0 {
		l.Timeout = d.Timeout
	}
	return l
}
