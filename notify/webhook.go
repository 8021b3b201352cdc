package notify

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// DeliveryError is a failed delivery. A permanent one will fail the same
// way however often it is retried (the receiver refused the request), so
// it is not retried.
type DeliveryError struct {
	Permanent bool
	// Status is the receiver's HTTP status or the SMTP reply code; 0 when
	// none came.
	Status int
	// Reason says what happened, for the admin's outbox list.
	Reason string
	// RetryAfter is how long the receiver asked to be left alone (a 429's
	// Retry-After), when it said.
	RetryAfter time.Duration
}

func (e *DeliveryError) Error() string { return e.Reason }

// IsPermanent reports whether err is a failure that retrying cannot cure.
func IsPermanent(err error) bool {
	var de *DeliveryError
	return errors.As(err, &de) && de.Permanent
}

// WebhookRequest is one delivery to a webhook.
type WebhookRequest struct {
	URL    string
	Secret string
	// Body is the JSON to post (SlackPayload's).
	Body []byte
	// Kind is the message kind, sent as X-Steward-Event.
	Kind string
	// DeliveryID names the delivery across its retries.
	DeliveryID string
	// Now is when the request is signed.
	Now time.Time
}

// WebhookSender posts signed deliveries. 2xx means delivered; 429, 5xx and
// network failures are worth retrying; any other answer (a 4xx, or a
// redirect, which Steward does not follow with a signed body) is a
// permanent failure carrying the status and the start of the body.
type WebhookSender struct {
	// Client makes the requests; nil uses one with a 10 second timeout.
	Client *http.Client
}

// DefaultWebhookTimeout bounds one delivery attempt.
const DefaultWebhookTimeout = 10 * time.Second

// Send posts one delivery.
func (s *WebhookSender) Send(ctx context.Context, r WebhookRequest) error {
	client := s.Client
	if client == nil {
		client = &http.Client{Timeout: DefaultWebhookTimeout}
	}
	// Never follow a redirect: the signed body would go to an address the
	// admin did not configure.
	c := *client
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

	req, err := http.NewRequestWithContext(ctx, http.MethodPost, r.URL, bytes.NewReader(r.Body))
	if err != nil {
		return &DeliveryError{Permanent: true, Reason: "the webhook URL is not usable: " + withoutURL(err)}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Steward-Webhooks/1")
	req.Header.Set(TimestampHeader, strconv.FormatInt(r.Now.Unix(), 10))
	req.Header.Set(SignatureHeader, Sign(r.Secret, r.Now, r.Body))
	if r.DeliveryID != "" {
		req.Header.Set(DeliveryHeader, r.DeliveryID)
	}
	if r.Kind != "" {
		req.Header.Set(EventHeader, r.Kind)
	}
	res, err := c.Do(req)
	if err != nil {
		return &DeliveryError{Reason: "no answer: " + withoutURL(err)}
	}
	defer res.Body.Close()
	excerpt := bodyExcerpt(res.Body)
	_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, 64<<10)) // lets the connection be reused
	if res.StatusCode >= 200 && res.StatusCode < 300 {
		return nil
	}
	reason := "the receiver answered " + res.Status
	if excerpt != "" {
		reason += ": " + excerpt
	}
	de := &DeliveryError{Status: res.StatusCode, Reason: reason}
	switch {
	case res.StatusCode == http.StatusTooManyRequests:
		if secs, err := strconv.Atoi(res.Header.Get("Retry-After")); err == nil && secs > 0 {
			de.RetryAfter = time.Duration(secs) * time.Second
		}
	case res.StatusCode >= 500:
	default:
		de.Permanent = true
	}
	return de
}

// withoutURL drops the URL net/http puts in its errors: a Slack webhook
// URL is itself a credential and must not reach the outbox list or logs.
func withoutURL(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	return err.Error()
}

// bodyExcerpt reads the start of a refusal as one printable line, enough
// to say why ("invalid_payload", "channel_is_archived").
func bodyExcerpt(r io.Reader) string {
	b, _ := io.ReadAll(io.LimitReader(r, 512))
	s := strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			return ' '
		}
		if !unicode.IsPrint(r) {
			return -1
		}
		return r
	}, string(b))
	s = strings.Join(strings.Fields(s), " ")
	return clip(s, 200)
}
