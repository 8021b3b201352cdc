package handlers

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/steward-governance/steward/catalog"
	"github.com/steward-governance/steward/identity"
	"github.com/steward-governance/steward/models"
	"github.com/steward-governance/steward/policy"
	"github.com/steward-governance/steward/sealing"
	"github.com/steward-governance/steward/traffic"
	"github.com/steward-governance/steward/traffic/ingest"
	"github.com/steward-governance/steward/web"
)

// Sources is what the sources pages and the ingest endpoints need.
type Sources interface {
	Sources(ctx context.Context) ([]models.Source, error)
	SourceByID(ctx context.Context, id int64) (*models.Source, error)
	SourceByIngestKey(ctx context.Context, key string) (*models.Source, error)
	CreateSource(ctx context.Context, actor catalog.Actor, in models.NewSource) (*models.Source, error)
	DeleteSource(ctx context.Context, actor catalog.Actor, id int64) error
	SetSourceEnabled(ctx context.Context, actor catalog.Actor, id int64, enabled bool) error
}

// Sealer seals credentials at rest; *sealing.Box implements it.
type Sealer interface {
	Ready() bool
	Seal(plaintext, context string) (string, error)
}

// sourceForm is the add-source form as posted.
type sourceForm struct {
	Name      string `form:"name"`
	Kind      string `form:"kind"`
	API       string `form:"api"`
	URL       string `form:"url"`
	Workspace string `form:"workspace"`
	Token     string `form:"token"`
	Path      string `form:"path"`
}

// IngestKeyPrefix starts every ingest key, so secret scanners and people
// can tell one from an API token.
const IngestKeyPrefix = "stwi_"

func (s *Server) showSourcesPage(c echo.Context) error {
	if err := authorize(c, policy.SourcesManage, policy.Object{Type: "source"}); err != nil {
		return err
	}
	return s.renderSources(c, http.StatusOK, sourceForm{Kind: string(traffic.KindTreblle)}, nil, nil)
}

func (s *Server) renderSources(c echo.Context, status int, f sourceForm, errs web.FieldErrors, created *web.CreatedSource) error {
	ctx := c.Request().Context()
	rows, err := s.store.Sources(ctx)
	if err != nil {
		return err
	}
	p := web.SourcesPage{
		Values: web.SourceFormValues{Name: f.Name, Kind: f.Kind, API: f.API, URL: f.URL, Workspace: f.Workspace, Path: f.Path},
		Errors: errs, Created: created, CanSeal: s.sealer != nil && s.sealer.Ready(),
		IngestBase: s.publicBase(c), NginxFormat: ingest.NginxLogFormat, EnvoyFormat: ingest.EnvoyLogFormat,
	}
	for _, src := range rows {
		row := web.SourceRow{
			ID: src.ID, Name: src.Name, Kind: string(src.Kind), KindTitle: src.Kind.Title(), API: src.APIName,
			Settings: src.ParsedSettings().Summary(src.Kind), Push: src.Kind.Push(), KeyHint: src.KeyHint,
			Enabled: src.Enabled, Demo: src.Demo, LastError: src.LastError, Failures: src.Failures, RetryAt: src.RetryAt,
			CoveredFrom: src.CoveredFrom, CoveredTo: src.CoveredTo, LastEventAt: src.LastEventAt, EventsTotal: src.EventsTotal,
		}
		if src.APISlug != "" {
			row.APIURL = "/apis/" + src.APISlug
		}
		p.Sources = append(p.Sources, row)
	}
	for _, k := range traffic.SourceKinds {
		p.Kinds = append(p.Kinds, web.Option{Value: string(k), Label: k.Title()})
	}
	return s.render(c, status, web.Sources(s.layout(c, "Traffic sources"), p))
}

// publicBase is the address clients reach Steward at, for set-up steps.
func (s *Server) publicBase(c echo.Context) string {
	if s.cfg.BaseURL != "" {
		return s.cfg.BaseURL
	}
	return c.Scheme() + "://" + c.Request().Host
}

func (s *Server) createSource(c echo.Context) error {
	if err := authorize(c, policy.SourcesManage, policy.Object{Type: "source"}); err != nil {
		return err
	}
	var f sourceForm
	if err := bindForm(c, &f); err != nil {
		return err
	}
	in, errs, err := s.newSource(&f)
	if err != nil {
		return err
	}
	if len(errs) > 0 {
		return s.renderSources(c, http.StatusUnprocessableEntity, f, errs, nil)
	}
	src, err := s.store.CreateSource(c.Request().Context(), actor(c), in)
	if field, msg, status := refusedSource(err); status != 0 {
		return s.renderSources(c, status, f, web.FieldErrors{field: msg}, nil)
	} else if err != nil {
		return err
	}
	kind := src.Kind
	if !kind.Push() {
		return c.Redirect(http.StatusSeeOther, "/admin/sources")
	}
	// Rendered, not redirected: the key must not travel in a URL.
	c.Response().Header().Set("Cache-Control", "no-store")
	return s.renderSources(c, http.StatusCreated, sourceForm{Kind: string(traffic.KindTreblle)}, nil,
		&web.CreatedSource{Name: src.Name, Kind: string(src.Kind), Key: in.IngestKey})
}

// newSource checks an add-source request, from the sources page or the
// JSON API, and builds what the store keeps: for push kinds a fresh ingest
// key, shown once. It trims the fields in f; errs holds one message per
// field, the same in both places.
func (s *Server) newSource(f *sourceForm) (in models.NewSource, errs web.FieldErrors, err error) {
	f.Name, f.URL, f.Workspace, f.Path = strings.TrimSpace(f.Name), strings.TrimSpace(f.URL), strings.TrimSpace(f.Workspace), strings.TrimSpace(f.Path)
	kind := traffic.SourceKind(f.Kind)
	settings := traffic.SourceSettings{URL: f.URL, Workspace: f.Workspace, Path: f.Path}
	errs = web.FieldErrors{}
	if f.Name == "" || len(f.Name) > 120 {
		errs["name"] = "Give the source a name of at most 120 characters."
	}
	if !kind.Valid() {
		errs["kind"] = "Choose one of the kinds listed."
	} else {
		for field, msg := range settings.Validate(kind) {
			errs[field] = msg
		}
	}
	if f.Token != "" && kind != traffic.KindKong {
		errs["token"] = "Only Kong sources take an admin token."
	} else if f.Token != "" && (s.sealer == nil || !s.sealer.Ready()) {
		errs["token"] = sealing.ErrNoKey.Error()
	}
	if len(errs) > 0 {
		return in, errs, nil
	}
	in = models.NewSource{Name: f.Name, Kind: kind, Settings: settings}
	if kind.Push() {
		in.APISlug = strings.TrimSpace(f.API)
		key, err := identity.RandomString(32)
		if err != nil {
			return in, nil, err
		}
		in.IngestKey = IngestKeyPrefix + key
		in.KeyHint = key[len(key)-4:]
	}
	if f.Token != "" {
		token := f.Token
		in.Seal = func(id int64) (string, error) { return s.sealer.Seal(token, models.TokenContext(id)) }
	}
	return in, nil, nil
}

// refusedSource says which field the store refused a new source for, and
// with what status; status 0 means it did not refuse it for a field.
func refusedSource(err error) (field, msg string, status int) {
	switch {
	case errors.Is(err, catalog.ErrConflict):
		return "name", "A source with this name exists; choose another.", http.StatusConflict
	case errors.Is(err, catalog.ErrInvalid):
		return "api", "No API has this slug; copy it from the API's address, /apis/<slug>.", http.StatusUnprocessableEntity
	}
	return "", "", 0
}

func sourceID(c echo.Context) (int64, error) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil {
		return 0, echo.NewHTTPError(http.StatusNotFound, "No such source.")
	}
	return id, nil
}

func (s *Server) setSourceEnabled(c echo.Context) error {
	if err := authorize(c, policy.SourcesManage, policy.Object{Type: "source"}); err != nil {
		return err
	}
	id, err := sourceID(c)
	if err != nil {
		return err
	}
	enabled, err := strconv.ParseBool(c.FormValue("enabled"))
	if err != nil {
		return echo.NewHTTPError(http.StatusBadRequest, "enabled must be true or false.")
	}
	if err := s.store.SetSourceEnabled(c.Request().Context(), actor(c), id, enabled); err != nil {
		return err
	}
	s.ingestKeys.forget()
	return c.Redirect(http.StatusSeeOther, "/admin/sources")
}

func (s *Server) deleteSource(c echo.Context) error {
	if err := authorize(c, policy.SourcesManage, policy.Object{Type: "source"}); err != nil {
		return err
	}
	id, err := sourceID(c)
	if err != nil {
		return err
	}
	if err := s.store.DeleteSource(c.Request().Context(), actor(c), id); err != nil {
		return err
	}
	s.ingestKeys.forget()
	return c.Redirect(http.StatusSeeOther, "/admin/sources")
}
