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
	"github.com/steward-governance/steward/identity"
	"github.com/steward-governance/steward/models"
	"github.com/steward-governance/steward/web"
)

// OIDC is the sign-in provider as the handlers use it; *identity.Provider
// implements it.
type OIDC interface {
	Ready() error
	Issuer() string
	AuthCodeURL(a identity.Attempt) (string, error)
	Exchange(ctx context.Context, code string, a identity.Attempt) (*identity.Claims, error)
	EndSessionURL(idTokenHint, postLogout string) string
}

// loginAttemptTTL bounds how long a person may take at the provider.
const loginAttemptTTL = 10 * time.Minute

// safeNext keeps post-sign-in redirects on this site: a local absolute
// path, never another host ("//evil.example", "/\evil.example", "https:").
func safeNext(next string) string {
	if next == "" || !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") {
		return "/apis"
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || strings.ContainsAny(next, "\r\n\\") {
		return "/apis"
	}
	return next
}

func (s *Server) showLoginPage(c echo.Context) error {
	next := safeNext(c.QueryParam("next"))
	if who(c).SignedIn() {
		return c.Redirect(http.StatusSeeOther, next)
	}
	return s.renderLogin(c, http.StatusOK, next, "")
}

func (s *Server) renderLogin(c echo.Context, status int, next, problem string) error {
	p := web.LoginPage{Next: next, Error: problem, SignedOut: c.QueryParam("signed_out") != ""}
	if s.oidc != nil {
		p.Provider = s.oidc.Issuer()
		if err := s.oidc.Ready(); err != nil {
			p.ProviderDown = true
		}
	} else {
		p.Personas = devPersonaViews()
	}
	return s.render(c, status, web.Login(s.layout(c, "Sign in"), p))
}

// startOIDCLogin sends the browser to the provider with fresh state, nonce
// and PKCE challenge, remembered server-side.
func (s *Server) startOIDCLogin(c echo.Context) error {
	next := safeNext(c.QueryParam("next"))
	if s.oidc == nil {
		return echo.NewHTTPError(http.StatusNotFound, "Single sign-on is not configured here.")
	}
	a, err := identity.NewAttempt()
	if err != nil {
		return err
	}
	target, err := s.oidc.AuthCodeURL(a)
	if errors.Is(err, identity.ErrUnavailable) {
		return s.renderLogin(c, http.StatusServiceUnavailable, next, "The identity provider ("+s.oidc.Issuer()+") cannot be reached yet. Steward keeps trying; try again in a minute.")
	}
	if err != nil {
		return err
	}
	err = s.ids.SaveLoginAttempt(c.Request().Context(), a.State, models.LoginAttempt{
		Nonce: a.Nonce, Verifier: a.Verifier, NextPath: next, ExpiresAt: time.Now().Add(loginAttemptTTL),
	})
	if err != nil {
		return err
	}
	return c.Redirect(http.StatusFound, target)
}

// finishOIDCLogin is the redirect URI: it checks the state was issued here
// and is unused, exchanges the code, verifies the ID token and nonce, then
// starts a fresh session. Every failure shows a page and creates nothing.
func (s *Server) finishOIDCLogin(c echo.Context) error {
	ctx := c.Request().Context()
	fail := func(msg string) error {
		return s.renderLogin(c, http.StatusBadRequest, "/apis", msg)
	}
	if s.oidc == nil {
		return echo.NewHTTPError(http.StatusNotFound, "Single sign-on is not configured here.")
	}
	if e := c.QueryParam("error"); e != "" {
		return fail("The identity provider did not sign you in (" + e + "). Try again, or ask an admin.")
	}
	state, code := c.QueryParam("state"), c.QueryParam("code")
	if state == "" || code == "" {
		return fail("This sign-in link is incomplete. Start again from the sign-in page.")
	}
	att, err := s.ids.TakeLoginAttempt(ctx, state)
	if errors.Is(err, catalog.ErrNotFound) {
		return fail("This sign-in has expired or was already used. Start again from the sign-in page.")
	}
	if err != nil {
		return err
	}
	claims, err := s.oidc.Exchange(ctx, code, identity.Attempt{State: state, Nonce: att.Nonce, Verifier: att.Verifier})
	if err != nil {
		s.log.WarnContext(ctx, "sign-in rejected", "error", err)
		return fail("Steward could not verify your sign-in with the identity provider. Start again; if it keeps failing, an admin can find the reason in the log.")
	}
	u, err := s.ids.UpsertUser(ctx, models.Identity{
		Issuer: claims.Issuer, Subject: claims.Subject, Email: claims.Email, Name: claims.Name,
		Groups: claims.Groups, Admin: claims.Admin, Governance: claims.Governance,
	})
	if err != nil {
		return err
	}
	if err := s.startSession(c, u.ID, claims.RawIDToken); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, safeNext(att.NextPath))
}

// startSession rotates the session: whatever session the browser had is
// ended, and a new id is issued, so an id planted before sign-in is useless.
func (s *Server) startSession(c echo.Context, userID uint, idTokenHint string) error {
	ctx := c.Request().Context()
	if ck, err := c.Cookie(sessionCookie); err == nil && ck.Value != "" {
		if err := s.ids.DeleteSession(ctx, ck.Value); err != nil {
			return err
		}
	}
	raw, err := identity.RandomString(32)
	if err != nil {
		return err
	}
	expires := time.Now().Add(s.cfg.SessionMax)
	if err := s.ids.CreateSession(ctx, raw, userID, expires, idTokenHint, c.RealIP(), c.Request().UserAgent()); err != nil {
		return err
	}
	c.SetCookie(&http.Cookie{
		Name: sessionCookie, Value: raw, Path: "/", Expires: expires, HttpOnly: true,
		SameSite: http.SameSiteLaxMode, Secure: s.secureCookies(c),
	})
	return nil
}

// secureCookies is true when the browser reached us over HTTPS, directly,
// through a proxy that says so, or by the configured public URL.
func (s *Server) secureCookies(c echo.Context) bool {
	return c.IsTLS() || c.Scheme() == "https" || strings.HasPrefix(s.cfg.BaseURL, "https://")
}

func (s *Server) clearSessionCookie(c echo.Context) {
	c.SetCookie(&http.Cookie{Name: sessionCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: s.secureCookies(c)})
}

// logout ends the session here and, where the provider supports it, there.
func (s *Server) logout(c echo.Context) error {
	id := who(c)
	target := "/login?signed_out=1"
	if ck, err := c.Cookie(sessionCookie); err == nil && ck.Value != "" {
		if err := s.ids.DeleteSession(c.Request().Context(), ck.Value); err != nil {
			return err
		}
	}
	s.clearSessionCookie(c)
	if s.oidc != nil && id.session != nil && s.cfg.BaseURL != "" {
		if end := s.oidc.EndSessionURL(id.session.IDTokenHint, s.cfg.BaseURL+"/login?signed_out=1"); end != "" {
			target = end
		}
	}
	return c.Redirect(http.StatusSeeOther, target)
}
