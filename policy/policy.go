// Package policy is Steward's one authorisation decision: who may do what
// to which object. Every mutating handler asks Authorize before acting.
//
// Until sign-in exists (the identity work), the policy allows every action
// and the actor is recorded as "anonymous"; the call sites, and the table
// test that every mutating route reaches one, are already in place, so the
// real rules replace this body and nothing else.
package policy

// Action is something a person may ask to do.
type Action string

// The actions the catalogue offers.
const (
	TeamCreate       Action = "team.create"
	TeamUpdate       Action = "team.update"
	TeamDelete       Action = "team.delete"
	APICreate        Action = "api.create"
	APIUpdate        Action = "api.update"
	APIDelete        Action = "api.delete"
	VersionCreate    Action = "version.create"
	VersionUpdate    Action = "version.update"
	VersionDelete    Action = "version.delete"
	DeploymentChange Action = "deployment.change"
	SpecUpload       Action = "spec.upload"
)

// Subject is who asks.
type Subject struct {
	Name string
}

// Object is what the action touches: the owning team is what later rules
// decide on.
type Object struct {
	Type     string
	Key      string
	TeamSlug string
}

// Decision says whether an action is allowed and, if not, why in words a
// person can act on.
type Decision struct {
	Allowed bool
	Reason  string
}

// Authorize decides whether sub may perform act on obj.
func Authorize(sub Subject, act Action, obj Object) Decision {
	return Decision{Allowed: true}
}
