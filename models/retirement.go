package models

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"

	"github.com/steward-governance/steward/catalog"
	"github.com/steward-governance/steward/notify"
	"github.com/steward-governance/steward/retirement"
)

// migrateRetirement adds retirement cases with their approvals and
// timelines, the zombie job's verdicts, and the settings of both: one row
// for the organisation, and per API a zombie window of its own.
func migrateRetirement(tx *gorm.DB) error {
	return execAll(tx,
		`CREATE TABLE retirement_settings (
			id INTEGER PRIMARY KEY,
			zombie_days INTEGER NOT NULL,
			notice_days INTEGER NOT NULL,
			cooloff_days INTEGER NOT NULL,
			grace_percent DOUBLE PRECISION NOT NULL,
			final_window_days INTEGER NOT NULL,
			updated_by VARCHAR(200) NOT NULL DEFAULT '',
			updated_at {{time}})`,
		`INSERT INTO retirement_settings (id, zombie_days, notice_days, cooloff_days, grace_percent, final_window_days) VALUES (1, 30, 90, 90, 1.0, 7)`,
		`CREATE TABLE api_retirement_settings (
			api_id {{ref}} PRIMARY KEY REFERENCES apis(id) ON DELETE CASCADE,
			zombie_days INTEGER NOT NULL,
			updated_by VARCHAR(200) NOT NULL DEFAULT '',
			updated_at {{time}})`,
		`CREATE TABLE zombie_verdicts (
			version_id {{ref}} PRIMARY KEY REFERENCES versions(id) ON DELETE CASCADE,
			verdict VARCHAR(10) NOT NULL,
			days INTEGER NOT NULL,
			reason VARCHAR(500) NOT NULL DEFAULT '',
			last_legitimate {{time}},
			zombie_endpoints INTEGER NOT NULL DEFAULT 0,
			computed_at {{time}} NOT NULL)`,
		`CREATE INDEX idx_zombie_verdicts_verdict ON zombie_verdicts (verdict)`,
		`CREATE TABLE zombie_endpoints (
			version_id {{ref}} NOT NULL REFERENCES versions(id) ON DELETE CASCADE,
			method VARCHAR(10) NOT NULL,
			template VARCHAR(500) NOT NULL,
			last_legitimate {{time}},
			computed_at {{time}} NOT NULL,
			PRIMARY KEY (version_id, method, template))`,
		`CREATE TABLE retirement_cases (
			id {{id}},
			version_id {{ref}} NOT NULL REFERENCES versions(id) ON DELETE CASCADE,
			state VARCHAR(20) NOT NULL,
			scope VARCHAR(20) NOT NULL,
			endpoints TEXT NOT NULL DEFAULT '[]',
			reason TEXT NOT NULL,
			deprecation_at {{time}},
			sunset_at {{time}},
			notice_days INTEGER NOT NULL,
			replacement VARCHAR(2000) NOT NULL DEFAULT '',
			migration_url VARCHAR(2000) NOT NULL DEFAULT '',
			migration_notes TEXT NOT NULL DEFAULT '',
			opened_by VARCHAR(200) NOT NULL,
			opened_by_system {{bool}} NOT NULL DEFAULT {{false}},
			opened_at {{time}} NOT NULL,
			notice_start {{time}},
			closed_at {{time}},
			decision_note TEXT NOT NULL DEFAULT '',
			consumers INTEGER NOT NULL DEFAULT 0,
			reminded INTEGER NOT NULL DEFAULT 0,
			revision INTEGER NOT NULL DEFAULT 0,
			updated_at {{time}} NOT NULL)`,
		`CREATE INDEX idx_retirement_cases_version ON retirement_cases (version_id)`,
		`CREATE INDEX idx_retirement_cases_state ON retirement_cases (state)`,
		// One open case per version, whoever opens it: the zombie job and a
		// person proposing at the same moment get one case.
		`CREATE UNIQUE INDEX idx_retirement_cases_open ON retirement_cases (version_id) WHERE state IN ('proposed', 'approved', 'blocked')`,
		`CREATE TABLE retirement_approvals (
			case_id {{ref}} NOT NULL REFERENCES retirement_cases(id) ON DELETE CASCADE,
			slot VARCHAR(20) NOT NULL,
			user_id {{ref}},
			approved_by VARCHAR(200) NOT NULL,
			approved_at {{time}} NOT NULL,
			PRIMARY KEY (case_id, slot))`,
		`CREATE TABLE retirement_events (
			id {{id}},
			case_id {{ref}} NOT NULL REFERENCES retirement_cases(id) ON DELETE CASCADE,
			event VARCHAR(20) NOT NULL,
			actor VARCHAR(200) NOT NULL,
			at {{time}} NOT NULL,
			body TEXT NOT NULL DEFAULT '',
			detail TEXT NOT NULL DEFAULT '{}')`,
		`CREATE INDEX idx_retirement_events_case ON retirement_events (case_id, id)`,
	)
}

// retirementCaseRow is a stored case.
type retirementCaseRow struct {
	ID             int64
	VersionID      uint
	State          string
	Scope          string
	Endpoints      string
	Reason         string
	DeprecationAt  *time.Time
	SunsetAt       *time.Time
	NoticeDays     int
	Replacement    string
	MigrationURL   string `gorm:"column:migration_url"`
	MigrationNotes string
	OpenedBy       string
	OpenedBySystem bool
	OpenedAt       time.Time
	NoticeStart    *time.Time
	ClosedAt       *time.Time
	DecisionNote   string
	Consumers      int
	Reminded       int
	Revision       int
	UpdatedAt      time.Time
}

func (retirementCaseRow) TableName() string { return "retirement_cases" }

// retirementCaseSelect is a case with its version, API and team.
const retirementCaseSelect = `retirement_cases.*, versions.name AS version_name, apis.slug AS api_slug, apis.name AS api_name,
	apis.visibility AS visibility, teams.slug AS team_slug`

type retirementCaseJoined struct {
	Row                                                 retirementCaseRow `gorm:"embedded"`
	VersionName, APISlug, APIName, Visibility, TeamSlug string
}

func (s *Store) caseQuery(db *gorm.DB) *gorm.DB {
	return db.Table("retirement_cases").Select(retirementCaseSelect).
		Joins("JOIN versions ON versions.id = retirement_cases.version_id").
		Joins("JOIN apis ON apis.id = versions.api_id").
		Joins("JOIN teams ON teams.id = apis.team_id")
}

func (j retirementCaseJoined) toCase() retirement.Case {
	r := j.Row
	c := retirement.Case{
		ID: r.ID, VersionID: r.VersionID, APISlug: j.APISlug, APIName: j.APIName, Version: j.VersionName, TeamSlug: j.TeamSlug,
		Visibility: catalog.Visibility(j.Visibility), State: retirement.State(r.State), Scope: retirement.Scope(r.Scope),
		Reason: r.Reason, NoticeDays: r.NoticeDays, Replacement: r.Replacement, MigrationURL: r.MigrationURL, MigrationNotes: r.MigrationNotes,
		OpenedBy: r.OpenedBy, OpenedBySystem: r.OpenedBySystem, OpenedAt: r.OpenedAt.UTC(), NoticeStart: utcPtr(r.NoticeStart), ClosedAt: utcPtr(r.ClosedAt),
		DecisionNote: r.DecisionNote, Consumers: r.Consumers, Reminded: r.Reminded, Revision: r.Revision,
	}
	_ = json.Unmarshal([]byte(r.Endpoints), &c.Endpoints) // written by us; a bad row reads as the whole version
	if r.DeprecationAt != nil {
		c.Deprecation = r.DeprecationAt.UTC()
	}
	if r.SunsetAt != nil {
		c.Sunset = r.SunsetAt.UTC()
	}
	return c
}

func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

func zeroNil(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &u
}

// rowOf is the stored form of a case.
func rowOf(c retirement.Case, now time.Time) retirementCaseRow {
	eps, _ := json.Marshal(nonNil(c.Endpoints))
	return retirementCaseRow{
		ID: c.ID, VersionID: c.VersionID, State: string(c.State), Scope: string(c.Scope), Endpoints: string(eps), Reason: c.Reason,
		DeprecationAt: zeroNil(c.Deprecation), SunsetAt: zeroNil(c.Sunset), NoticeDays: c.NoticeDays, Replacement: c.Replacement,
		MigrationURL: c.MigrationURL, MigrationNotes: c.MigrationNotes, OpenedBy: c.OpenedBy, OpenedBySystem: c.OpenedBySystem,
		OpenedAt: c.OpenedAt.UTC(), NoticeStart: utcPtr(c.NoticeStart), ClosedAt: utcPtr(c.ClosedAt), DecisionNote: c.DecisionNote,
		Consumers: c.Consumers, Reminded: c.Reminded, Revision: c.Revision, UpdatedAt: now,
	}
}

// caseAudit is what the audit log keeps of a case at each step.
func caseAudit(c retirement.Case) map[string]any {
	m := map[string]any{"state": c.State, "version": c.APISlug + "/" + c.Version, "scope": c.Scope}
	if !c.Sunset.IsZero() {
		m["sunset"] = c.Sunset
	}
	if len(c.Endpoints) > 0 {
		m["endpoints"] = c.Endpoints
	}
	return m
}

// RetirementSettings reads the organisation's retirement rules.
func (s *Store) RetirementSettings(ctx context.Context) (retirement.Settings, error) {
	var row struct {
		ZombieDays, NoticeDays, CooloffDays, FinalWindowDays int
		GracePercent                                         float64
	}
	if err := s.db.WithContext(ctx).Table("retirement_settings").Where("id = 1").Take(&row).Error; err != nil {
		return retirement.Settings{}, translate(err, "read retirement settings")
	}
	return retirement.Settings{ZombieDays: row.ZombieDays, NoticeDays: row.NoticeDays, CoolOffDays: row.CooloffDays,
		GracePercent: row.GracePercent, FinalWindowDays: row.FinalWindowDays}, nil
}

// SaveRetirementSettings stores the organisation's retirement rules,
// audited.
func (s *Store) SaveRetirementSettings(ctx context.Context, actor catalog.Actor, set retirement.Settings) error {
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var before retirement.Settings
		var err error
		if before, err = (&Store{db: tx}).RetirementSettings(ctx); err != nil {
			return err
		}
		if err := tx.Table("retirement_settings").Where("id = 1").Updates(map[string]any{
			"zombie_days": set.ZombieDays, "notice_days": set.NoticeDays, "cooloff_days": set.CoolOffDays,
			"grace_percent": set.GracePercent, "final_window_days": set.FinalWindowDays, "updated_by": actor.Name, "updated_at": time.Now().UTC(),
		}).Error; err != nil {
			return err
		}
		return audit(tx, actor, "retirement.settings", "retirement_settings", "organisation", before, set)
	})
	return translate(err, "save retirement settings")
}

// APIZombieWindow is an API's own zombie window.
type APIZombieWindow struct {
	APISlug, APIName string
	ZombieDays       int
	UpdatedBy        string
}

// APIZombieWindows lists the APIs with a zombie window of their own.
func (s *Store) APIZombieWindows(ctx context.Context) ([]APIZombieWindow, error) {
	var out []APIZombieWindow
	err := s.db.WithContext(ctx).Table("api_retirement_settings").
		Select("apis.slug AS api_slug, apis.name AS api_name, api_retirement_settings.zombie_days, api_retirement_settings.updated_by").
		Joins("JOIN apis ON apis.id = api_retirement_settings.api_id").Order("apis.name_key").Scan(&out).Error
	return out, translate(err, "list API zombie windows")
}

// SetAPIZombieWindow gives an API a zombie window of its own; days 0
// returns it to the organisation's.
func (s *Store) SetAPIZombieWindow(ctx context.Context, actor catalog.Actor, apiSlug string, days int) error {
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		apiID, err := apiIDBySlug(tx, apiSlug)
		if err != nil {
			return err
		}
		if err := tx.Exec("DELETE FROM api_retirement_settings WHERE api_id = ?", apiID).Error; err != nil {
			return err
		}
		if days > 0 {
			if err := tx.Exec("INSERT INTO api_retirement_settings (api_id, zombie_days, updated_by, updated_at) VALUES (?, ?, ?, ?)",
				apiID, days, actor.Name, time.Now().UTC()).Error; err != nil {
				return err
			}
		}
		return audit(tx, actor, "retirement.api_window", "api", apiSlug, nil, map[string]any{"zombie_days": days})
	})
	return translate(err, "set API zombie window")
}

// RetirementTarget finds a version as a retirement proposal needs it.
func (s *Store) RetirementTarget(ctx context.Context, apiSlug, version string) (*retirement.Target, error) {
	v, err := s.GetVersion(ctx, apiSlug, version)
	if err != nil {
		return nil, err
	}
	t := &retirement.Target{VersionID: v.ID, APISlug: v.API.Slug, APIName: v.API.Name, Version: v.Name, Stage: catalog.Stage(v.Stage),
		TeamSlug: v.TeamSlug, Visibility: catalog.Visibility(v.API.Visibility)}
	for _, e := range v.Endpoints {
		t.Operations = append(t.Operations, e.Method+" "+e.Path)
	}
	return t, nil
}

// OpenCase stores a new case with what opening it changes (its timeline
// entry, inbox items, messages), audited, all or nothing. A version with
// an open case already is a conflict, also when two open one at the same
// moment (the unique index decides).
func (s *Store) OpenCase(ctx context.Context, actor catalog.Actor, c *retirement.Case, change func(retirement.Case) retirement.Change) error {
	taken := &ConflictError{Message: fmt.Sprintf("%s %s already has an open retirement case.", c.APIName, c.Version)}
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var open int64
		if err := tx.Table("retirement_cases").Where("version_id = ? AND state IN ?", c.VersionID, openStates).Count(&open).Error; err != nil {
			return err
		}
		if open > 0 {
			return taken
		}
		row := rowOf(*c, time.Now().UTC())
		row.ID = 0
		if err := tx.Create(&row).Error; err != nil {
			return err
		}
		c.ID = row.ID
		if err := s.writeChange(ctx, tx, actor, *c, change(*c)); err != nil {
			return err
		}
		return audit(tx, actor, "retirement.open", "retirement", c.Key(), nil, caseAudit(*c))
	})
	if errors.Is(err, gorm.ErrDuplicatedKey) {
		return taken
	}
	return translate(err, "open retirement case")
}

var openStates = []string{string(retirement.Proposed), string(retirement.Approved), string(retirement.Blocked)}

// writeChange writes what a step changes besides the case itself: the
// lifecycle move first (its gates may refuse, which undoes the whole
// step), then the timeline entry, the messages and the inbox.
func (s *Store) writeChange(ctx context.Context, tx *gorm.DB, actor catalog.Actor, c retirement.Case, ch retirement.Change) error {
	if ch.Move != nil {
		if err := (&Store{db: tx, catalogue: s.catalogue}).moveForCase(ctx, actor, c, *ch.Move, ch.Record.At); err != nil {
			return err
		}
	}
	rec := ch.Record
	detail := []byte("{}")
	if rec.Detail != nil {
		var err error
		if detail, err = json.Marshal(rec.Detail); err != nil {
			return err
		}
	}
	if err := tx.Exec("INSERT INTO retirement_events (case_id, event, actor, at, body, detail) VALUES (?, ?, ?, ?, ?, ?)",
		c.ID, string(rec.Event), truncate(rec.Actor, 200), rec.At.UTC(), rec.Text, string(detail)).Error; err != nil {
		return err
	}
	for _, key := range ch.Resolve {
		if err := ResolveInboxItems(tx, key); err != nil {
			return err
		}
	}
	for _, it := range ch.Ask {
		if err := AddInboxItem(tx, InboxItem{Key: it.Key, Title: truncate(it.Title, 300), URL: it.URL, TeamSlug: it.TeamSlug, Governance: it.Governance}); err != nil {
			return err
		}
	}
	for _, n := range ch.Notify {
		if err := EnqueueNotification(tx, messageOf(c, n)); err != nil {
			return err
		}
	}
	return nil
}

// messageOf writes a case's notification as the outbox carries it.
func messageOf(c retirement.Case, n retirement.Notification) notify.Message {
	m := notify.Message{Kind: "retirement." + n.Kind, Title: truncateRunes(n.Title, notify.MaxTitle), Text: truncateRunes(n.Text, notify.MaxText), URL: n.URL}
	if n.ToOwners {
		m.Audience.Teams = []string{c.TeamSlug}
	}
	m.Audience.Governance = n.ToGovernance
	m.Fields = append(m.Fields, notify.Field{Label: "Version", Value: truncateRunes(c.APIName+" "+c.Version, notify.MaxField-10)})
	for _, f := range n.Fields {
		if len(m.Fields) < notify.MaxFields {
			m.Fields = append(m.Fields, notify.Field{Label: f[0], Value: truncateRunes(f[1], notify.MaxField-len([]rune(f[0])))})
		}
	}
	return m
}

// truncateRunes cuts s to at most n characters, marking the cut.
func truncateRunes(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// moveForCase moves the case's version through the lifecycle, with the
// case's dates and notes as the deprecation; a version already where the
// move goes (deprecated by hand meanwhile) stays as it is.
func (s *Store) moveForCase(ctx context.Context, actor catalog.Actor, c retirement.Case, m retirement.Move, at time.Time) error {
	var stage []string
	if err := s.db.WithContext(ctx).Table("versions").Where("id = ?", c.VersionID).Pluck("stage", &stage).Error; err != nil {
		return err
	}
	if len(stage) == 1 && stage[0] == string(m.To) {
		return nil
	}
	in := TransitionInput{To: m.To, Reason: truncateRunes(m.Reason, MaxReasonLength), At: at,
		OverrideReason: truncateRunes(m.Override, MaxReasonLength), OverrideAllowed: m.Override != ""}
	if m.To == catalog.StageDeprecated {
		in.DeprecationDate, in.SunsetDate = zeroNil(c.Deprecation), zeroNil(c.Sunset)
		in.MigrationNotes, in.Replacement = c.MigrationNotes, c.Replacement
	}
	_, err := s.TransitionVersion(ctx, actor, c.APISlug, c.Version, in, m.Gates)
	return err
}

// Case loads a case with its approvals.
func (s *Store) Case(ctx context.Context, id int64) (*retirement.Case, error) {
	db := s.db.WithContext(ctx)
	var r retirementCaseJoined
	if err := s.caseQuery(db).Where("retirement_cases.id = ?", id).Take(&r).Error; err != nil {
		return nil, translate(err, fmt.Sprintf("retirement case %d", id))
	}
	c := r.toCase()
	byCase, err := s.approvals(db, []int64{id})
	if err != nil {
		return nil, err
	}
	c.Approvals = byCase[id]
	return &c, nil
}

func (s *Store) approvals(db *gorm.DB, ids []int64) (map[int64][]retirement.Approval, error) {
	var rows []struct {
		CaseID     int64
		Slot       string
		UserID     *uint
		ApprovedBy string
		ApprovedAt time.Time
	}
	out := map[int64][]retirement.Approval{}
	for chunk := range chunks(ids, 500) {
		if err := db.Table("retirement_approvals").Where("case_id IN ?", chunk).Order("approved_at").Scan(&rows).Error; err != nil {
			return nil, translate(err, "list approvals")
		}
		for _, r := range rows {
			a := retirement.Approval{Slot: retirement.Role(r.Slot), By: r.ApprovedBy, At: r.ApprovedAt.UTC()}
			if r.UserID != nil {
				a.UserID = *r.UserID
			}
			out[r.CaseID] = append(out[r.CaseID], a)
		}
	}
	return out, nil
}

// SaveCase writes a decided case, its approvals and its timeline entry,
// audited, only if nobody changed the case since it was read at revision:
// the conditional UPDATE is what makes two people deciding at once get
// one outcome (on PostgreSQL the second UPDATE waits for the first to
// commit, then finds the revision moved and changes nothing).
func (s *Store) SaveCase(ctx context.Context, actor catalog.Actor, c *retirement.Case, revision int, ch retirement.Change) error {
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		row := rowOf(*c, time.Now().UTC())
		res := tx.Table("retirement_cases").Where("id = ? AND revision = ?", c.ID, revision).Updates(map[string]any{
			"state": row.State, "deprecation_at": row.DeprecationAt, "sunset_at": row.SunsetAt, "notice_start": row.NoticeStart,
			"closed_at": row.ClosedAt, "decision_note": row.DecisionNote, "consumers": row.Consumers, "reminded": row.Reminded,
			"revision": revision + 1, "updated_at": row.UpdatedAt,
		})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return retirement.ErrStale
		}
		if err := tx.Exec("DELETE FROM retirement_approvals WHERE case_id = ?", c.ID).Error; err != nil {
			return err
		}
		for _, a := range c.Approvals {
			var uid *uint
			if a.UserID != 0 {
				id := a.UserID
				uid = &id
			}
			if err := tx.Exec("INSERT INTO retirement_approvals (case_id, slot, user_id, approved_by, approved_at) VALUES (?, ?, ?, ?, ?)",
				c.ID, string(a.Slot), uid, truncate(a.By, 200), a.At.UTC()).Error; err != nil {
				return err
			}
		}
		if err := s.writeChange(ctx, tx, actor, *c, ch); err != nil {
			return err
		}
		rec := ch.Record
		after := caseAudit(*c)
		if rec.Text != "" {
			after["text"] = rec.Text
		}
		for k, v := range rec.Detail {
			after[k] = v
		}
		return audit(tx, actor, "retirement."+string(rec.Event), "retirement", c.Key(), nil, after)
	})
	if errors.Is(err, retirement.ErrStale) {
		return err
	}
	if err != nil {
		return translate(err, "save retirement case")
	}
	c.Revision = revision + 1
	return nil
}

// CaseEvent is one entry of a case's timeline.
type CaseEvent struct {
	ID     int64
	Event  string
	Actor  string
	At     time.Time
	Body   string
	Detail string
}

// CaseEvents lists a case's timeline, oldest first.
func (s *Store) CaseEvents(ctx context.Context, id int64) ([]CaseEvent, error) {
	var out []CaseEvent
	err := s.db.WithContext(ctx).Table("retirement_events").Where("case_id = ?", id).Order("id").Scan(&out).Error
	return out, translate(err, "list case events")
}

// CaseFilter narrows ListCases; empty fields match everything.
type CaseFilter struct {
	States    []retirement.State
	VersionID uint
	Limit     int
}

// ListCases lists cases, newest first, with their approvals.
func (s *Store) ListCases(ctx context.Context, f CaseFilter) ([]retirement.Case, error) {
	db := s.db.WithContext(ctx)
	q := s.caseQuery(db)
	if len(f.States) > 0 {
		states := make([]string, len(f.States))
		for i, st := range f.States {
			states[i] = string(st)
		}
		q = q.Where("retirement_cases.state IN ?", states)
	}
	if f.VersionID != 0 {
		q = q.Where("retirement_cases.version_id = ?", f.VersionID)
	}
	if f.Limit > 0 {
		q = q.Limit(f.Limit)
	}
	var rows []retirementCaseJoined
	if err := q.Order("retirement_cases.id DESC").Scan(&rows).Error; err != nil {
		return nil, translate(err, "list retirement cases")
	}
	ids := make([]int64, len(rows))
	for i, r := range rows {
		ids[i] = r.Row.ID
	}
	apps, err := s.approvals(db, ids)
	if err != nil {
		return nil, err
	}
	out := make([]retirement.Case, len(rows))
	for i, r := range rows {
		out[i] = r.toCase()
		out[i].Approvals = apps[r.Row.ID]
	}
	return out, nil
}
