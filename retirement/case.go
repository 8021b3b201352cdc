// Package retirement is how Steward retires an API version, or some of its
// endpoints, without switching anything off under a consumer's feet: a
// case is proposed (by the zombie job or a person), approved by the owning
// team (and a governance lead for partner and public APIs), announced with
// Deprecation and Sunset headers, followed daily until its sunset, and
// retired only when the traffic says nobody still calls it.
//
// The package holds the rules: the states, the transition table and who
// may take each transition (Decide), the notice's header values and
// gateway snippets (notice.go), what the daily follow-up does (followup.go)
// and what counts as a zombie (zombie.go). Service (service.go) applies
// them against the interfaces it declares; it knows no SQL and no HTTP.
package retirement

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/steward-governance/steward/catalog"
)

// State is where a retirement case stands.
type State string

// The states of a case. Retired and Rejected are final.
const (
	// Proposed waits for the approvals the API's visibility requires.
	Proposed State = "proposed"
	// Approved has deprecated the version; the notice runs to the sunset.
	Approved State = "approved"
	// Blocked passed its sunset with consumers still calling.
	Blocked State = "blocked"
	// Retired is done: the version (or the endpoints) is retired.
	Retired State = "retired"
	// Rejected was turned down, with a reason.
	Rejected State = "rejected"
)

// States lists every state in the order a case moves through them.
var States = []State{Proposed, Approved, Blocked, Retired, Rejected}

// Open reports whether the case still needs someone or something to act.
func (s State) Open() bool { return s == Proposed || s == Approved || s == Blocked }

// Event is something that happens to a case.
type Event string

// The events of a case. Opening a case is not an event of the table: it
// makes the case (see NewCase).
const (
	Approve  Event = "approve"  // a required approval is given
	Reject   Event = "reject"   // the proposal is turned down, with a reason
	Comment  Event = "comment"  // anyone signed in adds a note
	Extend   Event = "extend"   // the owners move the sunset date later
	Remind   Event = "remind"   // the follow-up job warned of the sunset
	Block    Event = "block"    // the sunset came with consumers remaining
	Retire   Event = "retire"   // the sunset came and the traffic is gone
	Override Event = "override" // a governance lead retires a blocked case anyway, with a reason
)

// Timeline entries that are not events of the table: a new case, and a
// decision undone because the lifecycle refused to move the version.
const (
	Opened Event = "open"
	Undone Event = "undone"
)

// Role is a part someone plays towards a case.
type Role string

// Roles, as the transition table names them.
const (
	// RoleSystem is Steward's own jobs.
	RoleSystem Role = "system"
	// RoleOwner is an owner of the team that owns the API.
	RoleOwner Role = "owner"
	// RoleGovernance is a governance lead.
	RoleGovernance Role = "governance"
	// RoleAdmin is an admin, who may act as an owner or a governance lead.
	RoleAdmin Role = "admin"
	// RoleReader is anyone signed in.
	RoleReader Role = "reader"
)

// Roles lists every role, least privileged first, for tables and tests.
var Roles = []Role{RoleReader, RoleOwner, RoleGovernance, RoleAdmin, RoleSystem}

// Actor is who acts on a case: a person with their roles, or Steward
// itself.
type Actor struct {
	catalog.Actor
	UserID     uint
	System     bool
	OwnerOf    []string // slugs of the teams the person owns
	Governance bool
	Admin      bool
}

// SystemActor is Steward acting through one of its jobs.
func SystemActor(job string) Actor { return Actor{Actor: catalog.SystemActor(job), System: true} }

// Has reports whether the actor holds role towards a case of team.
func (a Actor) Has(r Role, team string) bool {
	switch r {
	case RoleSystem:
		return a.System
	case RoleOwner:
		return !a.System && team != "" && slices.Contains(a.OwnerOf, team)
	case RoleGovernance:
		return a.Governance && !a.System
	case RoleAdmin:
		return a.Admin && !a.System
	case RoleReader:
		return !a.System && a.Name != ""
	}
	return false
}

// Transition is one row of the transition table: in state From, Event
// moves a case to To, when taken by one of Who.
type Transition struct {
	From  State
	Event Event
	To    State
	Who   []Role
}

// deciders may approve or reject: the policy's RetirementDecide, which the
// approval slots refine (approval.go).
var deciders = []Role{RoleOwner, RoleGovernance, RoleAdmin}

// transitions is the whole state machine. Approve leaves a case proposed
// until every required approval is in (see Case.Missing); Comment keeps
// any state.
var transitions = []Transition{
	{Proposed, Approve, Approved, deciders},
	{Proposed, Reject, Rejected, deciders},
	{Approved, Remind, Approved, []Role{RoleSystem}},
	{Approved, Extend, Approved, []Role{RoleOwner, RoleAdmin}},
	{Approved, Retire, Retired, []Role{RoleSystem}},
	{Approved, Block, Blocked, []Role{RoleSystem}},
	{Blocked, Extend, Approved, []Role{RoleOwner, RoleAdmin}},
	{Blocked, Retire, Retired, []Role{RoleSystem}},
	{Blocked, Override, Retired, []Role{RoleGovernance, RoleAdmin}},
}

// commenters may comment on a case in any state.
var commenters = []Role{RoleReader}

// Transitions returns the transition table, for documentation and tests.
func Transitions() []Transition {
	out := slices.Clone(transitions)
	for _, s := range States {
		out = append(out, Transition{s, Comment, s, commenters})
	}
	return out
}

// Scope is what a case retires.
type Scope string

// Scopes of a case.
const (
	ScopeVersion   Scope = "version"
	ScopeEndpoints Scope = "endpoints"
)

// Case is one retirement: what, why, when, and where it stands.
type Case struct {
	ID         int64
	VersionID  uint
	APISlug    string
	APIName    string
	Version    string
	TeamSlug   string
	Visibility catalog.Visibility

	State State
	Scope Scope
	// Endpoints are "GET /pets/{petId}" operations, for ScopeEndpoints.
	Endpoints []string
	Reason    string
	// Deprecation is when the version counts as deprecated and Sunset
	// when it stops answering; zero means "at the approval" and "the
	// approval day plus NoticeDays".
	Deprecation    time.Time
	Sunset         time.Time
	NoticeDays     int
	Replacement    string // the successor's URL, when there is one
	MigrationURL   string // the team's migration guide, when there is one
	MigrationNotes string

	OpenedBy       string
	OpenedBySystem bool
	OpenedAt       time.Time
	Approvals      []Approval
	// NoticeStart is when the approval announced the retirement: the
	// traffic after it is what the sunset check weighs.
	NoticeStart *time.Time
	ClosedAt    *time.Time
	// DecisionNote is the reason of a rejection or an override.
	DecisionNote string
	// Consumers is how many consumers were still calling at the last
	// sunset check that blocked the case.
	Consumers int
	// Reminded is the smallest number of days before the sunset a
	// reminder went out for (30, 7 or 1); 0 before the first.
	Reminded int
	// Revision counts the case's changes: a decision is written only if
	// nobody else changed the case since it was read.
	Revision int
}

// Approval is one required approval, given.
type Approval struct {
	Slot   Role // RoleOwner or RoleGovernance
	By     string
	UserID uint
	At     time.Time
}

// Key names the case in the audit log and in inbox items.
func (c Case) Key() string { return fmt.Sprint(c.ID) }

// Subject names what the case retires, for pages and messages.
func (c Case) Subject() string {
	s := c.APIName + " " + c.Version
	if c.Scope == ScopeEndpoints {
		s += " (" + strings.Join(c.Endpoints, ", ") + ")"
	}
	return s
}

// Error is a refusal a person can act on; Kind is catalog.ErrForbidden,
// ErrConflict or ErrInvalid so every layer maps it to a status.
type Error struct {
	Kind    error
	Message string
}

func (e *Error) Error() string { return e.Message }

// Unwrap lets errors.Is match the kind.
func (e *Error) Unwrap() error { return e.Kind }

func forbidden(format string, args ...any) error {
	return &Error{Kind: catalog.ErrForbidden, Message: fmt.Sprintf(format, args...)}
}

func conflict(format string, args ...any) error {
	return &Error{Kind: catalog.ErrConflict, Message: fmt.Sprintf(format, args...)}
}

// ErrStale is returned by a Store when the case changed since it was read.
var ErrStale = errors.New("retirement: the case changed since it was read")

// Input is what an event carries besides its actor.
type Input struct {
	// Text is a rejection's or override's reason, or a comment.
	Text string
	// Sunset is an extension's new sunset date.
	Sunset time.Time
	// Consumers is how many consumers block a case.
	Consumers int
	// Days is a reminder's days before the sunset.
	Days int
}

// Record is one entry of a case's timeline.
type Record struct {
	Event  Event
	Actor  string
	At     time.Time
	Text   string
	Detail map[string]any
}

// Outcome is what an event does: the case after it, the timeline entry,
// and whether the version is now to be deprecated or retired.
type Outcome struct {
	Case      Case
	Record    Record
	Deprecate bool
	Retire    bool
	// Override is the written reason for the lifecycle to retire the
	// version although its quiet-traffic gate would refuse: a governance
	// lead's, or the sunset check's when the traffic left is within the
	// grace.
	Override string
}

// MaxTextLength bounds reasons, comments and migration notes.
const MaxTextLength = 10000

// lookup finds the table's row for ev in state from.
func lookup(from State, ev Event) (Transition, bool) {
	for _, t := range Transitions() {
		if t.From == from && t.Event == ev {
			return t, true
		}
	}
	return Transition{}, false
}

// Allowed reports whether a may take ev on c now, with the reason when not;
// pages ask it before offering a button.
//
// Someone who may never take ev is forbidden whatever the state; someone
// who may, but not in the case's state, meets a conflict (the case moved
// on), so a page can tell "not yours to decide" from "already decided".
func Allowed(c Case, a Actor, ev Event) error {
	holds := func(r Role) bool { return a.Has(r, c.TeamSlug) }
	var ever []Role
	for _, t := range Transitions() {
		if t.Event == ev {
			for _, r := range t.Who {
				if !slices.Contains(ever, r) {
					ever = append(ever, r)
				}
			}
		}
	}
	if !slices.ContainsFunc(ever, holds) {
		return forbidden("Only %s may %s retirement cases.", roleList(ever, c), ev)
	}
	t, ok := lookup(c.State, ev)
	if !ok {
		return conflict("This case is %s: it cannot be %s.", c.State, pastTense(ev))
	}
	if !slices.ContainsFunc(t.Who, holds) {
		return forbidden("Only %s may %s a %s case.", roleList(t.Who, c), ev, c.State)
	}
	if ev == Approve {
		_, err := c.slotFor(a)
		return err
	}
	return nil
}

// Decide applies ev to c: it checks the table and the actor, validates the
// input and returns the case after the event. It changes nothing itself.
func Decide(c Case, a Actor, ev Event, in Input, now time.Time) (Outcome, error) {
	if err := Allowed(c, a, ev); err != nil {
		return Outcome{}, err
	}
	in.Text = strings.TrimSpace(in.Text)
	if len([]rune(in.Text)) > MaxTextLength {
		return Outcome{}, catalog.FieldError("text", fmt.Sprintf("must be at most %d characters", MaxTextLength))
	}
	t, _ := lookup(c.State, ev)
	out := Outcome{Case: c, Record: Record{Event: ev, Actor: a.Name, At: now, Text: in.Text}}
	next := &out.Case
	next.Approvals = slices.Clone(c.Approvals)
	switch ev {
	case Approve:
		slot, _ := c.slotFor(a)
		next.Approvals = append(next.Approvals, Approval{Slot: slot, By: a.Name, UserID: a.UserID, At: now})
		out.Record.Detail = map[string]any{"slot": string(slot)}
		if len(next.Missing()) > 0 {
			return out, nil // still proposed: another approval is needed
		}
		notice := now
		next.NoticeStart = &notice
		if next.Deprecation.IsZero() || next.Deprecation.Before(now) {
			next.Deprecation = now
		}
		if next.Sunset.IsZero() {
			next.Sunset = day(now).AddDate(0, 0, max(next.NoticeDays, 1))
		}
		if !next.Sunset.After(next.Deprecation) {
			return Outcome{}, &Error{Kind: catalog.ErrInvalid, Message: "The sunset date has passed: ask the owners to extend it before approving."}
		}
		out.Deprecate = true
	case Reject, Override:
		if in.Text == "" {
			return Outcome{}, catalog.FieldError("text", "say why, so the team and the next reader know")
		}
		next.DecisionNote = in.Text
		next.ClosedAt = &now
		if ev == Override {
			out.Retire, out.Override = true, in.Text
		}
	case Comment:
		if in.Text == "" {
			return Outcome{}, catalog.FieldError("text", "write a comment")
		}
	case Extend:
		if !in.Sunset.After(now) || !in.Sunset.After(c.Sunset) {
			return Outcome{}, catalog.FieldError("sunset", "choose a date after the current sunset ("+c.Sunset.UTC().Format(time.DateOnly)+") and in the future")
		}
		out.Record.Detail = map[string]any{"from": c.Sunset.UTC(), "to": in.Sunset.UTC()}
		next.Sunset, next.Reminded, next.Consumers = in.Sunset, 0, 0
	case Remind:
		next.Reminded = in.Days
		out.Record.Detail = map[string]any{"days": in.Days}
	case Block:
		next.Consumers = in.Consumers
		out.Record.Detail = map[string]any{"consumers": in.Consumers}
	case Retire:
		next.ClosedAt = &now
		out.Retire = true
		// Within the grace some traffic may remain, which the lifecycle's
		// quiet-traffic gate would refuse: the check's reason overrides it
		// (the lifecycle records an override only where it was needed).
		out.Override = fmt.Sprintf("Retirement case %d: %s", c.ID, in.Text)
	}
	next.State = t.To
	return out, nil
}

func pastTense(ev Event) string {
	switch ev {
	case Approve:
		return "approved"
	case Reject:
		return "rejected"
	case Extend:
		return "extended"
	case Remind:
		return "reminded of"
	case Block:
		return "blocked"
	case Retire, Override:
		return "retired"
	case Comment:
		return "commented on"
	}
	return string(ev)
}

// roleList names roles for a refusal message.
func roleList(roles []Role, c Case) string {
	var names []string
	for _, r := range roles {
		switch r {
		case RoleOwner:
			names = append(names, "owners of team "+c.TeamSlug)
		case RoleGovernance:
			names = append(names, "governance leads")
		case RoleAdmin:
			names = append(names, "admins")
		case RoleSystem:
			names = append(names, "Steward's follow-up job")
		case RoleReader:
			names = append(names, "people signed in")
		}
	}
	switch len(names) {
	case 0:
		return "nobody"
	case 1:
		return names[0]
	}
	return strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
}
