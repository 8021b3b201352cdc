package jobs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/steward-governance/steward/models"
	"github.com/steward-governance/steward/notify"
)

// NotificationStore is what the delivery job reads and writes.
type NotificationStore interface {
	RouteNotifications(ctx context.Context, email bool, now time.Time, limit int) (int, error)
	DueDeliveries(ctx context.Context, now time.Time, limit int) ([]models.Delivery, error)
	RecordDelivery(ctx context.Context, id int64, o models.DeliveryOutcome) error
	PruneNotifications(ctx context.Context, before time.Time) (int64, error)
}

// WebhookPoster posts one signed webhook delivery; *notify.WebhookSender
// implements it.
type WebhookPoster interface {
	Send(ctx context.Context, r notify.WebhookRequest) error
}

// EmailSender sends one email; *notify.SMTPSender implements it.
type EmailSender interface {
	Send(ctx context.Context, r notify.EmailRequest) error
}

// NotificationDelivery routes new notifications to their webhooks and
// email addresses and delivers what is due: 2xx (or an accepted email) is
// sent; a failure that may pass is retried after notify.Backoff's wait
// (or a 429's Retry-After, if longer) until the schedule runs out; a
// refusal that cannot pass (a 4xx, a 5xx SMTP reply) fails at once with
// its reason. Notifications whose deliveries all ended are deleted after
// NotificationRetention.
//
// It runs once per tick in the cluster (the runner's lock), so no
// delivery is attempted by two replicas at once.
type NotificationDelivery struct {
	Store    NotificationStore
	Webhooks WebhookPoster
	// Email sends email; nil when STEWARD_SMTP_ADDR is not set, and then
	// no email deliveries are made.
	Email EmailSender
	// Secrets opens the webhooks' sealed URLs and secrets.
	Secrets SecretOpener
	// BaseURL makes message links absolute (STEWARD_BASE_URL).
	BaseURL string
	Log     *slog.Logger
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	// Batch bounds the deliveries of one run; 200 when zero.
	Batch int
}

// NotificationRetention is how long ended deliveries stay listed.
const NotificationRetention = 30 * 24 * time.Hour

// deliveryWorkers bounds how many receivers are contacted at once.
const deliveryWorkers = 4

// Name names the job.
func (j *NotificationDelivery) Name() string { return "notifications" }

// Run routes, delivers and prunes once.
func (j *NotificationDelivery) Run(ctx context.Context) error {
	now := clock(j.Now)()
	batch := j.Batch
	if batch <= 0 {
		batch = 200
	}
	progress := Progress(ctx)
	routed, err := j.Store.RouteNotifications(ctx, j.Email != nil, now, batch)
	if err != nil {
		return fmt.Errorf("notifications: %w", err)
	}
	progress.Count("routed", int64(routed))
	due, err := j.Store.DueDeliveries(ctx, now, batch)
	if err != nil {
		return fmt.Errorf("notifications: %w", err)
	}
	progress.SetTotal(int64(len(due)))

	// A receiver that is down fails every delivery to it the same way, so
	// each target's deliveries go in order on one worker, and the first
	// failure worth retrying leaves the rest for a later run.
	var (
		queues = map[string][]models.Delivery{}
		order  []string
	)
	for _, d := range due {
		key := d.Channel + ":" + d.Email
		if d.Channel == models.ChannelWebhook {
			key = d.Channel + ":" + strconv.FormatInt(d.WebhookID, 10)
		}
		if _, ok := queues[key]; !ok {
			order = append(order, key)
		}
		queues[key] = append(queues[key], d)
	}
	var (
		wg      sync.WaitGroup
		slots   = make(chan struct{}, deliveryWorkers)
		mu      sync.Mutex
		recErrs []error
	)
	for _, key := range order {
		wg.Add(1)
		slots <- struct{}{}
		go func(queue []models.Delivery) {
			defer func() { <-slots; wg.Done() }()
			for _, d := range queue {
				if ctx.Err() != nil {
					return
				}
				// Each attempt reads the clock: its signature's timestamp must
				// be the moment it is sent, not the start of the run.
				outcome := j.attempt(ctx, d, clock(j.Now)())
				if err := j.Store.RecordDelivery(ctx, d.ID, outcome); err != nil {
					mu.Lock()
					recErrs = append(recErrs, err)
					mu.Unlock()
					return
				}
				progress.Advance(1)
				switch {
				case outcome.Err == "":
					progress.Count("sent", 1)
				case outcome.RetryAt != nil:
					progress.Count("retried", 1)
				default:
					progress.Count("failed", 1)
					logger(j.Log).Warn("notification not delivered", "delivery", d.ID, "channel", d.Channel, "kind", d.Message.Kind, "reason", outcome.Err)
				}
				if outcome.RetryAt != nil {
					return
				}
			}
		}(queues[key])
	}
	wg.Wait()
	if err := errors.Join(recErrs...); err != nil {
		return fmt.Errorf("notifications: %w", err)
	}
	if _, err := j.Store.PruneNotifications(ctx, now.Add(-NotificationRetention)); err != nil {
		return fmt.Errorf("notifications: %w", err)
	}
	return nil
}

// attempt makes one delivery attempt and says what became of it.
func (j *NotificationDelivery) attempt(ctx context.Context, d models.Delivery, now time.Time) models.DeliveryOutcome {
	err := j.send(ctx, d, now)
	if err == nil {
		return models.DeliveryOutcome{At: now}
	}
	out := models.DeliveryOutcome{At: now, Err: err.Error()}
	if notify.IsPermanent(err) {
		return out
	}
	wait, ok := notify.RetryAfter(d.Attempts + 1)
	if !ok {
		out.Err += " (given up after " + strconv.Itoa(d.Attempts+1) + " attempts)"
		return out
	}
	var de *notify.DeliveryError
	if errors.As(err, &de) && de.RetryAfter > wait {
		wait = de.RetryAfter
	}
	at := now.Add(wait)
	out.RetryAt = &at
	return out
}

func (j *NotificationDelivery) send(ctx context.Context, d models.Delivery, now time.Time) error {
	switch d.Channel {
	case models.ChannelWebhook:
		url, err := j.Secrets.Open(d.URLSealed, models.WebhookURLContext(d.WebhookID))
		if err != nil {
			return &notify.DeliveryError{Permanent: true, Reason: "the webhook's URL cannot be opened: " + err.Error()}
		}
		secret, err := j.Secrets.Open(d.SecretSealed, models.WebhookSecretContext(d.WebhookID))
		if err != nil {
			return &notify.DeliveryError{Permanent: true, Reason: "the webhook's secret cannot be opened: " + err.Error()}
		}
		body, err := notify.SlackPayload(d.Message, j.BaseURL)
		if err != nil {
			return &notify.DeliveryError{Permanent: true, Reason: err.Error()}
		}
		return j.Webhooks.Send(ctx, notify.WebhookRequest{URL: url, Secret: secret, Body: body, Kind: d.Message.Kind,
			DeliveryID: strconv.FormatInt(d.ID, 10), Now: now})
	case models.ChannelEmail:
		if j.Email == nil {
			return &notify.DeliveryError{Permanent: true, Reason: "email is no longer configured (STEWARD_SMTP_ADDR)"}
		}
		return j.Email.Send(ctx, notify.EmailRequest{To: d.Email, Message: d.Message, BaseURL: j.BaseURL, Now: now})
	}
	return &notify.DeliveryError{Permanent: true, Reason: "unknown channel " + d.Channel}
}
