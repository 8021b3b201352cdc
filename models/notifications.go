package models

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/steward-governance/steward/catalog"
	"github.com/steward-governance/steward/notify"
)

// Notifications travel in two steps, so that whoever raises one needs only
// its own transaction: EnqueueNotification stores the message with the
// change that caused it, and the notifications job routes it (one
// delivery per matching webhook and per email address of its audience)
// and then delivers each, retrying as notify.Backoff says.
//
//	notifications        one row per message (JSON), routed_at once fanned out
//	notification_outbox  one row per delivery: channel, target, status,
//	                     attempts, next attempt, last error
//	webhooks             where webhook deliveries go; URL and secret sealed
//	notification_inbox   decisions waiting for a person, a team's owners or
//	                     the governance leads, until resolved
func migrateNotifications(tx *gorm.DB) error {
	return execAll(tx,
		`CREATE TABLE webhooks (
			id {{id}},
			name VARCHAR(120) NOT NULL UNIQUE,
			url_sealed TEXT NOT NULL DEFAULT '',
			url_hint VARCHAR(300) NOT NULL DEFAULT '',
			secret_sealed TEXT NOT NULL DEFAULT '',
			events TEXT NOT NULL DEFAULT '',
			audience VARCHAR(80) NOT NULL DEFAULT '',
			enabled {{bool}} NOT NULL DEFAULT {{true}},
			created_by VARCHAR(200) NOT NULL DEFAULT '',
			created_at {{time}} NOT NULL,
			updated_at {{time}} NOT NULL)`,
		`CREATE TABLE notifications (
			id {{id}},
			kind VARCHAR(80) NOT NULL,
			message TEXT NOT NULL,
			created_at {{time}} NOT NULL,
			routed_at {{time}})`,
		`CREATE INDEX idx_notifications_unrouted ON notifications (id) WHERE routed_at IS NULL`,
		`CREATE INDEX idx_notifications_created ON notifications (created_at)`,
		`CREATE TABLE notification_outbox (
			id {{id}},
			notification_id {{ref}} NOT NULL REFERENCES notifications(id) ON DELETE CASCADE,
			channel VARCHAR(10) NOT NULL,
			webhook_id {{ref}} REFERENCES webhooks(id) ON DELETE CASCADE,
			email VARCHAR(320) NOT NULL DEFAULT '',
			status VARCHAR(10) NOT NULL,
			attempts INTEGER NOT NULL DEFAULT 0,
			next_attempt_at {{time}},
			last_error TEXT NOT NULL DEFAULT '',
			created_at {{time}} NOT NULL,
			sent_at {{time}})`,
		`CREATE INDEX idx_notification_outbox_due ON notification_outbox (next_attempt_at) WHERE status = 'pending'`,
		`CREATE INDEX idx_notification_outbox_notification ON notification_outbox (notification_id)`,
		`CREATE INDEX idx_notification_outbox_webhook ON notification_outbox (webhook_id)`,
		`CREATE INDEX idx_notification_outbox_created ON notification_outbox (created_at)`,
		`CREATE TABLE notification_inbox (
			id {{id}},
			item_key VARCHAR(200) NOT NULL,
			title VARCHAR(300) NOT NULL,
			url VARCHAR(2000) NOT NULL DEFAULT '',
			user_id {{ref}} REFERENCES users(id) ON DELETE CASCADE,
			team_id {{ref}} REFERENCES teams(id) ON DELETE CASCADE,
			governance {{bool}} NOT NULL DEFAULT {{false}},
			created_at {{time}} NOT NULL,
			resolved_at {{time}})`,
		`CREATE INDEX idx_notification_inbox_key ON notification_inbox (item_key)`,
		`CREATE INDEX idx_notification_inbox_open ON notification_inbox (created_at) WHERE resolved_at IS NULL`,
		`CREATE INDEX idx_notification_inbox_user ON notification_inbox (user_id)`,
		`CREATE INDEX idx_notification_inbox_team ON notification_inbox (team_id)`,
	)
}

// Delivery channels and statuses.
const (
	ChannelWebhook = "webhook"
	ChannelEmail   = "email"

	DeliveryPending = "pending"
	DeliverySent    = "sent"
	DeliveryFailed  = "failed"
)

// roleOwner is policy.RoleOwner as team_members stores it: owners decide
// for their team, so their inbox and mailbox get its approvals.
const roleOwner = "owner"

// EnqueueNotification queues msg in the caller's transaction, so the
// notification exists exactly when the change it tells of does. The
// notifications job routes and delivers it within a minute or so. An
// invalid message (see notify.Message.Validate) is catalog.ErrInvalid.
func EnqueueNotification(tx *gorm.DB, msg notify.Message) error {
	if err := msg.Validate(); err != nil {
		return fmt.Errorf("models: enqueue notification: %v: %w", err, catalog.ErrInvalid)
	}
	raw, err := json.Marshal(msg)
	if err != nil {
		return fmt.Errorf("models: enqueue notification: %w", err)
	}
	err = tx.Exec(`INSERT INTO notifications (kind, message, created_at) VALUES (?, ?, ?)`, msg.Kind, string(raw), time.Now().UTC()).Error
	return translate(err, "enqueue notification")
}

// Webhook is an outgoing webhook. Its URL (a Slack webhook URL is itself a
// credential) and its shared secret are stored sealed; URLHint says which
// endpoint it is without giving it away.
type Webhook struct {
	ID           int64
	Name         string
	URLSealed    string
	URLHint      string
	SecretSealed string
	// Events is the comma-separated kinds filter; empty takes every kind.
	Events string
	// Audience is notify.AudienceAll, notify.AudienceGovernance or
	// notify.TeamAudience(slug).
	Audience  string
	Enabled   bool
	CreatedBy string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// TableName keeps GORM on the migration's table.
func (Webhook) TableName() string { return "webhooks" }

// Route is what the webhook receives.
func (w Webhook) Route() notify.Route {
	kinds, _ := notify.ParseKinds(w.Events)
	return notify.Route{Kinds: kinds, Audience: w.Audience}
}

// WebhookURLContext and WebhookSecretContext bind a webhook's sealed URL
// and secret to its row, so a sealed value copied elsewhere does not open.
func WebhookURLContext(id int64) string { return "webhook:" + strconv.FormatInt(id, 10) + ":url" }

// WebhookSecretContext: see WebhookURLContext.
func WebhookSecretContext(id int64) string { return "webhook:" + strconv.FormatInt(id, 10) + ":secret" }

// NewWebhook is what adding a webhook stores. Seal seals the URL and the
// shared secret for the new row's id.
type NewWebhook struct {
	Name     string
	URLHint  string
	Kinds    []string
	Audience string
	Seal     func(id int64) (url, secret string, err error)
}

// CreateWebhook stores a webhook, audited (never its URL or secret).
func (s *Store) CreateWebhook(ctx context.Context, actor catalog.Actor, in NewWebhook) (*Webhook, error) {
	now := time.Now().UTC()
	w := Webhook{Name: in.Name, URLHint: in.URLHint, Events: strings.Join(in.Kinds, ","), Audience: in.Audience,
		Enabled: true, CreatedBy: actor.Name, CreatedAt: now, UpdatedAt: now}
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var taken int64
		if err := tx.Table("webhooks").Where("name = ?", in.Name).Count(&taken).Error; err != nil {
			return err
		}
		if taken > 0 {
			return fmt.Errorf("a webhook named %q exists: %w", in.Name, catalog.ErrConflict)
		}
		if err := tx.Create(&w).Error; err != nil {
			return err
		}
		url, secret, err := in.Seal(w.ID)
		if err != nil {
			return err
		}
		w.URLSealed, w.SecretSealed = url, secret
		if err := tx.Table("webhooks").Where("id = ?", w.ID).Updates(map[string]any{"url_sealed": url, "secret_sealed": secret}).Error; err != nil {
			return err
		}
		return audit(tx, actor, "webhook.create", "webhook", w.Name, nil,
			map[string]any{"endpoint": w.URLHint, "events": w.Events, "audience": w.Audience})
	})
	if err != nil {
		return nil, translate(err, "create webhook")
	}
	return &w, nil
}

// Webhooks lists every webhook by name.
func (s *Store) Webhooks(ctx context.Context) ([]Webhook, error) {
	var out []Webhook
	err := s.db.WithContext(ctx).Order("name").Find(&out).Error
	return out, translate(err, "list webhooks")
}

// SetWebhookEnabled pauses or resumes a webhook, audited. A paused
// webhook's deliveries wait, and new messages are not routed to it.
func (s *Store) SetWebhookEnabled(ctx context.Context, actor catalog.Actor, id int64, enabled bool) error {
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var w Webhook
		if err := tx.Where("id = ?", id).Take(&w).Error; err != nil {
			return err
		}
		if err := tx.Table("webhooks").Where("id = ?", id).Updates(map[string]any{"enabled": enabled, "updated_at": time.Now().UTC()}).Error; err != nil {
			return err
		}
		return audit(tx, actor, "webhook.enable", "webhook", w.Name, map[string]any{"enabled": w.Enabled}, map[string]any{"enabled": enabled})
	})
	return translate(err, "enable webhook")
}

// DeleteWebhook removes a webhook with its deliveries, audited.
func (s *Store) DeleteWebhook(ctx context.Context, actor catalog.Actor, id int64) error {
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var w Webhook
		if err := tx.Where("id = ?", id).Take(&w).Error; err != nil {
			return err
		}
		if err := tx.Exec(`DELETE FROM webhooks WHERE id = ?`, id).Error; err != nil {
			return err
		}
		return audit(tx, actor, "webhook.delete", "webhook", w.Name, map[string]any{"endpoint": w.URLHint}, nil)
	})
	return translate(err, "delete webhook")
}

// EnqueueWebhookTest queues msg for one webhook only, whatever its filter
// and even while it is paused, for the webhooks page's test button.
func (s *Store) EnqueueWebhookTest(ctx context.Context, actor catalog.Actor, id int64, msg notify.Message) error {
	if err := msg.Validate(); err != nil {
		return fmt.Errorf("models: test webhook: %v: %w", err, catalog.ErrInvalid)
	}
	raw, err := json.Marshal(msg)
	if err != nil {
		return err
	}
	now := time.Now().UTC()
	err = s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var w Webhook
		if err := tx.Where("id = ?", id).Take(&w).Error; err != nil {
			return err
		}
		n := notificationRow{Kind: msg.Kind, Message: string(raw), CreatedAt: now, RoutedAt: &now}
		if err := tx.Create(&n).Error; err != nil {
			return err
		}
		if err := tx.Create(&outboxRow{NotificationID: n.ID, Channel: ChannelWebhook, WebhookID: &w.ID, Status: DeliveryPending, NextAttemptAt: &now, CreatedAt: now}).Error; err != nil {
			return err
		}
		return audit(tx, actor, "webhook.test", "webhook", w.Name, nil, nil)
	})
	return translate(err, "test webhook")
}

// notificationRow and outboxRow are the tables' rows as written.
type notificationRow struct {
	ID        int64
	Kind      string
	Message   string
	CreatedAt time.Time
	RoutedAt  *time.Time
}

func (notificationRow) TableName() string { return "notifications" }

type outboxRow struct {
	ID             int64
	NotificationID int64
	Channel        string
	WebhookID      *int64
	Email          string
	Status         string
	Attempts       int
	NextAttemptAt  *time.Time
	LastError      string
	CreatedAt      time.Time
	SentAt         *time.Time
}

func (outboxRow) TableName() string { return "notification_outbox" }

// RouteNotifications fans up to limit new notifications out into
// deliveries: one for each enabled webhook whose route takes the message
// and, when email is on, one for each address of its audience (owners of
// its teams, governance leads, listed addresses), each address once. It
// returns how many notifications it routed.
func (s *Store) RouteNotifications(ctx context.Context, email bool, now time.Time, limit int) (int, error) {
	now = now.UTC()
	db := s.db.WithContext(ctx)
	var pending []notificationRow
	if err := db.Where("routed_at IS NULL").Order("id").Limit(limit).Find(&pending).Error; err != nil {
		return 0, translate(err, "route notifications")
	}
	if len(pending) == 0 {
		return 0, nil
	}
	var hooks []Webhook
	if err := db.Where("enabled = ?", true).Order("id").Find(&hooks).Error; err != nil {
		return 0, translate(err, "route notifications")
	}
	routed := 0
	err := db.Transaction(func(tx *gorm.DB) error {
		for _, n := range pending {
			// Claiming the row first keeps a notification from being
			// routed twice should two routers ever meet.
			res := tx.Exec(`UPDATE notifications SET routed_at = ? WHERE id = ? AND routed_at IS NULL`, now, n.ID)
			if res.Error != nil {
				return res.Error
			}
			if res.RowsAffected == 0 {
				continue
			}
			routed++
			var msg notify.Message
			if err := json.Unmarshal([]byte(n.Message), &msg); err != nil {
				continue // unreadable: nothing could be sent; kept for the record
			}
			var rows []outboxRow
			for _, h := range hooks {
				if h.Route().Matches(msg) {
					rows = append(rows, outboxRow{NotificationID: n.ID, Channel: ChannelWebhook, WebhookID: &h.ID, Status: DeliveryPending, NextAttemptAt: &now, CreatedAt: now})
				}
			}
			if email {
				addrs, err := emailRecipients(tx, msg.Audience)
				if err != nil {
					return err
				}
				for _, a := range addrs {
					rows = append(rows, outboxRow{NotificationID: n.ID, Channel: ChannelEmail, Email: a, Status: DeliveryPending, NextAttemptAt: &now, CreatedAt: now})
				}
			}
			if len(rows) > 0 {
				if err := tx.Create(&rows).Error; err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return 0, translate(err, "route notifications")
	}
	return routed, nil
}

// emailRecipients lists the addresses of an audience, once each, sorted.
func emailRecipients(tx *gorm.DB, a notify.Audience) ([]string, error) {
	var found []string
	if len(a.Teams) > 0 {
		var owners []string
		err := tx.Table("team_members").
			Joins("JOIN users ON users.id = team_members.user_id").
			Joins("JOIN teams ON teams.id = team_members.team_id").
			Where("teams.slug IN ? AND team_members.role = ? AND users.email <> ''", a.Teams, roleOwner).
			Pluck("users.email", &owners).Error
		if err != nil {
			return nil, err
		}
		found = append(found, owners...)
	}
	if a.Governance {
		var leads []string
		if err := tx.Table("users").Where("governance = ? AND email <> ''", true).Pluck("email", &leads).Error; err != nil {
			return nil, err
		}
		found = append(found, leads...)
	}
	found = append(found, a.Emails...)
	seen := map[string]bool{}
	var out []string
	for _, e := range found {
		addr, err := notify.ParseAddress(e)
		if err != nil || seen[strings.ToLower(addr)] {
			continue
		}
		seen[strings.ToLower(addr)] = true
		out = append(out, addr)
	}
	slices.Sort(out)
	return out, nil
}

// Delivery is one message due to go to one webhook or address.
type Delivery struct {
	ID       int64
	Channel  string
	Attempts int
	Message  notify.Message
	// For webhooks: which, and its sealed URL and secret.
	WebhookID    int64
	WebhookName  string
	URLSealed    string
	SecretSealed string
	// For email: the address.
	Email string
}

// DueDeliveries returns up to limit pending deliveries whose time has
// come, oldest first; deliveries to a paused webhook wait.
func (s *Store) DueDeliveries(ctx context.Context, now time.Time, limit int) ([]Delivery, error) {
	var rows []struct {
		ID           int64
		Channel      string
		Attempts     int
		Message      string
		WebhookID    *int64
		WebhookName  string
		URLSealed    string
		SecretSealed string
		Email        string
	}
	err := s.db.WithContext(ctx).Table("notification_outbox AS o").
		Select(`o.id, o.channel, o.attempts, n.message, o.webhook_id, o.email,
			COALESCE(w.name, '') AS webhook_name, COALESCE(w.url_sealed, '') AS url_sealed, COALESCE(w.secret_sealed, '') AS secret_sealed`).
		Joins("JOIN notifications n ON n.id = o.notification_id").
		Joins("LEFT JOIN webhooks w ON w.id = o.webhook_id").
		Where("o.status = ? AND o.next_attempt_at <= ?", DeliveryPending, now.UTC()).
		Where("(o.channel <> ? OR w.enabled = ?)", ChannelWebhook, true).
		Order("o.next_attempt_at, o.id").Limit(limit).Scan(&rows).Error
	if err != nil {
		return nil, translate(err, "due deliveries")
	}
	out := make([]Delivery, 0, len(rows))
	for _, r := range rows {
		d := Delivery{ID: r.ID, Channel: r.Channel, Attempts: r.Attempts, WebhookName: r.WebhookName,
			URLSealed: r.URLSealed, SecretSealed: r.SecretSealed, Email: r.Email}
		if r.WebhookID != nil {
			d.WebhookID = *r.WebhookID
		}
		if err := json.Unmarshal([]byte(r.Message), &d.Message); err != nil {
			return nil, fmt.Errorf("models: delivery %d: unreadable message: %w", r.ID, err)
		}
		out = append(out, d)
	}
	return out, nil
}

// DeliveryOutcome is how one attempt went.
type DeliveryOutcome struct {
	At time.Time
	// Err is why the attempt failed; empty when it was delivered.
	Err string
	// RetryAt is when to try a failed delivery again; nil gives it up.
	RetryAt *time.Time
}

// RecordDelivery stores an attempt's outcome: sent, pending until RetryAt,
// or failed for good.
func (s *Store) RecordDelivery(ctx context.Context, id int64, o DeliveryOutcome) error {
	at := o.At.UTC()
	db := s.db.WithContext(ctx)
	var err error
	switch {
	case o.Err == "":
		err = db.Exec(`UPDATE notification_outbox SET status = ?, attempts = attempts + 1, sent_at = ?, next_attempt_at = NULL, last_error = '' WHERE id = ?`,
			DeliverySent, at, id).Error
	case o.RetryAt != nil:
		err = db.Exec(`UPDATE notification_outbox SET attempts = attempts + 1, next_attempt_at = ?, last_error = ? WHERE id = ?`,
			o.RetryAt.UTC(), truncate(o.Err, 2000), id).Error
	default:
		err = db.Exec(`UPDATE notification_outbox SET status = ?, attempts = attempts + 1, next_attempt_at = NULL, last_error = ? WHERE id = ?`,
			DeliveryFailed, truncate(o.Err, 2000), id).Error
	}
	return translate(err, "record delivery")
}

// DeliveryRow is one delivery as the webhooks page lists it.
type DeliveryRow struct {
	ID      int64
	Kind    string
	Title   string
	Channel string
	// Target is the webhook's name or the email address.
	Target        string
	Status        string
	Attempts      int
	NextAttemptAt *time.Time
	LastError     string
	CreatedAt     time.Time
	SentAt        *time.Time
}

// RecentDeliveries lists the latest deliveries, newest first.
func (s *Store) RecentDeliveries(ctx context.Context, limit int) ([]DeliveryRow, error) {
	var rows []struct {
		ID            int64
		Channel       string
		Email         string
		Status        string
		Attempts      int
		NextAttemptAt *time.Time
		LastError     string
		CreatedAt     time.Time
		SentAt        *time.Time
		Message       string
		WebhookName   string
	}
	err := s.db.WithContext(ctx).Table("notification_outbox AS o").
		Select(`o.id, o.channel, o.email, o.status, o.attempts, o.next_attempt_at, o.last_error, o.created_at, o.sent_at,
			n.message, COALESCE(w.name, '') AS webhook_name`).
		Joins("JOIN notifications n ON n.id = o.notification_id").
		Joins("LEFT JOIN webhooks w ON w.id = o.webhook_id").
		Order("o.created_at DESC, o.id DESC").Limit(limit).Scan(&rows).Error
	if err != nil {
		return nil, translate(err, "recent deliveries")
	}
	out := make([]DeliveryRow, 0, len(rows))
	for _, r := range rows {
		var msg notify.Message
		_ = json.Unmarshal([]byte(r.Message), &msg)
		target := r.Email
		if r.Channel == ChannelWebhook {
			target = r.WebhookName
		}
		out = append(out, DeliveryRow{ID: r.ID, Kind: msg.Kind, Title: msg.Title, Channel: r.Channel, Target: target, Status: r.Status,
			Attempts: r.Attempts, NextAttemptAt: r.NextAttemptAt, LastError: r.LastError, CreatedAt: r.CreatedAt, SentAt: r.SentAt})
	}
	return out, nil
}

// PruneNotifications deletes notifications older than before whose
// deliveries have all ended (sent or failed), with those deliveries, and
// inbox items resolved before it.
func (s *Store) PruneNotifications(ctx context.Context, before time.Time) (int64, error) {
	before = before.UTC()
	db := s.db.WithContext(ctx)
	res := db.Exec(`DELETE FROM notifications WHERE created_at < ? AND routed_at IS NOT NULL
		AND NOT EXISTS (SELECT 1 FROM notification_outbox o WHERE o.notification_id = notifications.id AND o.status = ?)`, before, DeliveryPending)
	if res.Error != nil {
		return 0, translate(res.Error, "prune notifications")
	}
	if err := db.Exec(`DELETE FROM notification_inbox WHERE resolved_at < ?`, before).Error; err != nil {
		return 0, translate(err, "prune inbox")
	}
	return res.RowsAffected, nil
}

// InboxItem is a decision waiting for someone: one person, the owners of
// a team, or the governance leads (exactly one of UserID, TeamSlug and
// Governance). Items sharing a Key belong to one decision and are
// resolved together.
type InboxItem struct {
	// Key names the decision, such as "retirement:42".
	Key   string
	Title string
	// URL is the Steward path where the decision is made ("/retirements/42").
	URL        string
	UserID     uint
	TeamSlug   string
	Governance bool
}

// AddInboxItem puts an item in the inbox of its addressee, in the caller's
// transaction. Adding it again while it is open updates its title and URL
// instead of adding a second one, so a job may call it on every run.
func AddInboxItem(tx *gorm.DB, item InboxItem) error {
	targets := 0
	for _, set := range []bool{item.UserID != 0, item.TeamSlug != "", item.Governance} {
		if set {
			targets++
		}
	}
	switch {
	case targets != 1:
		return fmt.Errorf("models: inbox item %q must be for one person, one team's owners or the governance leads: %w", item.Key, catalog.ErrInvalid)
	case item.Key == "" || len(item.Key) > 200:
		return fmt.Errorf("models: inbox item needs a key of at most 200 characters: %w", catalog.ErrInvalid)
	case strings.TrimSpace(item.Title) == "" || len(item.Title) > 300:
		return fmt.Errorf("models: inbox item %q needs a title of at most 300 characters: %w", item.Key, catalog.ErrInvalid)
	case item.URL != "" && (!strings.HasPrefix(item.URL, "/") || strings.HasPrefix(item.URL, "//")):
		return fmt.Errorf("models: inbox item %q: the URL must be a Steward path such as /retirements/42: %w", item.Key, catalog.ErrInvalid)
	}
	open := tx.Table("notification_inbox").Where("item_key = ? AND resolved_at IS NULL", item.Key)
	row := map[string]any{"item_key": item.Key, "title": item.Title, "url": item.URL, "governance": item.Governance, "created_at": time.Now().UTC()}
	switch {
	case item.UserID != 0:
		open = open.Where("user_id = ?", item.UserID)
		row["user_id"] = item.UserID
	case item.TeamSlug != "":
		teamID, err := teamIDBySlug(tx, item.TeamSlug)
		if err != nil {
			return err
		}
		open = open.Where("team_id = ?", teamID)
		row["team_id"] = teamID
	default:
		open = open.Where("governance = ?", true)
	}
	var ids []int64
	if err := open.Limit(1).Pluck("id", &ids).Error; err != nil {
		return translate(err, "add inbox item")
	}
	if len(ids) > 0 {
		err := tx.Table("notification_inbox").Where("id = ?", ids[0]).Updates(map[string]any{"title": item.Title, "url": item.URL}).Error
		return translate(err, "add inbox item")
	}
	return translate(tx.Table("notification_inbox").Create(row).Error, "add inbox item")
}

// ResolveInboxItems closes every open item of a decision, in the caller's
// transaction, once the decision is made.
func ResolveInboxItems(tx *gorm.DB, key string) error {
	err := tx.Exec(`UPDATE notification_inbox SET resolved_at = ? WHERE item_key = ? AND resolved_at IS NULL`, time.Now().UTC(), key).Error
	return translate(err, "resolve inbox items")
}

// InboxEntry is one open decision in a person's inbox, with why it is
// theirs ("you", "owners of Zoo", "governance leads").
type InboxEntry struct {
	Key       string
	Title     string
	URL       string
	CreatedAt time.Time
	For       []string
}

// inboxFor selects the open items addressed to the user: directly, to the
// owners of a team they own, or to the governance leads if they are one.
func (s *Store) inboxFor(ctx context.Context, userID uint) *gorm.DB {
	return s.db.WithContext(ctx).Table("notification_inbox AS i").
		Where("i.resolved_at IS NULL").
		Where(`(i.user_id = ?
			OR i.team_id IN (SELECT team_id FROM team_members WHERE user_id = ? AND role = ?)
			OR (i.governance = ? AND EXISTS (SELECT 1 FROM users u WHERE u.id = ? AND u.governance = ?)))`,
			userID, userID, roleOwner, true, userID, true)
}

// Inbox lists the user's open items, newest first, one per decision.
func (s *Store) Inbox(ctx context.Context, userID uint) ([]InboxEntry, error) {
	var rows []struct {
		ItemKey    string
		Title      string
		URL        string
		CreatedAt  time.Time
		UserID     *uint
		TeamName   *string
		Governance bool
	}
	err := s.inboxFor(ctx, userID).
		Select("i.item_key, i.title, i.url, i.created_at, i.user_id, i.governance, t.name AS team_name").
		Joins("LEFT JOIN teams t ON t.id = i.team_id").
		Order("i.created_at DESC, i.id DESC").Limit(500).Scan(&rows).Error
	if err != nil {
		return nil, translate(err, "inbox")
	}
	var out []InboxEntry
	at := map[string]int{}
	for _, r := range rows {
		why := "governance leads"
		switch {
		case r.UserID != nil:
			why = "you"
		case r.TeamName != nil:
			why = "owners of " + *r.TeamName
		}
		if i, ok := at[r.ItemKey]; ok {
			if !slices.Contains(out[i].For, why) {
				out[i].For = append(out[i].For, why)
			}
			continue
		}
		at[r.ItemKey] = len(out)
		out = append(out, InboxEntry{Key: r.ItemKey, Title: r.Title, URL: r.URL, CreatedAt: r.CreatedAt, For: []string{why}})
	}
	// The most personal reason first: "you", then a team, then governance.
	rank := func(why string) int {
		switch {
		case why == "you":
			return 0
		case strings.HasPrefix(why, "owners of "):
			return 1
		}
		return 2
	}
	for _, e := range out {
		slices.SortStableFunc(e.For, func(a, b string) int { return rank(a) - rank(b) })
	}
	return out, nil
}

// InboxCount counts the user's open decisions, for the navigation.
func (s *Store) InboxCount(ctx context.Context, userID uint) (int64, error) {
	var n int64
	err := s.inboxFor(ctx, userID).Select("COUNT(DISTINCT i.item_key)").Scan(&n).Error
	return n, translate(err, "inbox count")
}
