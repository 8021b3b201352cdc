package retirement

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/steward-governance/steward/catalog"
)

// Settings are the organisation's retirement rules. A field at zero means
// its default, except GracePercent, where zero means no grace at all.
type Settings struct {
	// ZombieDays is how long a version may go without legitimate traffic
	// before it is a zombie (an API may say otherwise).
	ZombieDays int
	// NoticeDays is the default time from deprecation to sunset.
	NoticeDays int
	// CoolOffDays is how long the zombie job leaves a version alone after
	// a proposal to retire it was rejected.
	CoolOffDays int
	// GracePercent is the share of the traffic before the notice that may
	// remain at the sunset without blocking it.
	GracePercent float64
	// FinalWindowDays is the span before the sunset the check weighs.
	FinalWindowDays int
}

// Defaults of Settings.
const (
	DefaultZombieDays      = 30
	DefaultNoticeDays      = 90
	DefaultCoolOffDays     = 90
	DefaultGracePercent    = 1.0
	DefaultFinalWindowDays = 7
)

// WithDefaults fills unset fields with the defaults.
func (s Settings) WithDefaults() Settings {
	if s.ZombieDays <= 0 {
		s.ZombieDays = DefaultZombieDays
	}
	if s.NoticeDays <= 0 {
		s.NoticeDays = DefaultNoticeDays
	}
	if s.CoolOffDays <= 0 {
		s.CoolOffDays = DefaultCoolOffDays
	}
	if s.GracePercent < 0 {
		s.GracePercent = DefaultGracePercent
	}
	if s.FinalWindowDays <= 0 {
		s.FinalWindowDays = DefaultFinalWindowDays
	}
	return s
}

// Validate checks settings as a governance lead typed them.
func (s Settings) Validate() error {
	v := &catalog.ValidationError{}
	if s.ZombieDays < 1 || s.ZombieDays > 365 {
		v.Add("zombie_days", "choose between 1 and 365 days")
	}
	if s.NoticeDays < 1 || s.NoticeDays > 730 {
		v.Add("notice_days", "choose between 1 and 730 days")
	}
	if s.CoolOffDays < 1 || s.CoolOffDays > 730 {
		v.Add("cooloff_days", "choose between 1 and 730 days")
	}
	if s.GracePercent < 0 || s.GracePercent > 50 {
		v.Add("grace_percent", "choose between 0 and 50 percent")
	}
	if s.FinalWindowDays < 1 || s.FinalWindowDays > 90 {
		v.Add("final_window_days", "choose between 1 and 90 days")
	}
	return v.OrNil()
}

// Proposal is what opening a case asks for.
type Proposal struct {
	Scope     Scope
	Endpoints []string
	Reason    string
	// Deprecation and Sunset are dates; zero means the approval and the
	// approval day plus the notice period.
	Deprecation    time.Time
	Sunset         time.Time
	Replacement    string
	MigrationURL   string
	MigrationNotes string
}

// Target is the version a proposal is for, as the store knows it.
type Target struct {
	VersionID  uint
	APISlug    string
	APIName    string
	Version    string
	Stage      catalog.Stage
	TeamSlug   string
	Visibility catalog.Visibility
	// Operations are the documented operations ("GET /pets").
	Operations []string
}

// openers may open a case; the zombie job opens proposals as the system.
var openers = []Role{RoleOwner, RoleGovernance, RoleAdmin, RoleSystem}

// NewCase checks a proposal and makes the proposed case it opens.
func NewCase(t Target, a Actor, p Proposal, set Settings, now time.Time) (Case, error) {
	if !slices.ContainsFunc(openers, func(r Role) bool { return a.Has(r, t.TeamSlug) }) {
		return Case{}, forbidden("Only owners of team %s or governance leads may propose retiring %s %s.", t.TeamSlug, t.APIName, t.Version)
	}
	switch t.Stage {
	case catalog.StageRetired:
		return Case{}, conflict("%s %s is already retired.", t.APIName, t.Version)
	case catalog.StageDesign, catalog.StageDevelopment, catalog.StageTesting:
		return Case{}, conflict("%s %s is in %s: nobody can depend on it yet, so change its stage instead of retiring it.", t.APIName, t.Version, t.Stage)
	}
	set = set.WithDefaults()
	v := &catalog.ValidationError{}
	p.Reason = strings.TrimSpace(p.Reason)
	p.Replacement = strings.TrimSpace(p.Replacement)
	p.MigrationURL = strings.TrimSpace(p.MigrationURL)
	p.MigrationNotes = strings.TrimSpace(p.MigrationNotes)
	if p.Reason == "" {
		v.Add("reason", "say why the version should go")
	}
	if p.MigrationNotes == "" {
		v.Add("migration_notes", "tell consumers what to do instead: the notice shows it, and the lifecycle asks for it before deprecating")
	}
	checkText(v, "reason", p.Reason)
	checkText(v, "migration_notes", p.MigrationNotes)
	checkURL(v, "replacement", p.Replacement, "give the successor's address as an http or https URL")
	checkURL(v, "migration_url", p.MigrationURL, "give the migration guide's address as an http or https URL")
	switch p.Scope {
	case "", ScopeVersion:
		p.Scope, p.Endpoints = ScopeVersion, nil
	case ScopeEndpoints:
		if len(p.Endpoints) == 0 {
			v.Add("endpoints", "choose the endpoints to retire")
		}
		for _, e := range p.Endpoints {
			if !slices.Contains(t.Operations, e) {
				v.Add("endpoints", fmt.Sprintf("%s is not an endpoint of the current spec", e))
			}
		}
		p.Endpoints = slices.Compact(slices.Sorted(slices.Values(p.Endpoints)))
	default:
		v.Add("scope", "retire the version or some of its endpoints")
	}
	if !p.Sunset.IsZero() {
		if !p.Deprecation.IsZero() && !p.Sunset.After(p.Deprecation) {
			v.Add("sunset", "choose a sunset after the deprecation date")
		}
		if !p.Sunset.After(now) {
			v.Add("sunset", "choose a sunset in the future")
		}
	}
	if err := v.OrNil(); err != nil {
		return Case{}, err
	}
	return Case{
		VersionID: t.VersionID, APISlug: t.APISlug, APIName: t.APIName, Version: t.Version, TeamSlug: t.TeamSlug, Visibility: t.Visibility,
		State: Proposed, Scope: p.Scope, Endpoints: p.Endpoints, Reason: p.Reason, Deprecation: p.Deprecation, Sunset: p.Sunset,
		Replacement: p.Replacement, MigrationURL: p.MigrationURL, MigrationNotes: p.MigrationNotes, NoticeDays: set.NoticeDays,
		OpenedBy: a.Name, OpenedBySystem: a.System, OpenedAt: now,
	}, nil
}

func checkText(v *catalog.ValidationError, field, s string) {
	if n := len([]rune(s)); n > MaxTextLength {
		v.Add(field, fmt.Sprintf("must be at most %d characters (it has %d)", MaxTextLength, n))
	}
}

// day is the UTC midnight starting t's day.
func day(t time.Time) time.Time { return t.UTC().Truncate(24 * time.Hour) }

func checkURL(v *catalog.ValidationError, field, s, msg string) {
	if s == "" {
		return
	}
	if u, err := url.Parse(s); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || len(s) > catalog.MaxURLLength {
		v.Add(field, msg)
	}
}
