package jobs_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/steward-governance/steward/catalog"
	"github.com/steward-governance/steward/jobs"
	"github.com/steward-governance/steward/models"
	"github.com/steward-governance/steward/models/storetest"
	"github.com/steward-governance/steward/notify"
	"github.com/steward-governance/steward/sealing"
)

const hookSecret = "whsec-shared-with-the-receiver"

// fakeClock is the job's clock, moved by the test.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }

func (c *fakeClock) set(t time.Time) { c.mu.Lock(); c.now = t; c.mu.Unlock() }

// receiver is a webhook endpoint answering with the statuses it is given
// in turn (the last one from then on), checking every signature against
// the job's clock.
type receiver struct {
	t        *testing.T
	clock    *fakeClock
	statuses []int
	body     string

	mu         sync.Mutex
	calls      int
	deliveries []string
	payloads   []string
}

func (r *receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	err := notify.Verify(hookSecret, body, req.Header.Get(notify.TimestampHeader), req.Header.Get(notify.SignatureHeader), r.clock.Now(), notify.DefaultTolerance)
	if err != nil {
		r.t.Errorf("delivery refused by the receiver: %v", err)
	}
	r.mu.Lock()
	status := r.statuses[min(r.calls, len(r.statuses)-1)]
	r.calls++
	r.deliveries = append(r.deliveries, req.Header.Get(notify.DeliveryHeader))
	r.payloads = append(r.payloads, string(body))
	r.mu.Unlock()
	w.WriteHeader(status)
	io.WriteString(w, r.body)
}

func (r *receiver) count() int { r.mu.Lock(); defer r.mu.Unlock(); return r.calls }

// notificationSetup is a store with one webhook pointing at a receiver,
// and the job delivering to it on a fake clock.
type notificationSetup struct {
	store *models.Store
	job   *jobs.NotificationDelivery
	clock *fakeClock
	recv  *receiver
	t0    time.Time
}

func newNotificationSetup(t *testing.T, engine string, statuses ...int) *notificationSetup {
	t.Helper()
	ctx := context.Background()
	store := storetest.New(t, engine)
	box, err := sealing.New("test-secret-key-0123456789abcdef-0123456789")
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Now().Add(time.Second).Truncate(time.Second)
	clock := &fakeClock{now: t0}
	recv := &receiver{t: t, clock: clock, statuses: statuses}
	srv := httptest.NewServer(recv)
	t.Cleanup(srv.Close)
	_, err = store.CreateWebhook(ctx, catalog.SystemActor("test"), models.NewWebhook{Name: "ops", URLHint: srv.URL, Audience: notify.AudienceGovernance,
		Seal: func(id int64) (string, string, error) {
			u, err := box.Seal(srv.URL+"/hook", models.WebhookURLContext(id))
			if err != nil {
				return "", "", err
			}
			s, err := box.Seal(hookSecret, models.WebhookSecretContext(id))
			return u, s, err
		}})
	if err != nil {
		t.Fatal(err)
	}
	job := &jobs.NotificationDelivery{Store: store, Webhooks: &notify.WebhookSender{}, Secrets: box,
		BaseURL: "https://steward.example.com", Now: clock.Now}
	return &notificationSetup{store: store, job: job, clock: clock, recv: recv, t0: t0}
}

func (s *notificationSetup) enqueue(t *testing.T, msg notify.Message) {
	t.Helper()
	if err := s.store.DB().Transaction(func(tx *gorm.DB) error { return models.EnqueueNotification(tx, msg) }); err != nil {
		t.Fatal(err)
	}
}

// runAt runs the job at t0+offset.
func (s *notificationSetup) runAt(t *testing.T, offset time.Duration) {
	t.Helper()
	s.clock.set(s.t0.Add(offset))
	if err := s.job.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func (s *notificationSetup) deliveries(t *testing.T) []models.DeliveryRow {
	t.Helper()
	rows, err := s.store.RecentDeliveries(context.Background(), 20)
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

var reminder = notify.Message{Kind: "retirement.reminder", Title: "Refunds v1 retires in 7 days", Text: "3 consumers still call it.",
	URL: "/retirements/42", Audience: notify.Audience{Governance: true}}

func TestNotificationDeliveryRetriesUntilDelivered(t *testing.T) {
	for _, engine := range storetest.Engines {
		t.Run(engine, func(t *testing.T) {
			s := newNotificationSetup(t, engine, 503, 503, 200)
			s.enqueue(t, reminder)
			steps := []struct {
				at       time.Duration
				calls    int
				status   string
				attempts int
			}{
				{0, 1, models.DeliveryPending, 1},                        // 503: retry in 1m
				{30 * time.Second, 1, models.DeliveryPending, 1},         // not yet due
				{time.Minute, 2, models.DeliveryPending, 2},              // 503: retry in 5m
				{5 * time.Minute, 2, models.DeliveryPending, 2},          // not yet due
				{time.Minute + 5*time.Minute, 3, models.DeliverySent, 3}, // 200
				{time.Minute + 5*time.Minute + time.Hour, 3, models.DeliverySent, 3},
			}
			for _, st := range steps {
				s.runAt(t, st.at)
				rows := s.deliveries(t)
				if len(rows) != 1 {
					t.Fatalf("at +%v: %d deliveries, want 1", st.at, len(rows))
				}
				r := rows[0]
				if s.recv.count() != st.calls || r.Status != st.status || r.Attempts != st.attempts {
					t.Errorf("at +%v: %d calls, %s after %d attempts (%q); want %d calls, %s after %d", st.at,
						s.recv.count(), r.Status, r.Attempts, r.LastError, st.calls, st.status, st.attempts)
				}
			}
			r := s.deliveries(t)[0]
			if r.LastError != "" || r.SentAt == nil || !r.SentAt.Equal(s.t0.Add(6*time.Minute)) {
				t.Errorf("delivered row = %+v", r)
			}
			if d := s.recv.deliveries; len(d) != 3 || d[0] == "" || d[0] != d[1] || d[1] != d[2] {
				t.Errorf("X-Steward-Delivery across retries = %q, want one id", d)
			}
			if p := s.recv.payloads[2]; !strings.Contains(p, `<https://steward.example.com/retirements/42|Open in Steward>`) {
				t.Errorf("payload = %s", p)
			}
		})
	}
}

func TestNotificationDeliveryFailsOnRefusal(t *testing.T) {
	s := newNotificationSetup(t, "sqlite", 400)
	s.recv.body = "invalid_payload"
	s.enqueue(t, reminder)
	s.runAt(t, 0)
	s.runAt(t, 24*time.Hour)
	rows := s.deliveries(t)
	if len(rows) != 1 {
		t.Fatalf("%d deliveries", len(rows))
	}
	r := rows[0]
	if r.Status != models.DeliveryFailed || r.Attempts != 1 || s.recv.count() != 1 || r.NextAttemptAt != nil {
		t.Errorf("after a 400: %+v with %d calls, want failed after one attempt", r, s.recv.count())
	}
	if !strings.Contains(r.LastError, "400 Bad Request") || !strings.Contains(r.LastError, "invalid_payload") {
		t.Errorf("reason = %q, want the status and the receiver's words", r.LastError)
	}
}

func TestNotificationDeliveryGivesUpAfterTheSchedule(t *testing.T) {
	s := newNotificationSetup(t, "sqlite", 503)
	s.enqueue(t, reminder)
	at := time.Duration(0)
	s.runAt(t, at)
	for _, wait := range notify.Backoff {
		at += wait
		s.runAt(t, at)
	}
	s.runAt(t, at+24*time.Hour)
	r := s.deliveries(t)[0]
	attempts := len(notify.Backoff) + 1
	if r.Status != models.DeliveryFailed || r.Attempts != attempts || s.recv.count() != attempts || !strings.Contains(r.LastError, "given up after 6 attempts") {
		t.Errorf("after the schedule: %+v with %d calls", r, s.recv.count())
	}
}

// fakeMailer keeps the emails it is asked to send.
type fakeMailer struct {
	mu   sync.Mutex
	sent []string
}

func (m *fakeMailer) Send(_ context.Context, r notify.EmailRequest) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.sent = append(m.sent, r.To+": "+r.Message.Title)
	return nil
}

func TestNotificationDeliverySendsEmailWhenConfigured(t *testing.T) {
	s := newNotificationSetup(t, "sqlite", 200)
	ctx := context.Background()
	sys := catalog.SystemActor("test")
	if _, err := s.store.CreateTeam(ctx, sys, catalog.TeamInput{Slug: "zoo", Name: "Zoo"}); err != nil {
		t.Fatal(err)
	}
	for _, p := range []struct{ name, role string }{{"olga", "owner"}, {"mia", "member"}} {
		u, err := s.store.UpsertUser(ctx, models.Identity{Issuer: "test", Subject: p.name, Email: p.name + "@example.com"})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.store.SetMember(ctx, sys, "zoo", u.ID, p.role); err != nil {
			t.Fatal(err)
		}
	}
	msg := notify.Message{Kind: "retirement.approval", Title: "Approve retiring Pets v1", Audience: notify.Audience{Teams: []string{"zoo"}}}

	// Without SMTP nothing is emailed, and the governance webhook is not
	// for this team's message.
	s.enqueue(t, msg)
	s.runAt(t, 0)
	if rows := s.deliveries(t); len(rows) != 0 {
		t.Errorf("without email: %d deliveries", len(rows))
	}
	mailer := &fakeMailer{}
	s.job.Email = mailer
	s.enqueue(t, msg)
	s.runAt(t, time.Minute)
	if strings.Join(mailer.sent, "|") != "olga@example.com: Approve retiring Pets v1" {
		t.Errorf("emails = %q, want one to the owner", mailer.sent)
	}
	if rows := s.deliveries(t); len(rows) != 1 || rows[0].Status != models.DeliverySent || rows[0].Target != "olga@example.com" {
		t.Errorf("deliveries = %+v", rows)
	}
}
