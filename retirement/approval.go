package retirement

import (
	"slices"

	"github.com/steward-governance/steward/catalog"
)

// RequiredSlots are the approvals a case needs: an owner of the owning
// team always, and a governance lead as well when consumers outside the
// organisation may call the API (partner and public visibility).
func (c Case) RequiredSlots() []Role {
	if c.Visibility == catalog.VisibilityPartner || c.Visibility == catalog.VisibilityPublic {
		return []Role{RoleOwner, RoleGovernance}
	}
	return []Role{RoleOwner}
}

// Missing lists the required approvals not given yet.
func (c Case) Missing() []Role {
	var out []Role
	for _, s := range c.RequiredSlots() {
		if !slices.ContainsFunc(c.Approvals, func(a Approval) bool { return a.Slot == s }) {
			out = append(out, s)
		}
	}
	return out
}

// canFill reports whether a may give the approval of slot: owners the
// owner's, governance leads the governance lead's, admins either.
func (a Actor) canFill(slot Role, team string) bool {
	return a.Has(slot, team) || a.Has(RoleAdmin, team)
}

// slotFor picks the missing approval a would give. One person gives one
// approval: a team owner who is also a governance lead cannot approve a
// public API's retirement alone, since the second approval exists so that
// someone outside the team looks at it.
func (c Case) slotFor(a Actor) (Role, error) {
	for _, given := range c.Approvals {
		if (a.UserID != 0 && given.UserID == a.UserID) || (a.UserID == 0 && given.By == a.Name) {
			return "", conflict("You already approved this case as %s; it needs %s from someone else.", slotName(given.Slot, c), slotList(c.Missing(), c))
		}
	}
	missing := c.Missing()
	for _, s := range missing {
		if a.canFill(s, c.TeamSlug) {
			return s, nil
		}
	}
	if len(missing) == 0 {
		return "", conflict("This case has every approval it needs.")
	}
	return "", forbidden("This case needs %s; you cannot give it.", slotList(missing, c))
}

func slotName(slot Role, c Case) string {
	if slot == RoleGovernance {
		return "a governance lead"
	}
	return "an owner of team " + c.TeamSlug
}

func slotList(slots []Role, c Case) string {
	switch len(slots) {
	case 0:
		return "no further approval"
	case 1:
		return "the approval of " + slotName(slots[0], c)
	}
	return "the approvals of " + slotName(slots[0], c) + " and " + slotName(slots[1], c)
}
