package models_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/steward-governance/steward/catalog"
	"github.com/steward-governance/steward/lifecycle"
	"github.com/steward-governance/steward/models"
	"github.com/steward-governance/steward/models/storetest"
	"github.com/steward-governance/steward/retirement"
)

// deciders on team payments' cases.
var (
	paymentsOwner = retirement.Actor{Actor: catalog.Actor{Name: "olivia@example.com"}, UserID: 101, OwnerOf: []string{"payments"}}
	governance    = retirement.Actor{Actor: catalog.Actor{Name: "gina@example.com"}, UserID: 102, Governance: true}
)

func service(s *models.Store) *retirement.Service {
	return &retirement.Service{Store: s, Traffic: s, Gates: func(context.Context) (lifecycle.Gates, error) { return lifecycle.DefaultGates, nil }}
}

func proposal() retirement.Proposal {
	return retirement.Proposal{Reason: "v2 replaces it", MigrationNotes: "Call /v2/charges instead.", Replacement: "https://pay.example.com/v2"}
}

// A case through the store: one open case per version, approvals and the
// deprecation in the decision's transaction, the timeline, the audit log,
// the inbox and the outbox.
func TestRetirementCaseInTheStore(t *testing.T) {
	eachEngine(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		seed(t, s)
		svc := service(s)
		c, err := svc.Open(ctx, governance, "card-payments", "v1", proposal())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Open(ctx, paymentsOwner, "card-payments", "v1", proposal()); !errors.Is(err, catalog.ErrConflict) {
			t.Fatalf("second open case: %v, want a conflict", err)
		}
		got, err := s.Case(ctx, c.ID)
		if err != nil || got.TeamSlug != "payments" || got.Visibility != catalog.VisibilityPublic || got.State != retirement.Proposed || got.Revision != 0 {
			t.Fatalf("stored case: %+v %v", got, err)
		}
		// Public: the owner's approval leaves it proposed, the governance
		// lead's deprecates the version in the same step.
		if c, err = svc.Act(ctx, paymentsOwner, c.ID, retirement.Approve, retirement.Input{}); err != nil || c.State != retirement.Proposed {
			t.Fatalf("owner approval: %v %v", c, err)
		}
		if c, err = svc.Act(ctx, governance, c.ID, retirement.Approve, retirement.Input{}); err != nil || c.State != retirement.Approved {
			t.Fatalf("governance approval: %v %v", c, err)
		}
		v, _ := s.GetVersion(ctx, "card-payments", "v1")
		life, _ := s.VersionLifecycleOf(ctx, v.ID)
		if v.Stage != "deprecated" || life.SunsetDate == nil || !life.SunsetDate.Equal(c.Sunset) || life.MigrationNotes != "Call /v2/charges instead." {
			t.Errorf("version after approval: %s %+v", v.Stage, life)
		}
		again, _ := s.Case(ctx, c.ID)
		if len(again.Approvals) != 2 || again.Approvals[0].Slot != retirement.RoleOwner || again.Approvals[1].By != "gina@example.com" || again.Revision != 2 {
			t.Errorf("approvals: %+v revision %d", again.Approvals, again.Revision)
		}
		events, _ := s.CaseEvents(ctx, c.ID)
		if len(events) != 3 || events[0].Event != "open" || events[2].Event != "approve" {
			t.Errorf("timeline: %+v", events)
		}
		audit, _ := s.AuditFor(ctx, "retirement", c.Key(), 10)
		if len(audit) != 3 || audit[0].Action != "retirement.approve" || audit[2].Action != "retirement.open" {
			t.Errorf("audit: %+v", audit)
		}
		// The approval request left the inbox of the governance leads.
		var open int64
		s.DB().Table("notification_inbox").Where("item_key = ? AND resolved_at IS NULL", "retirement:"+c.Key()+":approve").Count(&open)
		var queued int64
		s.DB().Table("notifications").Where("kind LIKE ?", "retirement.%").Count(&queued)
		if open != 0 || queued != 2 {
			t.Errorf("inbox items still open: %d; retirement messages queued: %d (want proposed and approved)", open, queued)
		}
		if cases, err := s.ListCases(ctx, models.CaseFilter{States: []retirement.State{retirement.Approved}}); err != nil || len(cases) != 1 || len(cases[0].Approvals) != 2 {
			t.Errorf("list approved: %v %v", cases, err)
		}
		// A stale revision changes nothing.
		stale := *again
		stale.State = retirement.Rejected
		if err := s.SaveCase(ctx, catalog.Actor{Name: "x"}, &stale, 0, retirement.Change{Record: retirement.Record{Event: retirement.Reject, At: time.Now()}}); !errors.Is(err, retirement.ErrStale) {
			t.Errorf("stale save: %v", err)
		}
	})
}

// The lifecycle's gates refuse the deprecation: the whole approval is
// rolled back, case, inbox, messages and all.
func TestRetirementApprovalRolledBackWhenTheLifecycleRefuses(t *testing.T) {
	ctx := context.Background()
	s := storetest.New(t, "sqlite")
	seed(t, s)
	svc := service(s)
	c, err := svc.Open(ctx, paymentsOwner, "card-payments", "v1", proposal())
	if err != nil {
		t.Fatal(err)
	}
	// Someone moves the version back to testing, where no deprecation is
	// possible.
	if _, err := s.TransitionVersion(ctx, alice, "card-payments", "v1", models.TransitionInput{To: catalog.StageTesting, Reason: "promoted by mistake",
		OverrideAllowed: true}, lifecycle.DefaultGates); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Act(ctx, paymentsOwner, c.ID, retirement.Approve, retirement.Input{}); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Act(ctx, governance, c.ID, retirement.Approve, retirement.Input{}); !errors.Is(err, catalog.ErrInvalid) {
		t.Fatalf("approval of a version in testing: %v, want the lifecycle's refusal", err)
	}
	got, _ := s.Case(ctx, c.ID)
	events, _ := s.CaseEvents(ctx, c.ID)
	if got.State != retirement.Proposed || len(got.Approvals) != 1 || len(events) != 2 {
		t.Errorf("after the refusal: %s, approvals %v, %d events", got.State, got.Approvals, len(events))
	}
}

// Two people deciding at once, on two connections to PostgreSQL, get
// exactly one outcome: an owner approving and a governance lead rejecting
// an internal API's case, many times over.
func TestRetirementDoubleDecisionPostgres(t *testing.T) {
	url := storetest.URL(t, "postgres")
	a, b := storetest.Open(t, url), storetest.Open(t, url)
	if err := a.Migrate(); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	seed(t, a)
	svcA, svcB := service(a), service(b)
	owner := paymentsOwner
	for round := range 12 {
		name := fmt.Sprintf("v%d", 10+round)
		if _, err := a.CreateVersion(ctx, alice, "refunds", catalog.VersionInput{Name: name, Stage: catalog.StageProduction}); err != nil {
			t.Fatal(err)
		}
		c, err := svcA.Open(ctx, governance, "refunds", name, proposal())
		if err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		var approveErr, rejectErr error
		start := make(chan struct{})
		wg.Add(2)
		go func() {
			defer wg.Done()
			<-start
			_, approveErr = svcA.Act(ctx, owner, c.ID, retirement.Approve, retirement.Input{})
		}()
		go func() {
			defer wg.Done()
			<-start
			_, rejectErr = svcB.Act(ctx, governance, c.ID, retirement.Reject, retirement.Input{Text: "still needed"})
		}()
		close(start)
		wg.Wait()
		if (approveErr == nil) == (rejectErr == nil) {
			t.Fatalf("round %d: approve %v, reject %v: want exactly one outcome", round, approveErr, rejectErr)
		}
		loser := approveErr
		if loser == nil {
			loser = rejectErr
		}
		if !errors.Is(loser, catalog.ErrConflict) {
			t.Errorf("round %d: the loser got %v, want a conflict", round, loser)
		}
		got, _ := a.Case(ctx, c.ID)
		v, _ := a.GetVersion(ctx, "refunds", name)
		events, _ := a.CaseEvents(ctx, c.ID)
		switch {
		case approveErr == nil && (got.State != retirement.Approved || v.Stage != "deprecated"):
			t.Errorf("round %d: approval won but the case is %s and the version %s", round, got.State, v.Stage)
		case rejectErr == nil && (got.State != retirement.Rejected || v.Stage != "production"):
			t.Errorf("round %d: rejection won but the case is %s and the version %s", round, got.State, v.Stage)
		}
		if len(events) != 2 {
			t.Errorf("round %d: %d timeline entries, want the opening and one decision", round, len(events))
		}
	}
}

// Verdicts are replaced whole, and the catalogue filters on them.
func TestZombieVerdictsAndCatalogueFilter(t *testing.T) {
	eachEngine(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		seed(t, s)
		v, _ := s.GetVersion(ctx, "card-payments", "v1")
		now := time.Now().UTC().Truncate(time.Second)
		err := s.SaveZombieVerdicts(ctx, []models.ZombieVerdict{{VersionID: v.ID, Verdict: "zombie", Days: 30, Reason: "silent", ComputedAt: now}},
			[]models.ZombieEndpoint{{VersionID: v.ID, Method: "POST", Template: "/charges", ComputedAt: now}})
		if err != nil {
			t.Fatal(err)
		}
		got, err := s.ZombieVerdicts(ctx, nil)
		if err != nil || got[v.ID].Verdict != "zombie" || !got[v.ID].ComputedAt.Equal(now) {
			t.Fatalf("verdicts: %+v %v", got, err)
		}
		q := catalog.ListQuery{Zombie: true}
		_ = q.Normalize()
		page, err := s.ListAPIs(ctx, q)
		if err != nil || page.Total != 1 || page.Items[0].Slug != "card-payments" || !page.Items[0].Zombie {
			t.Fatalf("zombie filter: %+v %v", page, err)
		}
		all := catalog.ListQuery{}
		_ = all.Normalize()
		if page, _ := s.ListAPIs(ctx, all); page.Total != 3 {
			t.Errorf("unfiltered after a zombie query: %d", page.Total)
		}
		if err := s.SaveZombieVerdicts(ctx, nil, nil); err != nil {
			t.Fatal(err)
		}
		if page, _ := s.ListAPIs(ctx, q); page.Total != 0 {
			t.Errorf("zombie filter after the verdicts went: %d", page.Total)
		}
	})
}
