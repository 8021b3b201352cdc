package retirement

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/steward-governance/steward/catalog"
	"github.com/steward-governance/steward/lifecycle"
)

// Store keeps cases, their timelines and the organisation's settings;
// models.Store implements it. Each Change is written in one transaction
// with the case, so a notification or an inbox item exists exactly when
// the step it tells of does.
type Store interface {
	RetirementSettings(ctx context.Context) (Settings, error)
	// RetirementTarget finds a version as a proposal needs it.
	RetirementTarget(ctx context.Context, apiSlug, version string) (*Target, error)
	// OpenCase stores a new case, audited, sets its ID and writes the
	// change made for it (which names the new ID); a version that has an
	// open case already is a conflict.
	OpenCase(ctx context.Context, a catalog.Actor, c *Case, change func(Case) Change) error
	Case(ctx context.Context, id int64) (*Case, error)
	// SaveCase writes c, audited, only if the case is still at revision
	// (else ErrStale), and moves c.Revision on.
	SaveCase(ctx context.Context, a catalog.Actor, c *Case, revision int, ch Change) error
}

// Change is one step of a case as the store writes it: the timeline
// entry, the notifications it sends and the inbox items it opens and
// closes.
type Change struct {
	Record  Record
	Notify  []Notification
	Ask     []InboxItem
	Resolve []string // keys of inbox items the step settles
	// Move is the lifecycle move the step makes, in the same transaction:
	// when the lifecycle's gates refuse it, nothing of the step is kept.
	Move *Move
}

// Move is a version's move through the lifecycle (lifecycle.Transition
// with its gates), made for a case.
type Move struct {
	To     catalog.Stage
	Reason string
	// Override is the written reason to set the quiet-traffic gate aside;
	// empty when there is none.
	Override string
	Gates    lifecycle.Gates
}

// Notification is a message about a case for the owners of its team, the
// governance leads and channel, or both.
type Notification struct {
	// Kind names the step ("proposed", "reminder"); webhooks filter on
	// "retirement.<kind>".
	Kind         string
	Title, Text  string
	URL          string // a Steward path
	ToOwners     bool
	ToGovernance bool
	Fields       [][2]string // label, value
}

// InboxItem is a decision waiting for the owners of a team or for the
// governance leads.
type InboxItem struct {
	Key, Title, URL string
	TeamSlug        string
	Governance      bool
}

// Traffic is what the sunset check reads; the endpoints narrow it to an
// endpoint-scoped case's operations (none: the whole version).
type Traffic interface {
	LegitimateRequests(ctx context.Context, versionID uint, endpoints []string, from, to time.Time) (int64, error)
	// LegitimateConsumers counts consumers with legitimate requests.
	LegitimateConsumers(ctx context.Context, versionID uint, endpoints []string, from, to time.Time) (int, error)
	// TrafficCovered reports whether the sources that see the version's
	// API covered [from, to).
	TrafficCovered(ctx context.Context, versionID uint, from, to time.Time) (bool, error)
}

// Service carries out cases: it decides with Decide and NewCase, stores
// the outcome so that two people deciding at once get one outcome, moves
// the version through the lifecycle, and tells the people concerned.
type Service struct {
	Store Store
	// Gates are the lifecycle gates of the organisation's standard, which
	// the version's moves must pass.
	Gates   func(ctx context.Context) (lifecycle.Gates, error)
	Traffic Traffic // needed by FollowUp only
	Now     func() time.Time
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

// CasePath is the path of a case's page.
func CasePath(id int64) string { return fmt.Sprintf("/retirements/%d", id) }

// NoticePath is the path of a case's notice page.
func NoticePath(id int64) string { return CasePath(id) + "/notice" }

// Open opens a case for a version.
func (s *Service) Open(ctx context.Context, a Actor, apiSlug, version string, p Proposal) (*Case, error) {
	t, err := s.Store.RetirementTarget(ctx, apiSlug, version)
	if err != nil {
		return nil, err
	}
	set, err := s.Store.RetirementSettings(ctx)
	if err != nil {
		return nil, err
	}
	c, err := NewCase(*t, a, p, set, s.now())
	if err != nil {
		return nil, err
	}
	if err := s.Store.OpenCase(ctx, a.Actor, &c, opening); err != nil {
		return nil, err
	}
	return &c, nil
}

// opening is the first step of a case: its timeline entry, the approvals
// asked for in the inboxes, and the message to the owners (and the
// governance leads when their approval is needed too).
func opening(c Case) Change {
	ch := Change{Record: Record{Event: Opened, Actor: c.OpenedBy, At: c.OpenedAt, Text: c.Reason,
		Detail: map[string]any{"scope": string(c.Scope), "endpoints": c.Endpoints}}}
	for _, slot := range c.Missing() {
		item := InboxItem{Key: approvalKey(c), Title: "Approve retiring " + c.Subject(), URL: CasePath(c.ID)}
		if slot == RoleGovernance {
			item.Governance = true
		} else {
			item.TeamSlug = c.TeamSlug
		}
		ch.Ask = append(ch.Ask, item)
	}
	by := c.OpenedBy
	if by == SystemActor("zombies").Name {
		by = "the zombie job"
	}
	ch.Notify = append(ch.Notify, Notification{Kind: "proposed", Title: "Retirement proposed: " + c.Subject(), Text: c.Reason,
		URL: CasePath(c.ID), ToOwners: true, ToGovernance: len(c.RequiredSlots()) > 1,
		Fields: [][2]string{{"Proposed by", by}, {"Needs", slotList(c.Missing(), c)}}})
	return ch
}

// Act applies an event to a case for a (a person or the follow-up job).
// When someone else changed the case meanwhile, the event is decided
// again on the fresh case: a second approval still counts, while a
// decision that no longer applies (approving a rejected case) is refused
// and changes nothing.
func (s *Service) Act(ctx context.Context, a Actor, id int64, ev Event, in Input) (*Case, error) {
	for attempt := 0; ; attempt++ {
		c, err := s.Store.Case(ctx, id)
		if err != nil {
			return nil, err
		}
		out, err := Decide(*c, a, ev, in, s.now())
		if err != nil {
			return nil, err
		}
		ch := effects(out)
		if ch.Move, err = s.move(ctx, *c, out); err != nil {
			return nil, err
		}
		err = s.Store.SaveCase(ctx, a.Actor, &out.Case, c.Revision, ch)
		if errors.Is(err, ErrStale) && attempt < 3 {
			continue
		}
		if err != nil {
			return nil, err
		}
		return &out.Case, nil
	}
}

// move is the lifecycle move an outcome makes: none for endpoint-scoped
// cases, whose endpoints leave the spec and the gateway, not the
// lifecycle.
func (s *Service) move(ctx context.Context, before Case, out Outcome) (*Move, error) {
	if before.Scope != ScopeVersion || (!out.Deprecate && !out.Retire) {
		return nil, nil
	}
	gates := lifecycle.DefaultGates
	if s.Gates != nil {
		var err error
		if gates, err = s.Gates(ctx); err != nil {
			return nil, fmt.Errorf("retirement: lifecycle gates: %w", err)
		}
	}
	m := &Move{To: catalog.StageDeprecated, Gates: gates, Reason: fmt.Sprintf("Retirement case %d approved: %s", before.ID, before.Reason)}
	if out.Retire {
		m.To, m.Override = catalog.StageRetired, out.Override
		m.Reason = fmt.Sprintf("Retirement case %d: %s", before.ID, out.Record.Text)
	}
	return m, nil
}

// effects is what a decided step writes besides the case: its timeline
// entry, messages, and inbox items opened or settled.
func effects(out Outcome) Change {
	c := out.Case
	ch := Change{Record: out.Record}
	url := CasePath(c.ID)
	sunset := [2]string{"Sunset", formatDay(c.Sunset)}
	switch out.Record.Event {
	case Approve:
		if c.State != Approved {
			return ch // another approval is still needed; its inbox item stays
		}
		ch.Resolve = []string{approvalKey(c)}
		ch.Notify = []Notification{{Kind: "approved", Title: "Retirement approved: " + c.Subject(), URL: NoticePath(c.ID),
			Text:     "Deprecated now. The notice page has the Deprecation, Sunset and Link headers to send, and the consumers still calling.",
			ToOwners: true, ToGovernance: true, Fields: [][2]string{sunset}}}
	case Reject:
		ch.Resolve = []string{approvalKey(c)}
		ch.Notify = []Notification{{Kind: "rejected", Title: "Retirement rejected: " + c.Subject(), Text: c.DecisionNote, URL: url,
			ToOwners: true, ToGovernance: len(c.RequiredSlots()) > 1, Fields: [][2]string{{"Rejected by", out.Record.Actor}}}}
	case Remind:
		ch.Notify = []Notification{{Kind: "reminder", URL: url, ToOwners: true, ToGovernance: true, Fields: [][2]string{sunset},
			Title: fmt.Sprintf("Sunset in %d %s: %s", c.Reminded, plural(c.Reminded, "day", "days"), c.Subject()),
			Text:  c.Subject() + " stops answering on " + formatDay(c.Sunset) + ". The case lists the consumers still calling it."}}
	case Block:
		ch.Ask = []InboxItem{{Key: blockedKey(c), Title: "Sunset blocked: " + c.Subject(), URL: url, TeamSlug: c.TeamSlug}}
		ch.Notify = []Notification{{Kind: "blocked", URL: url, ToOwners: true, ToGovernance: true,
			Title: fmt.Sprintf("Sunset blocked by %d %s: %s", c.Consumers, plural(c.Consumers, "consumer", "consumers"), c.Subject()),
			Text:  out.Record.Text + " Extend the sunset, or reach the consumers listed on the case.", Fields: [][2]string{sunset}}}
	case Extend:
		ch.Resolve = []string{blockedKey(c)}
		ch.Notify = []Notification{{Kind: "extended", Title: "Sunset moved: " + c.Subject(), URL: url, ToOwners: true, ToGovernance: true,
			Text: "The new sunset is " + formatDay(c.Sunset) + ".", Fields: [][2]string{sunset, {"Moved by", out.Record.Actor}}}}
	case Retire, Override:
		ch.Resolve = []string{blockedKey(c)}
		ch.Notify = []Notification{{Kind: "retired", Title: "Retired: " + c.Subject(), Text: out.Record.Text, URL: url,
			ToOwners: true, ToGovernance: true}}
	}
	return ch
}

func approvalKey(c Case) string { return "retirement:" + c.Key() + ":approve" }
func blockedKey(c Case) string  { return "retirement:" + c.Key() + ":blocked" }

func formatDay(t time.Time) string { return t.UTC().Format("2 Jan 2006") }

// FollowUp takes today's step for one case: a reminder, or from the
// sunset on the traffic check that retires or blocks it. It returns the
// event taken ("" for none).
func (s *Service) FollowUp(ctx context.Context, c Case, set Settings) (Event, error) {
	now := s.now()
	step := NextStep(c, now)
	job := SystemActor("retirements")
	switch {
	case step.Remind > 0:
		_, err := s.Act(ctx, job, c.ID, Remind, Input{Days: step.Remind})
		return Remind, err
	case !step.CheckSunset:
		return "", nil
	}
	check, err := s.sunsetCheck(ctx, c, set, now)
	if err != nil {
		return "", err
	}
	ev, why := check.Weigh(set)
	if ev == Block && c.State == Blocked {
		return "", nil // still blocked: escalated once already
	}
	_, err = s.Act(ctx, job, c.ID, ev, Input{Text: why, Consumers: check.Consumers})
	return ev, err
}

// sunsetCheck reads the traffic of the final window and of a window as
// long before the notice began.
func (s *Service) sunsetCheck(ctx context.Context, c Case, set Settings, now time.Time) (SunsetCheck, error) {
	set = set.WithDefaults()
	window := time.Duration(set.FinalWindowDays) * 24 * time.Hour
	from := now.Add(-window)
	var check SunsetCheck
	var err error
	if check.Covered, err = s.Traffic.TrafficCovered(ctx, c.VersionID, from, now); err != nil {
		return check, err
	}
	if check.Final, err = s.Traffic.LegitimateRequests(ctx, c.VersionID, c.Endpoints, from, now); err != nil {
		return check, err
	}
	if check.Consumers, err = s.Traffic.LegitimateConsumers(ctx, c.VersionID, c.Endpoints, from, now); err != nil {
		return check, err
	}
	start := c.OpenedAt
	if c.NoticeStart != nil {
		start = *c.NoticeStart
	}
	if check.Before, err = s.Traffic.LegitimateRequests(ctx, c.VersionID, c.Endpoints, start.Add(-window), start); err != nil {
		return check, err
	}
	return check, nil
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
