package handlers

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/steward-governance/steward/breaking"
	"github.com/steward-governance/steward/catalog"
	"github.com/steward-governance/steward/models"
	"github.com/steward-governance/steward/specs"
	"github.com/steward-governance/steward/web"
)

// statusOf maps an error to the status a client gets: sentinels from the
// domain through one table, Echo's own errors by their code, the rest 500.
func statusOf(err error) int {
	var he *echo.HTTPError
	var pe *specs.ParseError
	switch {
	case errors.As(err, &he):
		return he.Code
	case errors.As(err, &pe):
		if pe.Kind == specs.ErrTooLarge {
			return http.StatusRequestEntityTooLarge
		}
		return http.StatusUnprocessableEntity
	case errors.Is(err, catalog.ErrNotFound):
		return http.StatusNotFound
	case errors.Is(err, catalog.ErrConflict):
		return http.StatusConflict
	case errors.Is(err, catalog.ErrForbidden):
		return http.StatusForbidden
	case errors.Is(err, catalog.ErrInvalid):
		return http.StatusUnprocessableEntity
	case errors.Is(err, context.DeadlineExceeded):
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}

// publicMessage is what a client may read about err: a sentence written
// for people for 4xx errors, never the internals of a 5xx.
func publicMessage(err error, status int) string {
	var he *echo.HTTPError
	var pe *specs.ParseError
	var ve *catalog.ValidationError
	var ce *models.ConflictError
	var fe *forbidden
	var br *breakingRefusal
	switch {
	case status == http.StatusServiceUnavailable && errors.Is(err, context.DeadlineExceeded):
		return "The request took too long and was stopped. Try again, or narrow it down."
	case status >= 500:
		return "Something went wrong on our side. The error has been logged; quote the request id if you report it."
	case errors.As(err, &he):
		if m, ok := he.Message.(string); ok {
			return m
		}
		return http.StatusText(status)
	case errors.As(err, &pe):
		return strings.TrimPrefix(pe.Error(), "specs: ")
	case errors.As(err, &ve):
		return ve.Error()
	case errors.As(err, &ce):
		return ce.Message
	case errors.As(err, &fe):
		return fe.Error()
	case errors.As(err, &br):
		return br.Error()
	case status == http.StatusNotFound:
		return "There is nothing here. It may have been renamed or deleted."
	case status == http.StatusConflict:
		return "That conflicts with what is already in the catalogue."
	case status == http.StatusForbidden:
		return "You may not do that."
	}
	return http.StatusText(status)
}

// apiError is the JSON body of every error from /api/.
type apiError struct {
	Error apiErrorBody `json:"error"`
}

type apiErrorBody struct {
	Status   int               `json:"status"`
	Message  string            `json:"message"`
	Fields   map[string]string `json:"fields,omitempty"`
	Problems []specs.Problem   `json:"problems,omitempty"`
	// Changes are the breaking changes of a spec the policy refused.
	Changes   []breaking.Change `json:"changes,omitempty"`
	RequestID string            `json:"request_id,omitempty"`
}

// handleError is the one place errors become responses.
func (s *Server) handleError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	status := statusOf(err)
	reqID := c.Response().Header().Get(echo.HeaderXRequestID)
	ctx := c.Request().Context()
	if status >= 500 {
		s.log.ErrorContext(ctx, "request failed", "request_id", reqID, "path", c.Request().URL.Path, "error", err)
	} else {
		s.log.WarnContext(ctx, "request rejected", "request_id", reqID, "path", c.Request().URL.Path, "status", status, "error", err)
	}
	msg := publicMessage(err, status)
	var ra *retryAfter
	if errors.As(err, &ra) {
		c.Response().Header().Set("Retry-After", ra.seconds)
	}
	if c.Request().Method == http.MethodHead {
		_ = c.NoContent(status)
		return
	}
	if isAPI(c) {
		body := apiErrorBody{Status: status, Message: msg, RequestID: reqID}
		var ve *catalog.ValidationError
		if errors.As(err, &ve) {
			body.Message = "some fields are invalid"
			body.Fields = ve.Fields
		}
		var pe *specs.ParseError
		if errors.As(err, &pe) {
			body.Problems = pe.Problems
		}
		var br *breakingRefusal
		if errors.As(err, &br) {
			body.Changes = br.breakingChanges()
		}
		_ = c.JSON(status, apiError{Error: body})
		return
	}
	// The request's context may already be cancelled (ContextTimeout ends
	// it when the handler returns); the error page must render regardless.
	c.SetRequest(c.Request().WithContext(context.WithoutCancel(ctx)))
	page := web.ErrorPage{Status: status, Title: http.StatusText(status), Message: msg, RequestID: reqID}
	if rerr := s.render(c, status, web.Error(s.layout(c, page.Title), page)); rerr != nil {
		s.log.ErrorContext(ctx, "rendering the error page failed", "error", rerr)
		_ = c.String(status, msg)
	}
}
