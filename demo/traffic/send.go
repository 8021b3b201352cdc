package demotraffic

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// ErrKeyRefused is Send's error when Steward answers 401 or 403: the demo
// source is missing, paused, or its key is wrong.
var ErrKeyRefused = errors.New("demo traffic: the demo source's key was refused")

// Stats counts what Send did.
type Stats struct {
	// Sent is how many events Steward acknowledged.
	Sent int
	// Throttled is how many 429 answers were waited out and retried.
	Throttled int
	// Retried is how many requests were retried after a transport error
	// or a 5xx answer.
	Retried int
}

// Bounds on Send's patience.
const (
	// maxAttempts is how often one event is tried after transport errors
	// or 5xx answers before Send gives up; 429s do not count.
	maxAttempts = 6
	// defaultRetryAfter is the wait after a 429 without a usable
	// Retry-After.
	defaultRetryAfter = time.Second
	// maxRetryAfter caps a Retry-After wait.
	maxRetryAfter = time.Minute
	// maxMessageBytes is how much of an error answer is read for its
	// message.
	maxMessageBytes = 4 << 10
)

// Send posts events to Steward's Treblle ingest endpoint at baseURL
// (baseURL + "/ingest/treblle"), one event per request as the SDKs do,
// from concurrency goroutines (at least one), with key in the payload and
// the X-Api-Key header. Events the generator marked Gzip go gzipped.
//
// An answer of 429 is waited out (Retry-After, else a second) and the
// event sent again, as often as it takes: nothing is dropped. Transport
// errors and 5xx answers are retried with backoff a few times; an event
// Steward accepted but whose answer was lost may then arrive twice. A 401
// or 403 stops Send with ErrKeyRefused; any other refusal stops it with
// Steward's reason. Cancelling ctx stops it too. Either way the Stats say
// how far it got.
//
// progress, when not nil, is called after each acknowledged event with the
// count so far and len(events), from one goroutine at a time. A nil client
// means one with a 30-second timeout and a connection per goroutine.
func Send(ctx context.Context, client *http.Client, baseURL, key string, events []Event, concurrency int, progress func(sent, total int)) (Stats, error) {
	concurrency = max(1, min(concurrency, len(events)))
	if client == nil {
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.MaxIdleConnsPerHost = concurrency
		client = &http.Client{Timeout: 30 * time.Second, Transport: tr}
	}
	s := &sender{
		client:   client,
		endpoint: strings.TrimRight(baseURL, "/") + "/ingest/treblle",
		key:      key,
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)

	var (
		next     atomic.Int64
		mu       sync.Mutex
		sent     int
		wg       sync.WaitGroup
		failOnce sync.Once
		failure  error
	)
	for range concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= len(events) || ctx.Err() != nil {
					return
				}
				if err := s.deliver(ctx, &events[i]); err != nil {
					failOnce.Do(func() { failure = err })
					cancel(err)
					return
				}
				mu.Lock()
				sent++
				if progress != nil {
					progress(sent, len(events))
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()

	stats := Stats{Sent: sent, Throttled: int(s.throttled.Load()), Retried: int(s.retried.Load())}
	if failure == nil {
		failure = ctx.Err()
	}
	if failure != nil {
		if errors.Is(failure, context.Canceled) || errors.Is(failure, context.DeadlineExceeded) {
			return stats, fmt.Errorf("demo traffic: stopped after %d of %d events: %w", sent, len(events), failure)
		}
		return stats, failure
	}
	return stats, nil
}

// sender posts single events.
type sender struct {
	client    *http.Client
	endpoint  string
	key       string
	throttled atomic.Int64
	retried   atomic.Int64
}

// deliver posts one event until Steward acknowledges it, refuses it, or
// ctx ends.
func (s *sender) deliver(ctx context.Context, e *Event) error {
	body, encoding, err := encodeBody(e, s.key)
	if err != nil {
		return err
	}
	failures := 0
	for {
		status, header, msg, err := s.post(ctx, body, encoding)
		var wait time.Duration
		switch {
		case err != nil:
			if ctx.Err() != nil {
				return context.Cause(ctx)
			}
			failures++
			if failures >= maxAttempts {
				return fmt.Errorf("demo traffic: posting to %s failed %d times: %w", s.endpoint, failures, err)
			}
			s.retried.Add(1)
			wait = backoff(failures)
		case status >= 200 && status < 300:
			return nil
		case status == http.StatusTooManyRequests:
			s.throttled.Add(1)
			wait = retryAfter(header, defaultRetryAfter)
		case status == http.StatusUnauthorized || status == http.StatusForbidden:
			return fmt.Errorf("%w (HTTP %d from %s: %s)", ErrKeyRefused, status, s.endpoint, msg)
		case status >= 500:
			failures++
			if failures >= maxAttempts {
				return fmt.Errorf("demo traffic: Steward failed %d times at %s (HTTP %d: %s)", failures, s.endpoint, status, msg)
			}
			s.retried.Add(1)
			wait = retryAfter(header, backoff(failures))
		default:
			return fmt.Errorf("demo traffic: Steward refused a %s %s event (HTTP %d from %s: %s)", e.Method, e.URL(), status, s.endpoint, msg)
		}
		if err := sleep(ctx, wait); err != nil {
			return err
		}
	}
}

// post sends one body and returns the answer's status, headers and, for
// errors, its message.
func (s *sender) post(ctx context.Context, body []byte, encoding string) (int, http.Header, string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.endpoint, bytes.NewReader(body))
	if err != nil {
		return 0, nil, "", err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", UserAgent)
	req.Header.Set("X-Api-Key", s.key)
	if encoding != "" {
		req.Header.Set("Content-Encoding", encoding)
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return 0, nil, "", err
	}
	defer resp.Body.Close()
	var msg string
	if resp.StatusCode >= 300 {
		msg = message(io.LimitReader(resp.Body, maxMessageBytes))
	}
	// Drain what is left so the connection is reused.
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	return resp.StatusCode, resp.Header, msg, nil
}

// message reads Steward's reason from an error answer: the message of
// its JSON error, or the text as sent.
func message(r io.Reader) string {
	b, _ := io.ReadAll(r)
	var j struct {
		Message string `json:"message"`
	}
	if json.Unmarshal(b, &j) == nil && j.Message != "" {
		return j.Message
	}
	if s := strings.TrimSpace(string(b)); s != "" {
		return s
	}
	return "no reason given"
}

// encodeBody returns the event's payload, gzipped when the event says so,
// and the Content-Encoding to send with it.
func encodeBody(e *Event, key string) ([]byte, string, error) {
	payload := e.Payload(key)
	if !e.Gzip {
		return payload, "", nil
	}
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(payload); err != nil {
		return nil, "", fmt.Errorf("demo traffic: gzip: %w", err)
	}
	if err := zw.Close(); err != nil {
		return nil, "", fmt.Errorf("demo traffic: gzip: %w", err)
	}
	return buf.Bytes(), "gzip", nil
}

// retryAfter reads a Retry-After header (seconds or an HTTP date), capped
// at maxRetryAfter; fallback when it is absent or unreadable.
func retryAfter(h http.Header, fallback time.Duration) time.Duration {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return fallback
	}
	if secs, err := strconv.Atoi(v); err == nil && secs >= 0 {
		return min(time.Duration(secs)*time.Second, maxRetryAfter)
	}
	if at, err := http.ParseTime(v); err == nil {
		return min(max(time.Until(at), 0), maxRetryAfter)
	}
	return fallback
}

// backoff doubles from half a second: 0.5 s, 1 s, 2 s, ...
func backoff(failures int) time.Duration {
	return min(500*time.Millisecond<<(failures-1), 16*time.Second)
}

// sleep waits d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return context.Cause(ctx)
	case <-t.C:
		return nil
	}
}
