package handlers

import (
	"errors"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/steward-governance/steward/catalog"
	"github.com/steward-governance/steward/lifecycle"
	"github.com/steward-governance/steward/models"
	"github.com/steward-governance/steward/policy"
)

func (s *Server) apiListVersions(c echo.Context) error {
	slug := c.Param("api")
	a, err := s.store.GetAPI(c.Request().Context(), slug)
	if err != nil {
		return notFound(err, "there is no API %q", slug)
	}
	return c.JSON(http.StatusOK, listJSON[versionSummaryJSON]{Items: versionSummaries(a)})
}

func (s *Server) apiGetVersion(c echo.Context) error {
	v, err := s.version(c)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, versionDetailJSONOf(v))
}

func (s *Server) apiCreateVersion(c echo.Context) error {
	ctx := c.Request().Context()
	slug := c.Param("api")
	a, err := s.store.GetAPI(ctx, slug)
	if err != nil {
		return notFound(err, "there is no API %q", slug)
	}
	var r versionRequest
	if err := bindJSON(c, &r); err != nil {
		return err
	}
	in := r.input()
	in.Normalize()
	if err := authorize(c, policy.VersionCreate, policy.Object{Type: "api", Key: a.Slug, TeamSlug: a.Team.Slug}); err != nil {
		return err
	}
	if err := in.Validate(); err != nil {
		return err
	}
	if _, err := s.store.CreateVersion(ctx, actor(c), a.Slug, in); err != nil {
		return err
	}
	v, err := s.store.GetVersion(ctx, a.Slug, in.Name)
	if err != nil {
		return err
	}
	return created(c, versionPath(a.Slug, v.Name), versionDetailJSONOf(v))
}

// apiUpdateVersion renames a version and moves it to another stage; a body
// without a name keeps the current one, and one without a stage keeps the
// stage. A stage change is a lifecycle transition: the person's right to
// make it and the standard's gates are checked as on the version page, and
// a blocked move answers 422 with the failures.
func (s *Server) apiUpdateVersion(c echo.Context) error {
	ctx := c.Request().Context()
	cur, err := s.version(c)
	if err != nil {
		return err
	}
	var r versionUpdateRequest
	if err := bindJSON(c, &r); err != nil {
		return err
	}
	in := catalog.VersionInput{Name: r.Name, Stage: catalog.Stage(cur.Stage)}
	if in.Name == "" {
		in.Name = cur.Name
	}
	in.Normalize()
	move, moveErr := r.transition()
	moving := r.Stage != "" && move.To != catalog.Stage(cur.Stage)
	// Renaming is the team's; a move is for whoever the lifecycle lets
	// make it, such as a governance lead outside the team.
	if in.Name != cur.Name || !moving {
		if err := authorize(c, policy.VersionUpdate, versionObject(cur)); err != nil {
			return err
		}
	}
	if moving {
		if err := authorizeTransition(c, cur, move.To, move.OverrideReason != ""); err != nil {
			return err
		}
	}
	if err := in.Validate(); err != nil {
		return err
	}
	if moveErr != nil {
		return moveErr
	}
	if !moving && (r.Reason != "" || r.DeprecationDate != "" || r.SunsetDate != "" || r.MigrationNotes != "" || r.Replacement != "" || r.OverrideReason != "") {
		return catalog.FieldError("stage", "reason, dates, migration notes, replacement and override go with a stage change, and the version stays in "+cur.Stage)
	}
	if moving {
		if in.Name != cur.Name {
			// Checked before the move, so a taken name does not leave the
			// version moved but not renamed.
			if _, err := s.store.GetVersion(ctx, cur.API.Slug, in.Name); err == nil {
				return catalog.FieldError("name", "this API already has a version \""+in.Name+"\"")
			}
		}
		if _, err := s.transition(c, cur, move); err != nil {
			var blocked *lifecycle.Blocked
			if errors.As(err, &blocked) {
				return s.blockedJSON(c, blocked)
			}
			return err
		}
	}
	if in.Name != cur.Name {
		in.Stage = "" // kept as it is now, moved or not
		if _, err := s.store.UpdateVersion(ctx, actor(c), cur.API.Slug, cur.Name, in); err != nil {
			return err
		}
	}
	v, err := s.store.GetVersion(ctx, cur.API.Slug, in.Name)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, versionDetailJSONOf(v))
}

func (s *Server) apiDeleteVersion(c echo.Context) error {
	v, err := s.version(c)
	if err != nil {
		return err
	}
	if err := authorize(c, policy.VersionDelete, versionObject(v)); err != nil {
		return err
	}
	if err := s.store.DeleteVersion(c.Request().Context(), actor(c), v.API.Slug, v.Name); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// version loads the version named by the URL. A 404 says whether the API
// or only the version is missing; finding out costs a query only then.
func (s *Server) version(c echo.Context) (*models.VersionDetail, error) {
	ctx := c.Request().Context()
	api, name := c.Param("api"), c.Param("version")
	v, err := s.store.GetVersion(ctx, api, name)
	if err == nil {
		return v, nil
	}
	if !errors.Is(err, catalog.ErrNotFound) {
		return nil, err
	}
	if _, aerr := s.store.GetAPI(ctx, api); errors.Is(aerr, catalog.ErrNotFound) {
		return nil, notFound(err, "there is no API %q", api)
	}
	return nil, notFound(err, "API %q has no version %q", api, name)
}

func versionPath(api, version string) string {
	return "/api/v1/apis/" + api + "/versions/" + version
}

// apiVersionTimeline lists a version's stage changes, newest first.
func (s *Server) apiVersionTimeline(c echo.Context) error {
	v, err := s.version(c)
	if err != nil {
		return err
	}
	rows, err := s.store.VersionTimeline(c.Request().Context(), v.ID, 0)
	if err != nil {
		return err
	}
	out := listJSON[transitionJSON]{Items: make([]transitionJSON, len(rows))}
	for i, r := range rows {
		out.Items[i] = transitionJSON{ToStage: r.ToStage, Actor: r.Actor, Reason: r.Reason, Override: r.Override, OverrideReason: r.OverrideReason, At: r.At}
		if r.FromStage != "" {
			from := r.FromStage
			out.Items[i].FromStage = &from
		}
	}
	return c.JSON(http.StatusOK, out)
}

// blockedJSON answers a move the lifecycle gates refused: 422, with each
// failure's gate, field and message.
func (s *Server) blockedJSON(c echo.Context, b *lifecycle.Blocked) error {
	reqID := c.Response().Header().Get(echo.HeaderXRequestID)
	s.log.WarnContext(c.Request().Context(), "request rejected", "request_id", reqID, "path", c.Request().URL.Path, "status", http.StatusUnprocessableEntity, "error", b)
	body := blockedErrorJSON{Status: http.StatusUnprocessableEntity, RequestID: reqID, Failures: b.Failures,
		Message: "the move from " + string(b.From) + " to " + string(b.To) + " is blocked by the lifecycle gates; see failures"}
	return c.JSON(http.StatusUnprocessableEntity, map[string]blockedErrorJSON{"error": body})
}

// versionUpdateRequest is the body of PUT on a version: its name, and the
// stage with what a move there needs.
type versionUpdateRequest struct {
	Name            string `json:"name"`
	Stage           string `json:"stage"`
	Reason          string `json:"reason"`
	DeprecationDate string `json:"deprecation_date"`
	SunsetDate      string `json:"sunset_date"`
	MigrationNotes  string `json:"migration_notes"`
	Replacement     string `json:"replacement"`
	OverrideReason  string `json:"override_reason"`
}

// transition copies the stage fields into a transition request; a stage
// or a date that does not parse is a field error.
func (r versionUpdateRequest) transition() (models.TransitionInput, error) {
	in := models.TransitionInput{To: catalog.Stage(r.Stage), Reason: r.Reason, MigrationNotes: r.MigrationNotes, Replacement: r.Replacement, OverrideReason: r.OverrideReason}
	v := &catalog.ValidationError{}
	if r.Stage != "" {
		if st, ok := catalog.ParseStage(r.Stage); ok {
			in.To = st
		} else {
			v.Add("stage", "must be one of design, development, testing, preview, production, deprecated, retired")
		}
	}
	in.DeprecationDate = optionalDate(v, "deprecation_date", r.DeprecationDate)
	in.SunsetDate = optionalDate(v, "sunset_date", r.SunsetDate)
	return in, v.OrNil()
}

// versionDetailJSON is a version with its deprecation.
type versionDetailJSON struct {
	versionJSON
	Lifecycle versionLifecycleJSON `json:"lifecycle"`
}

// versionLifecycleJSON is what a deprecation promises; dates are days
// (YYYY-MM-DD), null when not set.
type versionLifecycleJSON struct {
	DeprecationDate *string `json:"deprecation_date"`
	SunsetDate      *string `json:"sunset_date"`
	MigrationNotes  string  `json:"migration_notes"`
	Replacement     string  `json:"replacement"`
}

func versionDetailJSONOf(v *models.VersionDetail) versionDetailJSON {
	day := func(t *time.Time) *string {
		if t == nil {
			return nil
		}
		d := t.UTC().Format(time.DateOnly)
		return &d
	}
	l := v.Lifecycle
	return versionDetailJSON{versionJSON: versionJSONOf(v), Lifecycle: versionLifecycleJSON{
		DeprecationDate: day(l.DeprecationDate), SunsetDate: day(l.SunsetDate), MigrationNotes: l.MigrationNotes, Replacement: l.Replacement,
	}}
}

// transitionJSON is one stage change; from_stage is null for the stage a
// version was created at.
type transitionJSON struct {
	FromStage      *string   `json:"from_stage"`
	ToStage        string    `json:"to_stage"`
	Actor          string    `json:"actor"`
	Reason         string    `json:"reason"`
	Override       bool      `json:"override"`
	OverrideReason string    `json:"override_reason"`
	At             time.Time `json:"at"`
}

// blockedErrorJSON is the error body of a blocked move.
type blockedErrorJSON struct {
	Status    int                 `json:"status"`
	Message   string              `json:"message"`
	Failures  []lifecycle.Failure `json:"failures"`
	RequestID string              `json:"request_id,omitempty"`
}
