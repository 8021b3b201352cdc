package notify

import "time"

// Backoff is how long a failed delivery waits before its next attempt:
// 1 minute after the first failure, then 5 minutes, 30 minutes, 2 hours
// and 6 hours. The sixth failure gives the delivery up, about 8 h 36 min
// after the first attempt: long enough to ride out a receiver's outage
// or a mail server's restart, short enough that a reminder still means
// something when it arrives. A permanent failure (a 4xx answer, a refused
// mailbox) is given up at once.
var Backoff = []time.Duration{time.Minute, 5 * time.Minute, 30 * time.Minute, 2 * time.Hour, 6 * time.Hour}

// RetryAfter returns how long to wait after a delivery's attempts-th
// failed attempt, or false when the delivery is given up.
func RetryAfter(attempts int) (time.Duration, bool) {
	if attempts < 1 || attempts > len(Backoff) {
		return 0, false
	}
	return Backoff[attempts-1], true
}
