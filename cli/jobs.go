package cli

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/steward-governance/steward/config"
	"github.com/steward-governance/steward/jobs"
	"github.com/steward-governance/steward/metrics"
	"github.com/steward-governance/steward/models"
	"github.com/steward-governance/steward/notify"
	"github.com/steward-governance/steward/sealing"
	"github.com/steward-governance/steward/specs"
	"github.com/steward-governance/steward/traffic/ingest"
	"github.com/steward-governance/steward/traffic/journal"
)

// jobDeps are what the scheduled jobs are built from.
type jobDeps struct {
	cfg      *config.Config
	log      *slog.Logger
	scoring  *jobs.Scoring
	journal  *journal.Journal
	box      *sealing.Box
	instance string
}

// jobDefinitions lists every scheduled job with its default schedule and
// the words the jobs page shows for it.
func jobDefinitions(store *models.Store, d jobDeps) []jobs.Definition {
	abs, _ := filepath.Abs(d.cfg.JournalDir)
	return []jobs.Definition{
		{Job: &jobs.Rollup{Store: store, Journal: d.journal, Consumer: "journal:" + d.instance + ":" + abs, Log: d.log},
			Title: "Traffic rollup", Schedule: "@every 1m", PerReplica: true,
			Description: "Matches the events this replica acknowledged or read to the catalogue and adds them to the hourly rollups (on every replica: each drains its own journal)."},
		{Job: &jobs.LogRead{Store: store, Journal: d.journal, Hasher: ingest.NewHasher(d.box.ConsumerKey()), Log: d.log},
			Title: "Log read", Schedule: "@every 1m",
			Description: "Reads new lines of the nginx, Kong and Envoy access logs set up as sources, following rotation."},
		{Job: &jobs.GatewayPull{Store: store, Secrets: d.box, Log: d.log},
			Title: "Gateway pull", Schedule: "@every 5m",
			Description: "Reads each Kong gateway's services, routes and plugins through its Admin API."},
		{Job: d.scoring, Title: "Scoring", Schedule: "@every 5m",
			Description: "Re-scores versions whose spec or standard changed; uploads and publishing also start it at once."},
		{Job: &jobs.RuntimeScoring{Store: store, Log: d.log, SpecLimits: specs.Limits{MaxBytes: d.cfg.MaxSpecBytes}},
			Title: "Runtime scoring", Schedule: "@every 15m",
			Description: "Holds each version's traffic over the standard's window (7 days unless x-steward-runtime says otherwise) to its runtime rules and measures drift from its spec; versions without traffic show no runtime data."},
		{Job: &jobs.GovernanceSnapshot{Store: store, Log: d.log}, Title: "Governance overview", Schedule: "@every 1h",
			Description: "Computes the governance overview's figures for the organisation and each team from the stored scorecards, traffic, gateway routes, zombie verdicts and runtime scorecards; replaces the latest snapshot and keeps the day's last one for two years, for the trend lines."},
		{Job: &jobs.Retention{Store: store}, Title: "Retention", Schedule: "@daily",
			Description: "Deletes hourly rollups older than 400 days, and job runs and superseded runtime scorecards older than 30 days."},
		{Job: &jobs.ZombieDetection{Store: store, Proposals: newRetirementService(store), Log: d.log}, Title: "Zombie detection", Schedule: "@daily",
			Description: "Finds production and preview versions, and endpoints of them, without legitimate traffic for the zombie window (30 days unless set otherwise) where the traffic sources covered it, and proposes retiring the zombie versions."},
		{Job: &jobs.RetirementFollowUp{Store: store, Cases: newRetirementService(store), Log: d.log}, Title: "Retirement follow-up", Schedule: "@daily",
			Description: "Reminds owners and governance 30, 7 and 1 days before each sunset; at the sunset retires the version if its traffic has stopped, else marks the case blocked and escalates it."},
		{Job: &jobs.SessionCleanup{Store: store, Idle: d.cfg.SessionIdle, Log: d.log}, Title: "Session clean-up", Schedule: "@every 1h",
			Description: "Deletes expired sessions and stale sign-in attempts."},
		{Job: notificationJob(store, d), Title: "Notifications", Schedule: "@every 1m",
			Description: "Sends queued notifications to the webhooks on /admin/webhooks and, with STEWARD_SMTP_ADDR set, by email; retries after 1m, 5m, 30m, 2h and 6h, then gives up."},
	}
}

// notificationJob builds the delivery job; email only when an SMTP
// server is configured.
func notificationJob(store *models.Store, d jobDeps) *jobs.NotificationDelivery {
	j := &jobs.NotificationDelivery{Store: store, Webhooks: &notify.WebhookSender{}, Secrets: d.box, BaseURL: d.cfg.BaseURL, Log: d.log}
	if d.cfg.SMTPAddr != "" {
		j.Email = &notify.SMTPSender{Addr: d.cfg.SMTPAddr, Username: d.cfg.SMTPUsername, Password: d.cfg.SMTPPassword, From: d.cfg.SMTPFrom, Hello: d.instance}
	}
	return j
}

// registerJobs schedules every job with the schedule an admin saved, or
// its default.
func registerJobs(ctx context.Context, r *jobs.Runner, store *models.Store, d jobDeps) error {
	settings, err := store.JobSettings(ctx)
	if err != nil {
		return err
	}
	for _, def := range jobDefinitions(store, d) {
		schedule, enabled := def.Schedule, true
		if set, ok := settings[def.Job.Name()]; ok {
			schedule, enabled = set.Schedule, set.Enabled
		}
		if err := r.Register(def, schedule, enabled); err != nil {
			// A saved schedule this build cannot read must not stop the
			// server; the default takes its place and the log says so.
			d.log.Warn("saved job schedule refused; using the default", "job", def.Job.Name(), "schedule", schedule, "error", err)
			if err := r.Register(def, def.Schedule, enabled); err != nil {
				return err
			}
		}
	}
	return nil
}

// instanceName names this replica in job runs.
func instanceName() string {
	host, err := os.Hostname()
	if err != nil || host == "" {
		return "steward"
	}
	return host
}

// resolveSecretKey returns STEWARD_SECRET_KEY. With dev sign-in and no key
// set, one is generated once and kept beside the database (mode 0600), so
// the one-command demo works; any other setup must set the key.
func resolveSecretKey(cfg *config.Config, log *slog.Logger) (string, error) {
	if cfg.SecretKey != "" {
		return cfg.SecretKey, nil
	}
	if !cfg.DevSignIn() {
		return "", errors.New("STEWARD_SECRET_KEY is not set: give Steward a random string of at least 32 characters (openssl rand -base64 48); it encrypts stored credentials and keys consumer hashes")
	}
	path := devSecretPath(cfg.DatabaseURL)
	if b, err := os.ReadFile(path); err == nil {
		return strings.TrimSpace(string(b)), nil
	} else if !errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("read the dev secret key %s: %w", path, err)
	}
	raw := make([]byte, 48)
	if _, err := rand.Read(raw); err != nil {
		return "", err
	}
	key := base64.RawURLEncoding.EncodeToString(raw)
	if err := os.WriteFile(path, []byte(key+"\n"), 0o600); err != nil {
		return "", fmt.Errorf("write the dev secret key %s: %w", path, err)
	}
	log.Warn("generated a secret key for dev sign-in; set STEWARD_SECRET_KEY in production", "file", path)
	return key, nil
}

// devSecretPath keeps the dev key next to a SQLite database, or in the
// working folder for PostgreSQL.
func devSecretPath(databaseURL string) string {
	if strings.Contains(databaseURL, "://") {
		return "steward.secret"
	}
	db, _, _ := strings.Cut(databaseURL, "?")
	return db + ".secret"
}

// newMetrics collects job runs and the ingest journal's figures for
// /metrics; the handlers add requests and the governance figures.
func newMetrics(runner *jobs.Runner, jr *journal.Journal) (*metrics.Metrics, error) {
	m := metrics.New()
	runner.Observe(m.JobFinished)
	gauges := []struct {
		name, help string
		counter    bool
		read       func(journal.Stats) float64
	}{
		{"steward_journal_pending_events", "Events received and waiting for their group commit: the ingest queue, answered 429 when full.", false, func(s journal.Stats) float64 { return float64(s.Pending) }},
		{"steward_journal_appended_events_total", "Events made durable in this replica's ingest journal since it started.", true, func(s journal.Stats) float64 { return float64(s.Appended) }},
		{"steward_journal_fsyncs_total", "Group commits (one fdatasync each) of the ingest journal since it started.", true, func(s journal.Stats) float64 { return float64(s.Fsyncs) }},
		{"steward_journal_segments", "Segment files the ingest journal holds (not yet rolled up and deleted).", false, func(s journal.Stats) float64 { return float64(s.Segments) }},
	}
	for _, g := range gauges {
		read := func() float64 { return g.read(jr.Stats()) }
		register := m.Gauge
		if g.counter {
			register = m.Counter
		}
		if err := register(g.name, g.help, read); err != nil {
			return nil, err
		}
	}
	return m, nil
}
