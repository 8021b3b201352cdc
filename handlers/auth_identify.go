package handlers

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/steward-governance/steward/catalog"
	"github.com/steward-governance/steward/models"
	"github.com/steward-governance/steward/policy"
)

const (
	sessionCookie = "steward_session"
	subjectKey    = "steward.subject"
)

// Identities is what sign-in needs from storage; *models.Store implements it.
type Identities interface {
	UpsertUser(ctx context.Context, id models.Identity) (*models.User, error)
	TeamRoles(ctx context.Context, userID uint) (map[string]string, error)
	CreateSession(ctx context.Context, rawID string, userID uint, absolute time.Time, idTokenHint, ip, ua string) error
	SessionUser(ctx context.Context, rawID string, idle time.Duration) (*models.Session, *models.User, error)
	DeleteSession(ctx context.Context, rawID string) error
	SaveLoginAttempt(ctx context.Context, state string, a models.LoginAttempt) error
	TakeLoginAttempt(ctx context.Context, state string) (*models.LoginAttempt, error)
	TokenBySecret(ctx context.Context, secret string) (*models.TokenRow, error)
	GetUser(ctx context.Context, id uint) (*models.User, error)
	SetMember(ctx context.Context, actor catalog.Actor, teamSlug string, userID uint, role string) error
	ListTeams(ctx context.Context) ([]models.TeamSummary, error)
}

// identified is who the request comes from: a subject for the policy and
// a name for pages and the audit log.
type identified struct {
	policy.Subject
	Display  string
	session  *models.Session
	rawToken string
}

// identify works out who sends the request, from a bearer token or the
// session cookie. A bad bearer token is refused outright rather than
// treated as anonymous, so a script learns its token is wrong.
func (s *Server) identify(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		ctx := c.Request().Context()
		id := &identified{}
		if auth := c.Request().Header.Get(echo.HeaderAuthorization); auth != "" {
			secret, ok := strings.CutPrefix(auth, "Bearer ")
			if !ok {
				return unauthorized("Send the token as 'Authorization: Bearer <token>'.")
			}
			tok, err := s.ids.TokenBySecret(ctx, strings.TrimSpace(secret))
			if err != nil {
				if errors.Is(err, catalog.ErrNotFound) {
					return unauthorized("The token is unknown, revoked or expired.")
				}
				return err
			}
			u, err := s.ids.GetUser(ctx, tok.UserID)
			if err != nil {
				return err
			}
			if err := s.fillSubject(ctx, id, u); err != nil {
				return err
			}
			id.Token = &policy.Token{Name: tok.Name + " (" + tok.Prefix + ")", Scope: policy.Scope(tok.Scope), TeamSlug: tok.TeamSlug}
		} else if ck, err := c.Cookie(sessionCookie); err == nil && ck.Value != "" {
			sess, u, err := s.ids.SessionUser(ctx, ck.Value, s.cfg.SessionIdle)
			switch {
			case err == nil:
				if err := s.fillSubject(ctx, id, u); err != nil {
					return err
				}
				id.session = sess
			case errors.Is(err, catalog.ErrNotFound):
				s.clearSessionCookie(c) // expired or signed out elsewhere
			default:
				return err
			}
		}
		c.Set(subjectKey, id)
		return next(c)
	}
}

func (s *Server) fillSubject(ctx context.Context, id *identified, u *models.User) error {
	roles, err := s.ids.TeamRoles(ctx, u.ID)
	if err != nil {
		return err
	}
	id.UserID, id.Name, id.Display = u.ID, u.Display(), u.Display()
	id.Admin, id.Governance = u.Admin, u.Governance
	id.Teams = make(map[string]policy.TeamRole, len(roles))
	for team, r := range roles {
		id.Teams[team] = policy.TeamRole(r)
	}
	return nil
}

// who returns the request's identity (anonymous when nobody signed in).
func who(c echo.Context) *identified {
	if id, ok := c.Get(subjectKey).(*identified); ok {
		return id
	}
	return &identified{}
}

// requireSignIn sends anonymous visitors of pages to the sign-in page and
// answers anonymous API calls with 401.
func (s *Server) requireSignIn(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if who(c).SignedIn() {
			return next(c)
		}
		if isAPI(c) {
			return unauthorized("Sign in, or send an API token as 'Authorization: Bearer <token>'.")
		}
		if c.Request().Method != http.MethodGet {
			return echo.NewHTTPError(http.StatusUnauthorized, "Your session has ended. Sign in again, then repeat what you were doing.")
		}
		return c.Redirect(http.StatusSeeOther, "/login?next="+url.QueryEscape(c.Request().URL.RequestURI()))
	}
}

// apiWritesNeedToken refuses cookie-authenticated changes through the JSON
// API: a browser session is an ambient credential a forged cross-site
// request would carry, while a bearer token is not.
func (s *Server) apiWritesNeedToken(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		switch c.Request().Method {
		case http.MethodGet, http.MethodHead, http.MethodOptions:
			return next(c)
		}
		if who(c).Token == nil {
			return unauthorized("Changes through the JSON API need an API token ('Authorization: Bearer <token>'); create one under Tokens.")
		}
		return next(c)
	}
}

func unauthorized(msg string) error {
	return echo.NewHTTPError(http.StatusUnauthorized, msg)
}
