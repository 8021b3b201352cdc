package policy

import "testing"

func TestAuthorize(t *testing.T) {
	viewer := Subject{UserID: 1, Name: "viewer"}
	member := Subject{UserID: 2, Name: "member", Teams: map[string]TeamRole{"pay": RoleMember}}
	owner := Subject{UserID: 3, Name: "owner", Teams: map[string]TeamRole{"pay": RoleOwner, "ops": RoleMember}}
	gov := Subject{UserID: 4, Name: "gov", Governance: true}
	admin := Subject{UserID: 5, Name: "admin", Admin: true}
	readToken := member
	readToken.Token = &Token{Name: "ci", Scope: ScopeRead}
	specToken := member
	specToken.Token = &Token{Name: "ci", Scope: ScopeWriteSpecs}
	teamToken := owner
	teamToken.Token = &Token{Name: "pay-ci", Scope: ScopeAdmin, TeamSlug: "pay"}

	pay := Object{Type: "api", Key: "cards", TeamSlug: "pay"}
	cases := []struct {
		name  string
		sub   Subject
		act   Action
		obj   Object
		allow bool
	}{
		{"anonymous cannot read", Anonymous, CatalogRead, Object{}, false},
		{"viewer reads", viewer, CatalogRead, Object{}, true},
		{"viewer cannot edit", viewer, APIUpdate, pay, false},
		{"member edits own team's API", member, APIUpdate, pay, true},
		{"member uploads specs", member, SpecUpload, pay, true},
		{"member cannot delete", member, APIDelete, pay, false},
		{"member cannot edit another team's API", member, APIUpdate, Object{TeamSlug: "ops"}, false},
		{"member cannot hand an API to a team they are not in", member, APIUpdate, Object{TeamSlug: "pay", NewTeamSlug: "ops"}, false},
		{"owner hands an API to another of their teams", owner, APIUpdate, Object{TeamSlug: "pay", NewTeamSlug: "ops"}, true},
		{"owner deletes", owner, APIDelete, pay, true},
		{"owner manages members", owner, TeamMembers, pay, true},
		{"member cannot manage members", member, TeamMembers, pay, false},
		{"owner decides retirement", owner, RetirementDecide, pay, true},
		{"governance decides retirement", gov, RetirementDecide, pay, true},
		{"governance manages standards", gov, StandardsManage, Object{}, true},
		{"owner cannot manage standards", owner, StandardsManage, Object{}, false},
		{"governance cannot edit APIs", gov, APIUpdate, pay, false},
		{"only admins create teams", owner, TeamCreate, Object{}, false},
		{"admin creates teams", admin, TeamCreate, Object{}, true},
		{"admin reads audit", admin, AuditRead, Object{}, true},
		{"owner cannot read the whole audit log", owner, AuditRead, Object{}, false},
		{"read token cannot upload", readToken, SpecUpload, pay, false},
		{"read token reads", readToken, CatalogRead, Object{}, true},
		{"spec token uploads", specToken, SpecUpload, pay, true},
		{"spec token cannot edit the API", specToken, APIUpdate, pay, false},
		{"team token stays in its team", teamToken, APIUpdate, Object{TeamSlug: "ops"}, false},
		{"team token acts in its team", teamToken, APIUpdate, pay, true},
		{"user revokes own token", member, TokenRevoke, Object{OwnerID: 2}, true},
		{"user cannot revoke another's token", member, TokenRevoke, Object{OwnerID: 3}, false},
		{"owner revokes a team token", owner, TokenRevoke, Object{OwnerID: 9, TeamSlug: "pay"}, true},
		{"governance ignores a discovered API", gov, DiscoveryDecide, Object{Type: "discovered_host"}, true},
		{"admin ignores a discovered API", admin, DiscoveryDecide, Object{Type: "discovered_host"}, true},
		{"owner cannot ignore a discovered API", owner, DiscoveryDecide, Object{Type: "discovered_host"}, false},
		{"member claims a discovered API for their team", member, APICreate, Object{Type: "discovered_host", TeamSlug: "pay"}, true},
		{"viewer cannot claim a discovered API", viewer, APICreate, Object{Type: "discovered_host", TeamSlug: "pay"}, false},
	}
	for _, c := range cases {
		d := Authorize(c.sub, c.act, c.obj)
		if d.Allowed != c.allow {
			t.Errorf("%s: allowed=%v (%s), want %v", c.name, d.Allowed, d.Reason, c.allow)
		}
		if !d.Allowed && d.Reason == "" {
			t.Errorf("%s: a refusal must say why", c.name)
		}
	}
}
