// Package rollup aggregates request events into hourly buckets per
// endpoint: counts, status classes, latency quantiles, response sizes,
// hygiene signals (HTTPS, authentication, rate-limit, compression and
// security headers), distinct consumers and the last legitimate request.
// Buckets merge, so rollups computed apart (per batch, per process) add up
// to the same result as one computed at once.
package rollup

import (
	"cmp"
	"strings"
	"time"

	"github.com/steward-governance/steward/traffic"
	"github.com/steward-governance/steward/traffic/match"
)

// Key identifies one bucket: one endpoint in one UTC hour. An endpoint is a
// method on a template of a catalogued version, or, for traffic no
// deployment claims (VersionID 0), a method on an inferred template of a
// host, which is what discovery groups by.
type Key struct {
	// VersionID is the API version, or 0 for undiscovered traffic.
	VersionID int64
	// Host is the request host when VersionID is 0, and "" otherwise.
	Host string
	// Method is the upper-case HTTP method.
	Method string
	// Template is the path template, documented or inferred.
	Template string
	// Hour is the start of the UTC hour.
	Hour time.Time
}

// KeyFor returns the key of event e once the matcher has made res of it.
func KeyFor(res match.Result, e *traffic.Event) Key {
	k := Key{Method: res.Method, Template: res.Template, Hour: e.Hour()}
	if res.Matched {
		k.VersionID = res.VersionID
	} else {
		k.Host = e.Host
	}
	return k
}

// compare orders keys by hour, then version, host, method and template.
func (k Key) compare(o Key) int {
	return cmp.Or(
		k.Hour.Compare(o.Hour),
		cmp.Compare(k.VersionID, o.VersionID),
		strings.Compare(k.Host, o.Host),
		strings.Compare(k.Method, o.Method),
		strings.Compare(k.Template, o.Template),
	)
}
