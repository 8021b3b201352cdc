package handlers

import (
	"fmt"

	"github.com/labstack/echo/v4"

	"github.com/steward-governance/steward/catalog"
	"github.com/steward-governance/steward/policy"
)

// actor is who makes the request, as recorded in the audit log. Until
// sign-in exists every request is anonymous, but the request id and client
// address already tie each change to its request.
func actor(c echo.Context) catalog.Actor {
	return catalog.Actor{
		Name:      "anonymous",
		RequestID: c.Response().Header().Get(echo.HeaderXRequestID),
		ClientIP:  c.RealIP(),
	}
}

// authorize asks the one policy whether the request may act on obj; every
// mutating handler calls it before touching anything.
func authorize(c echo.Context, act policy.Action, obj policy.Object) error {
	d := policy.Authorize(policy.Subject{Name: actor(c).Name}, act, obj)
	if !d.Allowed {
		return fmt.Errorf("%s: %s: %w", act, d.Reason, catalog.ErrForbidden)
	}
	return nil
}
