package handlers

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/steward-governance/steward/catalog"
	"github.com/steward-governance/steward/policy"
	"github.com/steward-governance/steward/web"
)

// memberForm is the add-member form as posted.
type memberForm struct {
	Email string `form:"email"`
	Role  string `form:"role"`
}

func (s *Server) saveMember(c echo.Context) error {
	ctx := c.Request().Context()
	t, err := s.store.GetTeam(ctx, c.Param("team"))
	if err != nil {
		return err
	}
	if err := authorize(c, policy.TeamMembers, policy.Object{Type: "team", Key: t.Slug, TeamSlug: t.Slug}); err != nil {
		return err
	}
	var f memberForm
	if err := bindForm(c, &f); err != nil {
		return err
	}
	f.Email = strings.TrimSpace(f.Email)
	errs := web.FieldErrors{}
	if f.Role != string(policy.RoleMember) && f.Role != string(policy.RoleOwner) {
		errs["role"] = "choose member or owner"
	}
	var userID uint
	if f.Email == "" {
		errs["email"] = "give the email of the person to add"
	} else if u, err := s.store.FindUserByEmail(ctx, f.Email); errors.Is(err, catalog.ErrNotFound) {
		errs["email"] = "nobody with this email has signed in yet; ask them to sign in once, then add them"
	} else if err != nil {
		return err
	} else {
		userID = u.ID
	}
	if len(errs) > 0 {
		return s.renderTeam(c, http.StatusUnprocessableEntity, t.Slug, func(p *web.TeamPage) {
			p.MemberValues, p.MemberErrors = web.MemberFormValues{Email: f.Email, Role: f.Role}, errs
		})
	}
	if err := s.store.SetMember(ctx, actor(c), t.Slug, userID, f.Role); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/teams/"+t.Slug+"?done=member")
}

func (s *Server) removeMember(c echo.Context) error {
	ctx := c.Request().Context()
	t, err := s.store.GetTeam(ctx, c.Param("team"))
	if err != nil {
		return err
	}
	if err := authorize(c, policy.TeamMembers, policy.Object{Type: "team", Key: t.Slug, TeamSlug: t.Slug}); err != nil {
		return err
	}
	userID, err := strconv.ParseUint(c.Param("user"), 10, 64)
	if err != nil {
		return echo.NewHTTPError(http.StatusNotFound, "No such member.")
	}
	if err := s.store.RemoveMember(ctx, actor(c), t.Slug, uint(userID)); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/teams/"+t.Slug+"?done=member-removed")
}

func (s *Server) linkTeamGroup(c echo.Context) error {
	ctx := c.Request().Context()
	t, err := s.store.GetTeam(ctx, c.Param("team"))
	if err != nil {
		return err
	}
	if err := authorize(c, policy.UserManage, policy.Object{Type: "team", Key: t.Slug, TeamSlug: t.Slug}); err != nil {
		return err
	}
	group := strings.TrimSpace(c.FormValue("group"))
	if len(group) > 200 {
		return echo.NewHTTPError(http.StatusUnprocessableEntity, "A group name is at most 200 characters.")
	}
	if err := s.store.SetTeamGroup(ctx, actor(c), t.Slug, group); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/teams/"+t.Slug+"?done=group")
}
