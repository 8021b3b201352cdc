// Package policy is Steward's one authorisation decision: who may do what
// to which object. Every handler asks Authorize before acting, and the
// views ask it before showing a button, so the two cannot disagree.
package policy

// Action is something a person or a token may ask to do.
type Action string

// The actions Steward offers.
const (
	CatalogRead      Action = "catalog.read"
	TeamCreate       Action = "team.create"
	TeamUpdate       Action = "team.update"
	TeamDelete       Action = "team.delete"
	TeamMembers      Action = "team.members"
	APICreate        Action = "api.create"
	APIUpdate        Action = "api.update"
	APIDelete        Action = "api.delete"
	VersionCreate    Action = "version.create"
	VersionUpdate    Action = "version.update"
	VersionDelete    Action = "version.delete"
	DeploymentChange Action = "deployment.change"
	SpecUpload       Action = "spec.upload"
	TokenCreateOwn   Action = "token.create.personal"
	TokenCreateTeam  Action = "token.create.team"
	TokenRevoke      Action = "token.revoke"
	AuditRead        Action = "audit.read"
	UserManage       Action = "user.manage"
	RetirementDecide Action = "retirement.decide"
	StandardsManage  Action = "standards.manage"
	WaiverGrant      Action = "waiver.grant"
	SourcesManage    Action = "sources.manage"
	JobsManage       Action = "jobs.manage"
	// WebhooksManage adds, pauses, tests and deletes outgoing webhooks and
	// reads their deliveries.
	WebhooksManage Action = "webhooks.manage"
	// ExceptionRequest asks for a held revision to pass the breaking-change
	// policy; ExceptionDecide approves or denies that request.
	ExceptionRequest Action = "exception.request"
	ExceptionDecide  Action = "exception.decide"
	// DiscoveryDecide ignores a host seen in traffic that no deployment
	// claims; claiming one is APICreate for the team it goes to.
	DiscoveryDecide Action = "discovery.decide"
	// VersionStage moves a version between the pre-release stages and into
	// production (lifecycle.Advance, lifecycle.StepBack).
	VersionStage Action = "version.stage"
	// VersionRetire deprecates a version, takes a deprecation back or
	// retires it: promises to consumers, made by those who own the API.
	VersionRetire Action = "version.retire"
	// LifecycleOverride sets a lifecycle rule aside: demoting a production
	// version, reinstating a retired one, or retiring despite the
	// quiet-traffic gate, with a written reason.
	LifecycleOverride Action = "lifecycle.override"
	// RetirementSettings sets the zombie windows, the notice period, the
	// cool-off after a rejection and the grace share of retirements.
	RetirementSettings Action = "retirement.settings"
)

// TeamRole is a person's role in one team.
type TeamRole string

// Team roles: owners can do everything members can, plus manage the team.
const (
	RoleMember TeamRole = "member"
	RoleOwner  TeamRole = "owner"
)

// Scope limits what an API token may do, whatever its user may do.
type Scope string

// Token scopes, from the narrowest.
const (
	ScopeRead       Scope = "read"
	ScopeWriteSpecs Scope = "write-specs"
	ScopeAdmin      Scope = "admin"
)

// Scopes lists every scope.
var Scopes = []Scope{ScopeRead, ScopeWriteSpecs, ScopeAdmin}

// Subject is who asks: a signed-in person, or a token acting for one.
type Subject struct {
	UserID     uint
	Name       string
	Admin      bool
	Governance bool
	Teams      map[string]TeamRole // team slug → role
	// Token is set when the request came with an API token; its scope
	// narrows what the user may do. A team token acts only for its team.
	Token *Token
}

// Token is the part of an API token the policy reads.
type Token struct {
	Name     string
	Scope    Scope
	TeamSlug string // set for team tokens
}

// Anonymous is nobody: no sign-in.
var Anonymous = Subject{}

// SignedIn reports whether the subject is a known user.
func (s Subject) SignedIn() bool { return s.UserID != 0 }

// Object is what the action touches.
type Object struct {
	Type     string
	Key      string
	TeamSlug string // the owning team, when there is one
	// NewTeamSlug is the team an API is being moved to, when that differs.
	NewTeamSlug string
	// OwnerID is the user an object belongs to (a personal token).
	OwnerID uint
}

// Decision says whether an action is allowed and, if not, why, in words a
// person can act on.
type Decision struct {
	Allowed bool
	Reason  string
}

func allow() Decision             { return Decision{Allowed: true} }
func deny(reason string) Decision { return Decision{Reason: reason} }
func (s Subject) role(team string) TeamRole {
	if team == "" {
		return ""
	}
	return s.Teams[team]
}

// Authorize decides whether sub may perform act on obj.
func Authorize(sub Subject, act Action, obj Object) Decision {
	if !sub.SignedIn() {
		return deny("sign in first")
	}
	if d := tokenAllows(sub.Token, act, obj); !d.Allowed {
		return d
	}
	if sub.Admin {
		return allow()
	}
	member := func(team string) bool { r := sub.role(team); return r == RoleMember || r == RoleOwner }
	owner := func(team string) bool { return sub.role(team) == RoleOwner }
	switch act {
	case CatalogRead, TokenCreateOwn:
		return allow()
	case TokenRevoke:
		if obj.OwnerID == sub.UserID || owner(obj.TeamSlug) {
			return allow()
		}
		return deny("only the token's owner, an owner of its team or an admin may revoke it")
	case TeamCreate, TeamDelete, AuditRead, UserManage, SourcesManage, JobsManage, WebhooksManage:
		return deny("only admins may do this")
	case TeamUpdate, TeamMembers, TokenCreateTeam:
		if owner(obj.TeamSlug) {
			return allow()
		}
		return deny("only owners of team " + obj.TeamSlug + " or admins may do this")
	case StandardsManage, WaiverGrant, ExceptionDecide:
		if sub.Governance {
			return allow()
		}
		return deny("only governance leads may manage standards, waivers and exceptions")
	case DiscoveryDecide:
		if sub.Governance {
			return allow()
		}
		return deny("only governance leads or admins may ignore discovered APIs")
	case LifecycleOverride:
		if sub.Governance {
			return allow()
		}
		return deny("only governance leads or admins may demote a production version, reinstate a retired one or override a lifecycle gate")
	case VersionRetire:
		if owner(obj.TeamSlug) || sub.Governance {
			return allow()
		}
		return deny("only owners of team " + obj.TeamSlug + ", governance leads or admins may deprecate, un-deprecate or retire its versions")
	case RetirementSettings:
		if sub.Governance {
			return allow()
		}
		return deny("only governance leads or admins may change the retirement settings")
	case RetirementDecide:
		if owner(obj.TeamSlug) || sub.Governance {
			return allow()
		}
		return deny("only owners of team " + obj.TeamSlug + " or governance leads may decide retirements")
	case APIDelete:
		if owner(obj.TeamSlug) {
			return allow()
		}
		return deny("only owners of team " + obj.TeamSlug + " or admins may delete its APIs")
	case APICreate, APIUpdate, VersionCreate, VersionUpdate, VersionDelete, VersionStage, DeploymentChange, SpecUpload, ExceptionRequest:
		if !member(obj.TeamSlug) {
			if obj.TeamSlug == "" {
				return deny("choose a team you belong to")
			}
			return deny("only members of team " + obj.TeamSlug + " or admins may change its APIs")
		}
		if obj.NewTeamSlug != "" && obj.NewTeamSlug != obj.TeamSlug && !member(obj.NewTeamSlug) {
			return deny("you can hand an API only to a team you belong to (" + obj.NewTeamSlug + ")")
		}
		return allow()
	}
	return deny("no rule allows " + string(act))
}

// tokenAllows applies a token's scope and team before the user's own rights.
func tokenAllows(t *Token, act Action, obj Object) Decision {
	if t == nil {
		return allow()
	}
	if t.TeamSlug != "" && obj.TeamSlug != "" && obj.TeamSlug != t.TeamSlug && act != CatalogRead {
		return deny("token " + t.Name + " acts only for team " + t.TeamSlug)
	}
	switch t.Scope {
	case ScopeAdmin:
		return allow()
	case ScopeWriteSpecs:
		if act == CatalogRead || act == SpecUpload {
			return allow()
		}
		return deny("token " + t.Name + " may only read and upload specs (scope write-specs)")
	case ScopeRead:
		if act == CatalogRead {
			return allow()
		}
		return deny("token " + t.Name + " is read-only")
	}
	return deny("token " + t.Name + " has an unknown scope")
}
