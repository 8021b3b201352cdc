package handlers

import (
	"fmt"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
	"golang.org/x/time/rate"

	"github.com/steward-governance/steward/catalog"
	"github.com/steward-governance/steward/models"
	"github.com/steward-governance/steward/policy"
)

// actor is who makes the request, as the audit log records it: the person,
// the token if one was used, the request id and the client address.
func actor(c echo.Context) catalog.Actor {
	id := who(c)
	a := catalog.Actor{
		Name:      id.Display,
		RequestID: c.Response().Header().Get(echo.HeaderXRequestID),
		ClientIP:  c.RealIP(),
	}
	if id.Token != nil {
		a.Token = id.Token.Name
	}
	return a
}

// authorize asks the one policy whether the request may act on obj; every
// mutating handler calls it before touching anything.
func authorize(c echo.Context, act policy.Action, obj policy.Object) error {
	d := policy.Authorize(who(c).Subject, act, obj)
	if !d.Allowed {
		return fmt.Errorf("%s: %s: %w", act, d.Reason, &forbidden{reason: d.Reason})
	}
	return nil
}

// can answers the same question for views, to hide what would be refused.
func can(c echo.Context, act policy.Action, obj policy.Object) bool {
	return policy.Authorize(who(c).Subject, act, obj).Allowed
}

// forbidden carries the policy's reason to the error page.
type forbidden struct{ reason string }

func (f *forbidden) Error() string { return "You may not do this: " + f.reason + "." }

func (f *forbidden) Unwrap() error { return catalog.ErrForbidden }

// rateLimit allows each client address perSecond requests with bursts of
// burst, answering 429 with Retry-After beyond that.
func (s *Server) rateLimit(perSecond float64, burst int) echo.MiddlewareFunc {
	store := middleware.NewRateLimiterMemoryStoreWithConfig(middleware.RateLimiterMemoryStoreConfig{
		Rate: rate.Limit(perSecond), Burst: burst, ExpiresIn: 3 * time.Minute,
	})
	return middleware.RateLimiterWithConfig(middleware.RateLimiterConfig{
		Store:               store,
		IdentifierExtractor: func(c echo.Context) (string, error) { return c.RealIP(), nil },
		DenyHandler: func(c echo.Context, _ string, _ error) error {
			c.Response().Header().Set("Retry-After", "1")
			return echo.NewHTTPError(http.StatusTooManyRequests, "Too many requests from your address; wait a moment and try again.")
		},
		ErrorHandler: func(c echo.Context, err error) error {
			return echo.NewHTTPError(http.StatusForbidden, "Your client address could not be read.")
		},
	})
}

// versionObject is a version as the policy sees it: owned by its API's team.
func versionObject(v *models.VersionDetail) policy.Object {
	return policy.Object{Type: "version", Key: v.API.Slug + "/" + v.Name, TeamSlug: v.TeamSlug}
}
