package handlers

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"net/http"
	"strconv"
	"strings"

	"github.com/a-h/templ"
	"github.com/labstack/echo/v4"

	"github.com/steward-governance/steward/web"
)

// render writes a page through a buffer, so a template that fails half-way
// becomes a clean error response, never half a page.
func (s *Server) render(c echo.Context, status int, comp templ.Component) error {
	buf := templ.GetBuffer()
	defer templ.ReleaseBuffer(buf)
	if err := comp.Render(c.Request().Context(), buf); err != nil {
		return fmt.Errorf("handlers: render: %w", err)
	}
	return c.HTMLBlob(status, buf.Bytes())
}

// layout builds the page shell every page shares.
func (s *Server) layout(c echo.Context, title string) web.Shell {
	token, _ := c.Get(csrfContextKey).(string)
	id := who(c)
	return web.Shell{
		Title:     title,
		Path:      c.Request().URL.Path,
		Demo:      s.demo,
		CSRFToken: token,
		CSSURL:    s.assets.url("app.css"),
		JSURL:     s.assets.url("app.js"),
		User:      id.Display,
		Admin:     id.Admin,
		DevSignIn: s.oidc == nil,

		InboxCount: s.inboxCount(c), // inbox.go
	}
}

// assets serves the embedded static files under content-hashed URLs, so
// browsers may cache them for a year and still see every new release.
type assets struct {
	fsys   fs.FS
	hashes map[string]string
}

func newAssets(fsys fs.FS) (*assets, error) {
	a := &assets{fsys: fsys, hashes: map[string]string{}}
	err := fs.WalkDir(fsys, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(fsys, path)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		a.hashes[path] = hex.EncodeToString(sum[:])[:12]
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("handlers: read static assets: %w", err)
	}
	return a, nil
}

func (a *assets) url(name string) string {
	return "/static/" + name + "?v=" + a.hashes[name]
}

func (a *assets) serve(c echo.Context) error {
	name := strings.TrimPrefix(c.Param("*"), "/")
	if _, ok := a.hashes[name]; !ok {
		return echo.NewHTTPError(http.StatusNotFound, "no such file")
	}
	if c.QueryParam("v") == a.hashes[name] {
		c.Response().Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		c.Response().Header().Set("Cache-Control", "no-cache")
	}
	http.ServeFileFS(c.Response(), c.Request(), a.fsys, name)
	return nil
}

func itoa(n int) string { return strconv.Itoa(n) }
