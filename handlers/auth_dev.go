package handlers

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/steward-governance/steward/catalog"
	"github.com/steward-governance/steward/models"
	"github.com/steward-governance/steward/web"
)

// devIssuer marks users created by dev sign-in, so they can never be
// confused with people from a real identity provider.
const devIssuer = "steward:dev"

// devPersona is one of the demo people offered when no OIDC provider is
// configured (and Steward listens on loopback only).
type devPersona struct {
	Key, Name, Email, Description string
	Admin, Governance, TeamOwner  bool
}

var devPersonas = []devPersona{
	{Key: "viewer", Name: "Vic Viewer", Email: "viewer@example.com", Description: "signed in, belongs to no team: reads the catalogue"},
	{Key: "owner", Name: "Olivia Owner", Email: "owner@example.com", Description: "owner of the first team: edits its APIs, manages its members, approves its retirements", TeamOwner: true},
	{Key: "governance", Name: "Gina Governance", Email: "governance@example.com", Description: "governance lead: standards and waivers", Governance: true},
	{Key: "admin", Name: "Ada Admin", Email: "admin@example.com", Description: "admin: everything, including teams, tokens and the audit log", Admin: true},
}

func devPersonaViews() []web.Persona {
	out := make([]web.Persona, len(devPersonas))
	for i, p := range devPersonas {
		out[i] = web.Persona{Key: p.Key, Name: p.Name, Description: p.Description}
	}
	return out
}

// devLogin signs in as a demo persona. It exists only when no identity
// provider is configured; the server refuses to start that way on a
// non-loopback address unless told so explicitly.
func (s *Server) devLogin(c echo.Context) error {
	if s.oidc != nil {
		return echo.NewHTTPError(http.StatusNotFound, "Dev sign-in is off: this Steward uses single sign-on.")
	}
	key := c.FormValue("persona")
	var p *devPersona
	for i := range devPersonas {
		if devPersonas[i].Key == key {
			p = &devPersonas[i]
		}
	}
	if p == nil {
		return s.renderLogin(c, http.StatusBadRequest, safeNext(c.FormValue("next")), "Choose one of the demo people below.")
	}
	ctx := c.Request().Context()
	u, err := s.ids.UpsertUser(ctx, models.Identity{Issuer: devIssuer, Subject: p.Key, Email: p.Email, Name: p.Name, Admin: p.Admin, Governance: p.Governance})
	if err != nil {
		return err
	}
	if p.TeamOwner {
		if err := s.ensureDevOwnership(c, u.ID); err != nil {
			return err
		}
	}
	if err := s.startSession(c, u.ID, ""); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, safeNext(c.FormValue("next")))
}

// ensureDevOwnership makes the owner persona an owner of the first team,
// once; later sign-ins find the membership and write nothing.
func (s *Server) ensureDevOwnership(c echo.Context, userID uint) error {
	ctx := c.Request().Context()
	roles, err := s.ids.TeamRoles(ctx, userID)
	if err != nil || len(roles) > 0 {
		return err
	}
	teams, err := s.ids.ListTeams(ctx)
	if err != nil || len(teams) == 0 {
		return err
	}
	return s.ids.SetMember(ctx, catalog.SystemActor("dev-sign-in"), teams[0].Slug, userID, "owner")
}
