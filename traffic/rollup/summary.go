package rollup

import "time"

// Summary is what a page shows about an endpoint, an API or a consumer over
// some stretch of hours: the buckets added up.
type Summary struct {
	// Requests is the number of requests, Legitimate those that were
	// neither probes nor scanners.
	Requests, Legitimate int64

	// Shares of all requests, from 0 to 1: over HTTPS, authenticated,
	// answered with rate-limit headers, compressed, with HSTS, with
	// browser-hardening headers.
	HTTPSShare, AuthenticatedShare, RateLimitHeadersShare, CompressedShare, HSTSShare, SecurityHeadersShare float64
	// ClientErrorRate and ServerErrorRate are the shares of 4xx and 5xx
	// responses among the requests whose status is known.
	ClientErrorRate, ServerErrorRate float64

	// P50, P95 and P99 are latency quantiles over the timed requests,
	// within LatencyAccuracy; 0 when Timed is 0.
	P50, P95, P99 time.Duration
	// Timed is the number of requests with a known duration.
	Timed int64

	// AverageResponseBytes is the mean size of the responses whose size
	// is known; 0 when none is.
	AverageResponseBytes float64
	// Consumers estimates the distinct consumers across all the buckets
	// (not the sum of each bucket's).
	Consumers uint64

	// FirstSeen, LastSeen and LastLegitimate are the times of the first
	// and last request and of the last legitimate one; zero if none.
	FirstSeen, LastSeen, LastLegitimate time.Time
}

// Summarise adds buckets up, whatever their keys, and derives the shares,
// rates and quantiles. Shares over no requests are 0: read them with
// Requests.
func Summarise(buckets []Bucket) Summary {
	var t Bucket
	for i := range buckets {
		t.Merge(&buckets[i])
	}
	s := Summary{
		Requests:              t.Count,
		Legitimate:            t.Legitimate,
		HTTPSShare:            share(t.HTTPS, t.Count),
		AuthenticatedShare:    share(t.Authenticated, t.Count),
		RateLimitHeadersShare: share(t.RateLimitHeaders, t.Count),
		CompressedShare:       share(t.Compressed, t.Count),
		HSTSShare:             share(t.HSTS, t.Count),
		SecurityHeadersShare:  share(t.SecurityHeaders, t.Count),
		ClientErrorRate:       share(t.Status4xx, t.Count-t.StatusUnknown),
		ServerErrorRate:       share(t.Status5xx, t.Count-t.StatusUnknown),
		P50:                   t.Latency(0.50),
		P95:                   t.Latency(0.95),
		P99:                   t.Latency(0.99),
		Timed:                 t.Timed,
		AverageResponseBytes:  share(t.ResponseBytes, t.ResponseBytesKnown),
		Consumers:             t.Consumers(),
		FirstSeen:             t.FirstSeen,
		LastSeen:              t.LastSeen,
		LastLegitimate:        t.LastLegitimate,
	}
	return s
}

func share(part, whole int64) float64 {
	if whole <= 0 {
		return 0
	}
	return float64(part) / float64(whole)
}
