package retirement_test

import (
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/steward-governance/steward/catalog"
	"github.com/steward-governance/steward/retirement"
)

// actorAs is someone holding one role towards team zoo's cases.
func actorAs(role retirement.Role) retirement.Actor {
	a := retirement.Actor{Actor: catalog.Actor{Name: string(role) + "@example.com"}, UserID: uint(len(role))}
	switch role {
	case retirement.RoleSystem:
		return retirement.SystemActor("test")
	case retirement.RoleOwner:
		a.OwnerOf = []string{"zoo"}
	case retirement.RoleGovernance:
		a.Governance = true
	case retirement.RoleAdmin:
		a.Admin = true
	}
	return a
}

var t0 = time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC)

// caseIn is a case of team zoo's API in state, visible as vis, approved
// so far as its state implies.
func caseIn(state retirement.State, vis catalog.Visibility) retirement.Case {
	c := retirement.Case{ID: 7, VersionID: 3, APISlug: "pets", APIName: "Pets", Version: "v1", TeamSlug: "zoo", Visibility: vis,
		State: state, Scope: retirement.ScopeVersion, Reason: "unused", NoticeDays: 90, MigrationNotes: "use v2",
		OpenedBy: "owner@example.com", OpenedAt: t0.AddDate(0, 0, -1), Revision: 1}
	if state != retirement.Proposed {
		n := t0.AddDate(0, 0, -60)
		c.NoticeStart, c.Deprecation, c.Sunset = &n, n, t0.AddDate(0, 0, 30)
		c.Approvals = []retirement.Approval{{Slot: retirement.RoleOwner, By: "someone", UserID: 99, At: n}}
	}
	return c
}

// The transition table, written out by hand: for each state and event,
// who may take it on an internal API and on a public one (partner is as
// public). Anything not listed is not a transition of that state.
var wantTable = []struct {
	from             retirement.State
	event            retirement.Event
	to               retirement.State
	internal, public []retirement.Role
}{
	{retirement.Proposed, retirement.Approve, retirement.Approved,
		[]retirement.Role{retirement.RoleOwner, retirement.RoleAdmin},
		[]retirement.Role{retirement.RoleOwner, retirement.RoleGovernance, retirement.RoleAdmin}},
	{retirement.Proposed, retirement.Reject, retirement.Rejected,
		[]retirement.Role{retirement.RoleOwner, retirement.RoleGovernance, retirement.RoleAdmin},
		[]retirement.Role{retirement.RoleOwner, retirement.RoleGovernance, retirement.RoleAdmin}},
	{retirement.Approved, retirement.Remind, retirement.Approved, []retirement.Role{retirement.RoleSystem}, []retirement.Role{retirement.RoleSystem}},
	{retirement.Approved, retirement.Extend, retirement.Approved,
		[]retirement.Role{retirement.RoleOwner, retirement.RoleAdmin}, []retirement.Role{retirement.RoleOwner, retirement.RoleAdmin}},
	{retirement.Approved, retirement.Retire, retirement.Retired, []retirement.Role{retirement.RoleSystem}, []retirement.Role{retirement.RoleSystem}},
	{retirement.Approved, retirement.Block, retirement.Blocked, []retirement.Role{retirement.RoleSystem}, []retirement.Role{retirement.RoleSystem}},
	{retirement.Blocked, retirement.Extend, retirement.Approved,
		[]retirement.Role{retirement.RoleOwner, retirement.RoleAdmin}, []retirement.Role{retirement.RoleOwner, retirement.RoleAdmin}},
	{retirement.Blocked, retirement.Retire, retirement.Retired, []retirement.Role{retirement.RoleSystem}, []retirement.Role{retirement.RoleSystem}},
	{retirement.Blocked, retirement.Override, retirement.Retired,
		[]retirement.Role{retirement.RoleGovernance, retirement.RoleAdmin}, []retirement.Role{retirement.RoleGovernance, retirement.RoleAdmin}},
}

var people = []retirement.Role{retirement.RoleReader, retirement.RoleOwner, retirement.RoleGovernance, retirement.RoleAdmin}

var allEvents = []retirement.Event{retirement.Approve, retirement.Reject, retirement.Comment, retirement.Extend,
	retirement.Remind, retirement.Block, retirement.Retire, retirement.Override}

// inputFor is a valid input for ev at t0.
func inputFor(ev retirement.Event) retirement.Input {
	return retirement.Input{Text: "because", Sunset: t0.AddDate(0, 0, 120), Consumers: 2, Days: 30}
}

// TestEveryTransitionForEveryRole tries every event on every state as
// every role, for an internal and a public API, and checks it is allowed
// (to the right state) or refused (forbidden for the wrong person, a
// conflict when the state has no such transition) as the table says.
func TestEveryTransitionForEveryRole(t *testing.T) {
	for _, vis := range []catalog.Visibility{catalog.VisibilityInternal, catalog.VisibilityPartner, catalog.VisibilityPublic} {
		for _, state := range retirement.States {
			for _, ev := range allEvents {
				for _, role := range retirement.Roles {
					name := fmt.Sprintf("%s/%s/%s/%s", vis, state, ev, role)
					c := caseIn(state, vis)
					out, err := retirement.Decide(c, actorAs(role), ev, inputFor(ev), t0)
					want, to, conflict := expected(state, ev, role, vis)
					switch {
					case want && err != nil:
						t.Errorf("%s: refused (%v), want allowed", name, err)
					case want && out.Case.State != to:
						t.Errorf("%s: moved to %s, want %s", name, out.Case.State, to)
					case !want && err == nil:
						t.Errorf("%s: allowed, want refused", name)
					case !want && conflict && !errors.Is(err, catalog.ErrConflict):
						t.Errorf("%s: %v, want a conflict (the role may, but not in this state)", name, err)
					case !want && !conflict && !errors.Is(err, catalog.ErrForbidden):
						t.Errorf("%s: %v, want forbidden", name, err)
					}
					if (err == nil) != (retirement.Allowed(c, actorAs(role), ev) == nil) {
						t.Errorf("%s: Allowed and Decide disagree", name)
					}
				}
			}
		}
	}
}

// expected reads wantTable: whether role may take ev in state, the state
// it leads to, and, when it may not, whether that is a conflict (the role
// may take ev in another state) rather than forbidden (never).
func expected(state retirement.State, ev retirement.Event, role retirement.Role, vis catalog.Visibility) (bool, retirement.State, bool) {
	if ev == retirement.Comment {
		return role != retirement.RoleSystem, state, false
	}
	ever := false
	for _, w := range wantTable {
		if w.event == ev {
			ever = ever || slices.Contains(w.internal, role) || slices.Contains(w.public, role)
		}
	}
	for _, w := range wantTable {
		if w.from == state && w.event == ev {
			who := w.internal
			if vis != catalog.VisibilityInternal {
				who = w.public
			}
			to := w.to
			if ev == retirement.Approve && vis != catalog.VisibilityInternal {
				to = retirement.Proposed // one of two approvals
			}
			return slices.Contains(who, role), to, false
		}
	}
	return false, "", ever
}

func TestTransitionsTableMatchesTheDocumentedOne(t *testing.T) {
	var got []string
	for _, tr := range retirement.Transitions() {
		if tr.Event != retirement.Comment {
			got = append(got, fmt.Sprintf("%s -%s-> %s", tr.From, tr.Event, tr.To))
		}
	}
	var want []string
	for _, w := range wantTable {
		want = append(want, fmt.Sprintf("%s -%s-> %s", w.from, w.event, w.to))
	}
	if !slices.Equal(got, want) {
		t.Errorf("transitions\n got %v\nwant %v", got, want)
	}
}

// A public API's retirement needs an owner and a governance lead, two
// different people; the second approval deprecates.
func TestPublicRetirementNeedsTwoPeople(t *testing.T) {
	c := caseIn(retirement.Proposed, catalog.VisibilityPublic)
	both := actorAs(retirement.RoleOwner)
	both.Governance = true
	out, err := retirement.Decide(c, both, retirement.Approve, retirement.Input{}, t0)
	if err != nil || out.Case.State != retirement.Proposed || out.Deprecate {
		t.Fatalf("first approval: %v %s deprecate=%v", err, out.Case.State, out.Deprecate)
	}
	if got := out.Case.Missing(); !slices.Equal(got, []retirement.Role{retirement.RoleGovernance}) {
		t.Fatalf("missing after the owner's approval: %v", got)
	}
	if _, err := retirement.Decide(out.Case, both, retirement.Approve, retirement.Input{}, t0); !errors.Is(err, catalog.ErrConflict) {
		t.Fatalf("same person approving twice: %v, want a conflict", err)
	}
	other := actorAs(retirement.RoleOwner)
	other.UserID, other.Name = 42, "other-owner@example.com"
	if _, err := retirement.Decide(out.Case, other, retirement.Approve, retirement.Input{}, t0); !errors.Is(err, catalog.ErrForbidden) {
		t.Fatalf("another owner giving the governance approval: %v, want forbidden", err)
	}
	gov := actorAs(retirement.RoleGovernance)
	done, err := retirement.Decide(out.Case, gov, retirement.Approve, retirement.Input{}, t0)
	if err != nil || done.Case.State != retirement.Approved || !done.Deprecate {
		t.Fatalf("governance approval: %v %s deprecate=%v", err, done.Case.State, done.Deprecate)
	}
	if want := t0.Truncate(24*time.Hour).AddDate(0, 0, 90); !done.Case.Sunset.Equal(want) || !done.Case.Deprecation.Equal(t0) {
		t.Errorf("dates: deprecation %s sunset %s, want %s and %s", done.Case.Deprecation, done.Case.Sunset, t0, want)
	}
}

func TestDecideChecksInput(t *testing.T) {
	for _, tc := range []struct {
		state retirement.State
		role  retirement.Role
		ev    retirement.Event
		in    retirement.Input
		field string
	}{
		{retirement.Proposed, retirement.RoleOwner, retirement.Reject, retirement.Input{Text: "  "}, "text"},
		{retirement.Blocked, retirement.RoleGovernance, retirement.Override, retirement.Input{}, "text"},
		{retirement.Approved, retirement.RoleReader, retirement.Comment, retirement.Input{}, "text"},
		{retirement.Approved, retirement.RoleOwner, retirement.Extend, retirement.Input{Sunset: t0.AddDate(0, 0, 10)}, "sunset"},
		{retirement.Blocked, retirement.RoleOwner, retirement.Extend, retirement.Input{Sunset: t0.Add(-time.Hour)}, "sunset"},
	} {
		_, err := retirement.Decide(caseIn(tc.state, catalog.VisibilityInternal), actorAs(tc.role), tc.ev, tc.in, t0)
		var ve *catalog.ValidationError
		if !errors.As(err, &ve) || ve.Fields[tc.field] == "" {
			t.Errorf("%s %s: %v, want an error on %s", tc.state, tc.ev, err, tc.field)
		}
	}
}

func TestNewCase(t *testing.T) {
	target := retirement.Target{VersionID: 3, APISlug: "pets", APIName: "Pets", Version: "v1", Stage: catalog.StageProduction, TeamSlug: "zoo",
		Visibility: catalog.VisibilityInternal, Operations: []string{"GET /pets", "GET /pets/{petId}"}}
	ok := retirement.Proposal{Reason: "unused", MigrationNotes: "use v2"}
	c, err := retirement.NewCase(target, actorAs(retirement.RoleOwner), ok, retirement.Settings{}, t0)
	if err != nil || c.State != retirement.Proposed || c.Scope != retirement.ScopeVersion || !c.Sunset.IsZero() || c.NoticeDays != 90 {
		t.Fatalf("plain proposal: %+v %v", c, err)
	}
	for _, tc := range []struct {
		name   string
		role   retirement.Role
		stage  catalog.Stage
		p      retirement.Proposal
		target error
		field  string
	}{
		{name: "reader", role: retirement.RoleReader, p: ok, target: catalog.ErrForbidden},
		{name: "retired already", role: retirement.RoleOwner, stage: catalog.StageRetired, p: ok, target: catalog.ErrConflict},
		{name: "in design", role: retirement.RoleGovernance, stage: catalog.StageDesign, p: ok, target: catalog.ErrConflict},
		{name: "no reason", role: retirement.RoleOwner, p: retirement.Proposal{MigrationNotes: "x"}, field: "reason"},
		{name: "no notes", role: retirement.RoleOwner, p: retirement.Proposal{Reason: "x"}, field: "migration_notes"},
		{name: "bad successor", role: retirement.RoleOwner, p: retirement.Proposal{Reason: "x", MigrationNotes: "y", Replacement: "ftp://x"}, field: "replacement"},
		{name: "sunset passed", role: retirement.RoleOwner, p: retirement.Proposal{Reason: "x", MigrationNotes: "y", Sunset: t0.Add(-time.Hour)}, field: "sunset"},
		{name: "unknown endpoint", role: retirement.RoleOwner, p: retirement.Proposal{Reason: "x", MigrationNotes: "y", Scope: retirement.ScopeEndpoints, Endpoints: []string{"DELETE /pets"}}, field: "endpoints"},
		{name: "no endpoint", role: retirement.RoleOwner, p: retirement.Proposal{Reason: "x", MigrationNotes: "y", Scope: retirement.ScopeEndpoints}, field: "endpoints"},
	} {
		tg := target
		if tc.stage != "" {
			tg.Stage = tc.stage
		}
		_, err := retirement.NewCase(tg, actorAs(tc.role), tc.p, retirement.Settings{}, t0)
		var ve *catalog.ValidationError
		switch {
		case tc.target != nil && !errors.Is(err, tc.target):
			t.Errorf("%s: %v, want %v", tc.name, err, tc.target)
		case tc.field != "" && (!errors.As(err, &ve) || ve.Fields[tc.field] == ""):
			t.Errorf("%s: %v, want an error on %s", tc.name, err, tc.field)
		}
	}
	eps, err := retirement.NewCase(target, actorAs(retirement.RoleGovernance), retirement.Proposal{Reason: "x", MigrationNotes: "y",
		Scope: retirement.ScopeEndpoints, Endpoints: []string{"GET /pets/{petId}", "GET /pets", "GET /pets"}}, retirement.Settings{}, t0)
	if err != nil || !slices.Equal(eps.Endpoints, []string{"GET /pets", "GET /pets/{petId}"}) {
		t.Errorf("endpoint proposal: %v %v", eps.Endpoints, err)
	}
}
