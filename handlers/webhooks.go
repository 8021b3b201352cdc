package handlers

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"github.com/steward-governance/steward/catalog"
	"github.com/steward-governance/steward/jobs"
	"github.com/steward-governance/steward/models"
	"github.com/steward-governance/steward/notify"
	"github.com/steward-governance/steward/policy"
	"github.com/steward-governance/steward/sealing"
	"github.com/steward-governance/steward/web"
)

// Notifications is what the webhooks page and the inbox need.
type Notifications interface {
	Webhooks(ctx context.Context) ([]models.Webhook, error)
	CreateWebhook(ctx context.Context, actor catalog.Actor, in models.NewWebhook) (*models.Webhook, error)
	SetWebhookEnabled(ctx context.Context, actor catalog.Actor, id int64, enabled bool) error
	DeleteWebhook(ctx context.Context, actor catalog.Actor, id int64) error
	EnqueueWebhookTest(ctx context.Context, actor catalog.Actor, id int64, msg notify.Message) error
	RecentDeliveries(ctx context.Context, limit int) ([]models.DeliveryRow, error)
	Inbox(ctx context.Context, userID uint) ([]models.InboxEntry, error)
	InboxCount(ctx context.Context, userID uint) (int64, error)
}

// webhookForm is the add-webhook form as posted.
type webhookForm struct {
	Name     string `form:"name"`
	URL      string `form:"url"`
	Secret   string `form:"secret"`
	Events   string `form:"events"`
	Audience string `form:"audience"`
}

// recentDeliveries is how many deliveries the webhooks page lists.
const recentDeliveries = 20

// minWebhookSecret is the shortest shared secret accepted: enough that it
// cannot be guessed from signatures.
const minWebhookSecret = 16

func (s *Server) showWebhooksPage(c echo.Context) error {
	if err := authorize(c, policy.WebhooksManage, policy.Object{Type: "webhook"}); err != nil {
		return err
	}
	return s.renderWebhooks(c, http.StatusOK, webhookForm{}, nil)
}

func (s *Server) renderWebhooks(c echo.Context, status int, f webhookForm, errs web.FieldErrors) error {
	ctx := c.Request().Context()
	hooks, err := s.store.Webhooks(ctx)
	if err != nil {
		return err
	}
	deliveries, err := s.store.RecentDeliveries(ctx, recentDeliveries)
	if err != nil {
		return err
	}
	teams, err := s.store.ListTeams(ctx)
	if err != nil {
		return err
	}
	p := web.WebhooksPage{
		Values:  web.WebhookFormValues{Name: f.Name, URL: f.URL, Events: f.Events, Audience: f.Audience},
		Errors:  errs,
		CanSeal: s.sealer != nil && s.sealer.Ready(),
		Email:   s.cfg.SMTPAddr != "",
		From:    s.cfg.SMTPFrom,
		Audiences: []web.Option{
			{Value: notify.AudienceAll, Label: "Every message"},
			{Value: notify.AudienceGovernance, Label: "Messages for governance leads"},
		},
	}
	teamNames := map[string]string{}
	for _, t := range teams {
		teamNames[t.Slug] = t.Name
		p.Audiences = append(p.Audiences, web.Option{Value: notify.TeamAudience(t.Slug), Label: "Messages for team " + t.Name})
	}
	for _, h := range hooks {
		p.Webhooks = append(p.Webhooks, web.WebhookRow{ID: h.ID, Name: h.Name, Endpoint: h.URLHint, Events: h.Events,
			Audience: audienceLabel(h.Audience, teamNames), Enabled: h.Enabled, CreatedBy: h.CreatedBy, CreatedAt: h.CreatedAt})
	}
	for _, d := range deliveries {
		p.Deliveries = append(p.Deliveries, web.DeliveryView{Title: d.Title, Kind: d.Kind, Channel: d.Channel, Target: d.Target, Status: d.Status,
			Attempts: d.Attempts, NextAttemptAt: d.NextAttemptAt, LastError: d.LastError, CreatedAt: d.CreatedAt, SentAt: d.SentAt})
	}
	// The form may carry a webhook URL, itself a credential.
	c.Response().Header().Set("Cache-Control", "no-store")
	return s.render(c, status, web.Webhooks(s.layout(c, "Webhooks"), p))
}

// audienceLabel says in words whose messages a webhook receives.
func audienceLabel(audience string, teamNames map[string]string) string {
	switch audience {
	case notify.AudienceAll:
		return "every message"
	case notify.AudienceGovernance:
		return "governance leads"
	}
	slug := strings.TrimPrefix(audience, "team:")
	if name, ok := teamNames[slug]; ok {
		return "team " + name
	}
	return "team " + slug + " (deleted)"
}

func (s *Server) createWebhook(c echo.Context) error {
	if err := authorize(c, policy.WebhooksManage, policy.Object{Type: "webhook"}); err != nil {
		return err
	}
	var f webhookForm
	if err := bindForm(c, &f); err != nil {
		return err
	}
	in, errs, err := s.newWebhook(c.Request().Context(), &f)
	if err != nil {
		return err
	}
	if len(errs) > 0 {
		return s.renderWebhooks(c, http.StatusUnprocessableEntity, f, errs)
	}
	_, err = s.store.CreateWebhook(c.Request().Context(), actor(c), in)
	if errors.Is(err, catalog.ErrConflict) {
		return s.renderWebhooks(c, http.StatusConflict, f, web.FieldErrors{"name": "A webhook with this name exists; choose another."})
	} else if err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/admin/webhooks")
}

// newWebhook checks the add-webhook form and builds what the store keeps,
// with the URL and secret sealed for the new row.
func (s *Server) newWebhook(ctx context.Context, f *webhookForm) (in models.NewWebhook, errs web.FieldErrors, err error) {
	f.Name, f.URL, f.Events = strings.TrimSpace(f.Name), strings.TrimSpace(f.URL), strings.TrimSpace(f.Events)
	errs = web.FieldErrors{}
	if f.Name == "" || utf8.RuneCountInString(f.Name) > 120 {
		errs["name"] = "Give the webhook a name of at most 120 characters, such as “#api-governance”."
	}
	u, perr := url.Parse(f.URL)
	if perr != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || len(f.URL) > 2000 {
		errs["url"] = "Paste the receiver's full address, starting with https://."
	}
	switch n := utf8.RuneCountInString(f.Secret); {
	case s.sealer == nil || !s.sealer.Ready():
		errs["secret"] = sealing.ErrNoKey.Error()
	case n < minWebhookSecret || n > 200:
		errs["secret"] = "Type a random shared secret of " + strconv.Itoa(minWebhookSecret) + " to 200 characters (openssl rand -hex 32); the receiver checks signatures with it."
	}
	kinds, kerr := notify.ParseKinds(f.Events)
	if kerr != nil {
		errs["events"] = "List message kinds separated by commas, such as retirement.* or lifecycle.transition; leave empty for all."
	}
	if f.Audience != notify.AudienceAll && f.Audience != notify.AudienceGovernance {
		slug, ok := strings.CutPrefix(f.Audience, "team:")
		if !ok {
			errs["audience"] = "Choose one of the audiences listed."
		} else if _, err := s.store.GetTeam(ctx, slug); errors.Is(err, catalog.ErrNotFound) {
			errs["audience"] = "That team no longer exists; choose another audience."
		} else if err != nil {
			return in, nil, err
		}
	}
	if len(errs) > 0 {
		return in, errs, nil
	}
	secret, rawURL := f.Secret, f.URL
	in = models.NewWebhook{Name: f.Name, URLHint: urlHint(u), Kinds: kinds, Audience: f.Audience,
		Seal: func(id int64) (string, string, error) {
			sealedURL, err := s.sealer.Seal(rawURL, models.WebhookURLContext(id))
			if err != nil {
				return "", "", err
			}
			sealedSecret, err := s.sealer.Seal(secret, models.WebhookSecretContext(id))
			return sealedURL, sealedSecret, err
		}}
	return in, nil, nil
}

// urlHint names a webhook's endpoint without giving it away: a Slack
// webhook's path is its credential, so only its host and last characters
// show.
func urlHint(u *url.URL) string {
	hint := u.Scheme + "://" + u.Host
	rest := strings.TrimSuffix(u.EscapedPath(), "/")
	if u.RawQuery != "" {
		rest += "?" + u.RawQuery
	}
	if rest == "" {
		return hint
	}
	if len(rest) <= 4 {
		return hint + "/…"
	}
	return hint + "/…" + rest[len(rest)-4:]
}

func webhookID(c echo.Context) (int64, error) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil {
		return 0, echo.NewHTTPError(http.StatusNotFound, "No such webhook.")
	}
	return id, nil
}

func (s *Server) setWebhookEnabled(c echo.Context) error {
	if err := authorize(c, policy.WebhooksManage, policy.Object{Type: "webhook"}); err != nil {
		return err
	}
	id, err := webhookID(c)
	if err != nil {
		return err
	}
	enabled, err := strconv.ParseBool(c.FormValue("enabled"))
	if err != nil {
		return echo.NewHTTPError(http.StatusBadRequest, "enabled must be true or false.")
	}
	if err := s.store.SetWebhookEnabled(c.Request().Context(), actor(c), id, enabled); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/admin/webhooks")
}

func (s *Server) deleteWebhook(c echo.Context) error {
	if err := authorize(c, policy.WebhooksManage, policy.Object{Type: "webhook"}); err != nil {
		return err
	}
	id, err := webhookID(c)
	if err != nil {
		return err
	}
	if err := s.store.DeleteWebhook(c.Request().Context(), actor(c), id); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/admin/webhooks")
}

// notificationsJob is the delivery job's name, run at once after a test
// so the admin sees the outcome without waiting for the next minute.
const notificationsJob = "notifications"

func (s *Server) testWebhook(c echo.Context) error {
	if err := authorize(c, policy.WebhooksManage, policy.Object{Type: "webhook"}); err != nil {
		return err
	}
	id, err := webhookID(c)
	if err != nil {
		return err
	}
	a := actor(c)
	msg := notify.Message{Kind: notify.KindTest, Title: "Test message from Steward", URL: "/admin/webhooks",
		Text: "If you can read this, the webhook works. Sent by " + a.Name + " from the webhooks page."}
	if err := s.store.EnqueueWebhookTest(c.Request().Context(), a, id, msg); err != nil {
		return err
	}
	if s.jobs != nil && s.jobs.Has(notificationsJob) {
		// Already running means it will be picked up by this run or the
		// next; either way the admin sees it in the list.
		if _, err := s.jobs.RunNow(notificationsJob, a.Name); err != nil && !errors.Is(err, jobs.ErrRunning) {
			s.log.Warn("notifications job not started after a webhook test", "error", err)
		}
	}
	return c.Redirect(http.StatusSeeOther, "/admin/webhooks")
}
