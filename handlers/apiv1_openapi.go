package handlers

import (
	_ "embed"
	"net/http"

	"github.com/labstack/echo/v4"
)

// openAPIDocument describes /api/v1 in OpenAPI 3.1. It is data rather than
// code so a reader sees the contract whole; the tests keep it honest by
// comparing its operations with the registered routes and validating real
// responses against its schemas.
//
//go:embed openapi/v1.json
var openAPIDocument []byte

func (s *Server) apiOpenAPI(c echo.Context) error {
	return c.Blob(http.StatusOK, echo.MIMEApplicationJSON, openAPIDocument)
}
