package handlers_test

import (
	"net/http"
	"testing"

	"gorm.io/gorm"

	"github.com/steward-governance/steward/catalog"
	"github.com/steward-governance/steward/models"
)

func TestInboxShowsDecisionsUntilResolved(t *testing.T) {
	s := newSite(t, "sqlite")
	if _, err := s.store.CreateTeam(t.Context(), catalog.SystemActor("test"), catalog.TeamInput{Slug: "zoo", Name: "Zoo"}); err != nil {
		t.Fatal(err)
	}
	s.signOut()
	s.signIn("owner") // the owner persona owns the first team: zoo
	if p := s.get("/inbox"); p.status != http.StatusOK || p.count("[data-testid=inbox-empty]") != 1 || p.count("[data-testid=nav-inbox]") != 0 {
		t.Fatalf("empty inbox: %d, nav link %d", p.status, p.count("[data-testid=nav-inbox]"))
	}
	err := s.store.DB().Transaction(func(tx *gorm.DB) error {
		if err := models.AddInboxItem(tx, models.InboxItem{Key: "retirement:7", Title: "Approve retiring Pets v1", URL: "/retirements/7", TeamSlug: "zoo"}); err != nil {
			return err
		}
		return models.AddInboxItem(tx, models.InboxItem{Key: "retirement:8", Title: "Approve retiring Partner API v2", URL: "/retirements/8", Governance: true})
	})
	if err != nil {
		t.Fatal(err)
	}

	p := s.get("/apis")
	if got := p.text("[data-testid=nav-inbox]"); got != "Inbox (1)" {
		t.Errorf("nav link = %q, want Inbox (1)", got)
	}
	p = s.get("/inbox")
	if n := p.count("[data-testid=inbox-item]"); n != 1 {
		t.Fatalf("owner's inbox has %d items", n)
	}
	link := p.doc.Find("[data-testid=inbox-item] a")
	if link.Text() != "Approve retiring Pets v1" || link.AttrOr("href", "") != "/retirements/7" {
		t.Errorf("item = %q → %q", link.Text(), link.AttrOr("href", ""))
	}
	if got := p.text("[data-testid=inbox-item] td:nth-child(2)"); got != "owners of Zoo" {
		t.Errorf("why = %q", got)
	}

	s.signOut()
	s.signIn("governance")
	if got := s.get("/inbox").text("[data-testid=inbox-item] a"); got != "Approve retiring Partner API v2" {
		t.Errorf("governance lead's inbox = %q", got)
	}
	s.signOut()
	s.signIn("viewer")
	if p := s.get("/inbox"); p.count("[data-testid=inbox-item]") != 0 || p.count("[data-testid=nav-inbox]") != 0 {
		t.Error("someone with no part in either decision sees it")
	}

	if err := s.store.DB().Transaction(func(tx *gorm.DB) error { return models.ResolveInboxItems(tx, "retirement:7") }); err != nil {
		t.Fatal(err)
	}
	s.signOut()
	s.signIn("owner")
	if p := s.get("/inbox"); p.count("[data-testid=inbox-empty]") != 1 || p.count("[data-testid=nav-inbox]") != 0 {
		t.Errorf("after the decision: %q", p.text("main"))
	}
}
