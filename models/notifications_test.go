package models_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/steward-governance/steward/catalog"
	"github.com/steward-governance/steward/models"
	"github.com/steward-governance/steward/notify"
)

// people adds an owner and a member of payments, an owner of identity who
// leads governance, and a bystander; it returns their ids by name.
func people(t *testing.T, s *models.Store) map[string]uint {
	t.Helper()
	ctx := context.Background()
	ids := map[string]uint{}
	for _, p := range []struct {
		name, team, role string
		governance       bool
	}{
		{"olga", "payments", "owner", false},
		{"mia", "payments", "member", false},
		{"gil", "identity", "owner", true},
		{"bea", "", "", false},
	} {
		u, err := s.UpsertUser(ctx, models.Identity{Issuer: "test", Subject: p.name, Email: p.name + "@example.com", Name: p.name, Governance: p.governance})
		if err != nil {
			t.Fatal(err)
		}
		if p.team != "" {
			if err := s.SetMember(ctx, alice, p.team, u.ID, p.role); err != nil {
				t.Fatal(err)
			}
		}
		ids[p.name] = u.ID
	}
	return ids
}

func inTx(t *testing.T, s *models.Store, f func(tx *gorm.DB) error) error {
	t.Helper()
	return s.DB().Transaction(f)
}

func inboxKeys(t *testing.T, s *models.Store, user uint) string {
	t.Helper()
	items, err := s.Inbox(context.Background(), user)
	if err != nil {
		t.Fatal(err)
	}
	n, err := s.InboxCount(context.Background(), user)
	if err != nil {
		t.Fatal(err)
	}
	if int(n) != len(items) {
		t.Errorf("InboxCount = %d, Inbox lists %d", n, len(items))
	}
	var keys []string
	for _, it := range items {
		keys = append(keys, it.Key+"("+strings.Join(it.For, "+")+")")
	}
	return strings.Join(keys, " ")
}

func TestInboxItemsFollowOwnershipAndResolve(t *testing.T) {
	eachEngine(t, func(t *testing.T, s *models.Store) {
		seed(t, s)
		ids := people(t, s)
		add := func(items ...models.InboxItem) {
			t.Helper()
			if err := inTx(t, s, func(tx *gorm.DB) error {
				for _, it := range items {
					if err := models.AddInboxItem(tx, it); err != nil {
						return err
					}
				}
				return nil
			}); err != nil {
				t.Fatal(err)
			}
		}
		add(
			models.InboxItem{Key: "retirement:1", Title: "Approve retiring Refunds v1", URL: "/retirements/1", TeamSlug: "payments"},
			models.InboxItem{Key: "retirement:2", Title: "Approve retiring Login v2", URL: "/retirements/2", TeamSlug: "identity"},
			models.InboxItem{Key: "retirement:2", Title: "Approve retiring Login v2 (partner API)", URL: "/retirements/2", Governance: true},
			models.InboxItem{Key: "waiver:9", Title: "Answer the question on your waiver", URL: "/waivers", UserID: ids["bea"]},
		)
		// A job adding the same item on every run keeps one.
		add(models.InboxItem{Key: "retirement:1", Title: "Approve retiring Refunds v1 (7 days left)", URL: "/retirements/1", TeamSlug: "payments"})

		want := map[string]string{
			"olga": "retirement:1(owners of Payments)",
			"mia":  "", // members do not decide
			"gil":  "retirement:2(owners of Identity+governance leads)",
			"bea":  "waiver:9(you)",
		}
		for name, keys := range want {
			if got := inboxKeys(t, s, ids[name]); got != keys {
				t.Errorf("%s's inbox = %q, want %q", name, got, keys)
			}
		}
		items, _ := s.Inbox(context.Background(), ids["olga"])
		if len(items) != 1 || items[0].Title != "Approve retiring Refunds v1 (7 days left)" || items[0].URL != "/retirements/1" {
			t.Errorf("olga's item = %+v, want the updated title", items)
		}

		if err := inTx(t, s, func(tx *gorm.DB) error { return models.ResolveInboxItems(tx, "retirement:2") }); err != nil {
			t.Fatal(err)
		}
		if got := inboxKeys(t, s, ids["gil"]); got != "" {
			t.Errorf("after the decision gil's inbox = %q, want it empty", got)
		}
		if got := inboxKeys(t, s, ids["olga"]); got != "retirement:1(owners of Payments)" {
			t.Errorf("resolving one decision touched another: %q", got)
		}
		// A rolled-back decision leaves the item open.
		_ = inTx(t, s, func(tx *gorm.DB) error {
			if err := models.ResolveInboxItems(tx, "retirement:1"); err != nil {
				return err
			}
			return errors.New("the approval failed")
		})
		if got := inboxKeys(t, s, ids["olga"]); got != "retirement:1(owners of Payments)" {
			t.Errorf("after a rolled-back decision olga's inbox = %q", got)
		}
	})
}

func TestAddInboxItemRefusesUnclearItems(t *testing.T) {
	eachEngine(t, func(t *testing.T, s *models.Store) {
		seed(t, s)
		cases := map[string]models.InboxItem{
			"nobody":            {Key: "k", Title: "t"},
			"two addressees":    {Key: "k", Title: "t", TeamSlug: "payments", Governance: true},
			"no key":            {Title: "t", Governance: true},
			"no title":          {Key: "k", Governance: true},
			"offsite link":      {Key: "k", Title: "t", URL: "https://evil.example", Governance: true},
			"protocol-relative": {Key: "k", Title: "t", URL: "//evil.example", Governance: true},
		}
		for name, it := range cases {
			err := inTx(t, s, func(tx *gorm.DB) error { return models.AddInboxItem(tx, it) })
			if !errors.Is(err, catalog.ErrInvalid) {
				t.Errorf("%s: %v, want invalid", name, err)
			}
		}
		err := inTx(t, s, func(tx *gorm.DB) error {
			return models.AddInboxItem(tx, models.InboxItem{Key: "k", Title: "t", TeamSlug: "nope"})
		})
		if err == nil {
			t.Error("an item for an unknown team was accepted")
		}
	})
}

func enqueue(t *testing.T, s *models.Store, msgs ...notify.Message) {
	t.Helper()
	if err := inTx(t, s, func(tx *gorm.DB) error {
		for _, m := range msgs {
			if err := models.EnqueueNotification(tx, m); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}

func addWebhook(t *testing.T, s *models.Store, name, events, audience string) *models.Webhook {
	t.Helper()
	kinds, err := notify.ParseKinds(events)
	if err != nil {
		t.Fatal(err)
	}
	w, err := s.CreateWebhook(context.Background(), alice, models.NewWebhook{Name: name, URLHint: "https://hooks.example.com/…", Kinds: kinds, Audience: audience,
		Seal: func(id int64) (string, string, error) { return "sealed-url", "sealed-secret", nil }})
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// targets lists the due deliveries as "channel:target".
func targets(t *testing.T, s *models.Store, now time.Time) []string {
	t.Helper()
	due, err := s.DueDeliveries(context.Background(), now, 100)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, d := range due {
		target := d.Email
		if d.Channel == models.ChannelWebhook {
			target = d.WebhookName
		}
		out = append(out, d.Message.Kind+">"+d.Channel+":"+target)
	}
	return out
}

func TestRouteNotifications(t *testing.T) {
	eachEngine(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		seed(t, s)
		people(t, s)
		addWebhook(t, s, "everything", "", notify.AudienceAll)
		addWebhook(t, s, "governance channel", "retirement.*", notify.AudienceGovernance)
		addWebhook(t, s, "payments channel", "", notify.TeamAudience("payments"))
		paused := addWebhook(t, s, "paused", "", notify.AudienceAll)
		if err := s.SetWebhookEnabled(ctx, alice, paused.ID, false); err != nil {
			t.Fatal(err)
		}

		if err := inTx(t, s, func(tx *gorm.DB) error {
			return models.EnqueueNotification(tx, notify.Message{Kind: "retirement", Title: "no area.event kind"})
		}); !errors.Is(err, catalog.ErrInvalid) {
			t.Errorf("invalid message: %v, want invalid", err)
		}
		enqueue(t, s,
			notify.Message{Kind: "retirement.reminder", Title: "Refunds v1 retires in 7 days",
				Audience: notify.Audience{Teams: []string{"payments"}, Governance: true, Emails: []string{"Olga <OLGA@example.com>", "ext@partner.example"}}},
			notify.Message{Kind: "lifecycle.transition", Title: "Login v2 is deprecated", Audience: notify.Audience{Teams: []string{"identity"}}},
		)
		now := time.Now().Add(time.Second)
		n, err := s.RouteNotifications(ctx, true, now, 100)
		if err != nil || n != 2 {
			t.Fatalf("routed %d, %v", n, err)
		}
		got := strings.Join(targets(t, s, now), "\n")
		want := strings.Join([]string{
			"retirement.reminder>webhook:everything",
			"retirement.reminder>webhook:governance channel",
			"retirement.reminder>webhook:payments channel",
			"retirement.reminder>email:ext@partner.example",
			"retirement.reminder>email:gil@example.com",
			"retirement.reminder>email:olga@example.com",
			"lifecycle.transition>webhook:everything",
			"lifecycle.transition>email:gil@example.com",
		}, "\n")
		if got != want {
			t.Errorf("deliveries:\n%s\nwant:\n%s", got, want)
		}
		if n, _ := s.RouteNotifications(ctx, true, now, 100); n != 0 {
			t.Errorf("routed %d again", n)
		}

		// Without SMTP configured, only webhooks.
		enqueue(t, s, notify.Message{Kind: "lifecycle.transition", Title: "Cards v1 is in production", Audience: notify.Audience{Teams: []string{"payments"}}})
		if _, err := s.RouteNotifications(ctx, false, now, 100); err != nil {
			t.Fatal(err)
		}
		if got := targets(t, s, now); len(got) != 10 || got[8] != "lifecycle.transition>webhook:everything" || got[9] != "lifecycle.transition>webhook:payments channel" {
			t.Errorf("without email: %q", got)
		}

		// Outcomes: sent, retried later, given up.
		due, _ := s.DueDeliveries(ctx, now, 100)
		later := now.Add(time.Minute)
		outcomes := []models.DeliveryOutcome{{At: now}, {At: now, Err: "503", RetryAt: &later}, {At: now, Err: "400 invalid_payload"}}
		for i, o := range outcomes {
			if err := s.RecordDelivery(ctx, due[i].ID, o); err != nil {
				t.Fatal(err)
			}
		}
		if got := len(targets(t, s, now)); got != 7 {
			t.Errorf("due after three outcomes: %d, want 7", got)
		}
		if got := len(targets(t, s, later)); got != 8 {
			t.Errorf("due a minute later: %d, want 8 (the retry)", got)
		}
		recent, err := s.RecentDeliveries(ctx, 20)
		if err != nil || len(recent) != 10 {
			t.Fatalf("recent = %d, %v", len(recent), err)
		}
		byID := map[int64]models.DeliveryRow{}
		for _, r := range recent {
			byID[r.ID] = r
		}
		if r := byID[due[0].ID]; r.Status != models.DeliverySent || r.Attempts != 1 || r.SentAt == nil || r.Title != "Refunds v1 retires in 7 days" || r.Target != "everything" {
			t.Errorf("sent row = %+v", r)
		}
		if r := byID[due[1].ID]; r.Status != models.DeliveryPending || r.Attempts != 1 || r.LastError != "503" || r.NextAttemptAt == nil {
			t.Errorf("retried row = %+v", r)
		}
		if r := byID[due[2].ID]; r.Status != models.DeliveryFailed || r.LastError != "400 invalid_payload" {
			t.Errorf("failed row = %+v", r)
		}

		// Deleting a webhook drops it with its deliveries.
		if err := s.DeleteWebhook(ctx, alice, paused.ID); err != nil {
			t.Fatal(err)
		}
		hooks, _ := s.Webhooks(ctx)
		if len(hooks) != 3 {
			t.Errorf("webhooks after delete: %d", len(hooks))
		}

		// Pruning keeps notifications with deliveries still pending.
		if _, err := s.PruneNotifications(ctx, now.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		if got := len(targets(t, s, later)); got != 8 {
			t.Errorf("pruning dropped pending deliveries: %d left", got)
		}
	})
}

func TestWebhookTestGoesToOneWebhook(t *testing.T) {
	eachEngine(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		addWebhook(t, s, "ops", "retirement.*", notify.AudienceGovernance)
		w := addWebhook(t, s, "paused one", "", notify.AudienceAll)
		if err := s.SetWebhookEnabled(ctx, alice, w.ID, false); err != nil {
			t.Fatal(err)
		}
		if err := s.EnqueueWebhookTest(ctx, alice, w.ID, notify.Message{Kind: notify.KindTest, Title: "Test"}); err != nil {
			t.Fatal(err)
		}
		now := time.Now().Add(time.Second)
		if got := targets(t, s, now); len(got) != 0 {
			t.Errorf("a paused webhook's test was due: %q", got)
		}
		if err := s.SetWebhookEnabled(ctx, alice, w.ID, true); err != nil {
			t.Fatal(err)
		}
		if got := strings.Join(targets(t, s, now), " "); got != "steward.test>webhook:paused one" {
			t.Errorf("test deliveries = %q", got)
		}
		if err := s.EnqueueWebhookTest(ctx, alice, 999, notify.Message{Kind: notify.KindTest, Title: "Test"}); !errors.Is(err, catalog.ErrNotFound) {
			t.Errorf("test of an unknown webhook: %v", err)
		}
		if _, err := s.CreateWebhook(ctx, alice, models.NewWebhook{Name: "ops", Seal: func(int64) (string, string, error) { return "", "", nil }}); !errors.Is(err, catalog.ErrConflict) {
			t.Errorf("duplicate name: %v", err)
		}
		ev, _ := s.AuditFor(ctx, "webhook", "paused one", 10)
		var actions []string
		for _, e := range ev {
			actions = append(actions, e.Action)
		}
		if !strings.Contains(strings.Join(actions, " "), "webhook.test") {
			t.Errorf("audit = %q", actions)
		}
	})
}
