package handlers

import (
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/steward-governance/steward/identity"
	"github.com/steward-governance/steward/models"
	"github.com/steward-governance/steward/policy"
	"github.com/steward-governance/steward/web"
)

// maxTokenDays bounds token lifetimes: every token expires.
const maxTokenDays = 365

// tokenForm is the create-token form as posted.
type tokenForm struct {
	Name        string `form:"name"`
	Scope       string `form:"scope"`
	Team        string `form:"team"`
	ExpiresDays string `form:"expires_days"`
}

func (s *Server) showTokensPage(c echo.Context) error {
	return s.renderTokens(c, http.StatusOK, tokenForm{Scope: string(policy.ScopeRead), ExpiresDays: "90"}, nil, "", "")
}

func (s *Server) renderTokens(c echo.Context, status int, f tokenForm, errs web.FieldErrors, newName, newSecret string) error {
	ctx := c.Request().Context()
	id := who(c)
	var ownedTeams []string
	for team, role := range id.Teams {
		if role == policy.RoleOwner {
			ownedTeams = append(ownedTeams, team)
		}
	}
	sort.Strings(ownedTeams)
	rows, err := s.store.ListTokens(ctx, id.UserID, ownedTeams)
	if err != nil {
		return err
	}
	p := web.TokensPage{Values: web.TokenFormValues(f), Errors: errs, NewName: newName, NewSecret: newSecret}
	now := time.Now()
	for _, r := range rows {
		p.Tokens = append(p.Tokens, web.TokenRow{
			ID: r.ID, Name: r.Name, Prefix: r.Prefix, Scope: r.Scope, Team: r.TeamSlug, Owner: r.UserEmail,
			Created: r.CreatedAt, Expires: r.ExpiresAt, LastUsed: r.LastUsedAt, Revoked: r.RevokedAt != nil,
			Expired:   r.ExpiresAt != nil && now.After(*r.ExpiresAt),
			CanRevoke: can(c, policy.TokenRevoke, policy.Object{Type: "token", OwnerID: r.UserID, TeamSlug: r.TeamSlug}),
		})
	}
	for _, sc := range policy.Scopes {
		p.Scopes = append(p.Scopes, web.Option{Value: string(sc), Label: scopeLabel(sc)})
	}
	p.Teams = append(p.Teams, web.Option{Value: "", Label: "Personal (acts as you)"})
	for _, t := range ownedTeams {
		p.Teams = append(p.Teams, web.Option{Value: t, Label: "Team " + t})
	}
	return s.render(c, status, web.Tokens(s.layout(c, "API tokens"), p))
}

func scopeLabel(sc policy.Scope) string {
	switch sc {
	case policy.ScopeRead:
		return "read: read the catalogue"
	case policy.ScopeWriteSpecs:
		return "write specs: read, and upload specs"
	}
	return "admin: everything you may do"
}

// createToken makes a token and shows its secret once.
func (s *Server) createToken(c echo.Context) error {
	var f tokenForm
	if err := bindForm(c, &f); err != nil {
		return err
	}
	f.Name = strings.TrimSpace(f.Name)
	id := who(c)
	act, obj := policy.TokenCreateOwn, policy.Object{Type: "token"}
	if f.Team != "" {
		act, obj = policy.TokenCreateTeam, policy.Object{Type: "token", TeamSlug: f.Team}
	}
	if err := authorize(c, act, obj); err != nil {
		return err
	}
	errs := web.FieldErrors{}
	if f.Name == "" || len(f.Name) > 100 {
		errs["name"] = "give the token a name of at most 100 characters"
	}
	scope := policy.Scope(f.Scope)
	if scope != policy.ScopeRead && scope != policy.ScopeWriteSpecs && scope != policy.ScopeAdmin {
		errs["scope"] = "choose read, write specs or admin"
	}
	days, err := strconv.Atoi(strings.TrimSpace(f.ExpiresDays))
	if err != nil || days < 1 || days > maxTokenDays {
		errs["expires_days"] = "a whole number of days from 1 to 365"
	}
	if len(errs) > 0 {
		return s.renderTokens(c, http.StatusUnprocessableEntity, f, errs, "", "")
	}
	var teamID *uint
	if f.Team != "" {
		t, err := s.store.GetTeam(c.Request().Context(), f.Team)
		if err != nil {
			return err
		}
		teamID = &t.ID
	}
	secret, shown, err := identity.NewTokenSecret()
	if err != nil {
		return err
	}
	expires := time.Now().UTC().Add(time.Duration(days) * 24 * time.Hour)
	_, err = s.store.CreateToken(c.Request().Context(), actor(c), models.APIToken{
		Name: f.Name, Prefix: shown, UserID: id.UserID, TeamID: teamID, Scope: string(scope), ExpiresAt: &expires,
	}, secret)
	if err != nil {
		return err
	}
	// Rendered, not redirected: the secret must not travel in a URL or be
	// stored anywhere to show it after a redirect.
	c.Response().Header().Set("Cache-Control", "no-store")
	return s.renderTokens(c, http.StatusCreated, tokenForm{Scope: string(policy.ScopeRead), ExpiresDays: "90"}, nil, f.Name, secret)
}

func (s *Server) revokeToken(c echo.Context) error {
	n, err := strconv.ParseUint(c.Param("id"), 10, 64)
	if err != nil {
		return echo.NewHTTPError(http.StatusNotFound, "No such token.")
	}
	ctx := c.Request().Context()
	t, err := s.store.GetToken(ctx, uint(n))
	if err != nil {
		return err
	}
	if err := authorize(c, policy.TokenRevoke, policy.Object{Type: "token", OwnerID: t.UserID, TeamSlug: t.TeamSlug}); err != nil {
		return err
	}
	if err := s.store.RevokeToken(ctx, actor(c), t.ID); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/tokens")
}
