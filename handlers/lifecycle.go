package handlers

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/steward-governance/steward/catalog"
	"github.com/steward-governance/steward/lifecycle"
	"github.com/steward-governance/steward/models"
	"github.com/steward-governance/steward/policy"
	"github.com/steward-governance/steward/rules"
	"github.com/steward-governance/steward/web"
)

// Lifecycle is what the lifecycle pages and the JSON API need: moving a
// version between stages and reading the timeline.
type Lifecycle interface {
	TransitionVersion(ctx context.Context, actor catalog.Actor, apiSlug, version string, in models.TransitionInput, gates lifecycle.Gates) (*models.VersionTransition, error)
	VersionTimeline(ctx context.Context, versionID uint, limit int) ([]models.VersionTransition, error)
	APITimeline(ctx context.Context, apiID uint, limit int) ([]models.VersionTransition, error)
}

// timelineLength is how many stage changes a page shows.
const timelineLength = 50

// stageForm is the Change stage form as posted.
type stageForm struct {
	To              string `form:"to"`
	Reason          string `form:"reason"`
	DeprecationDate string `form:"deprecation_date"`
	SunsetDate      string `form:"sunset_date"`
	MigrationNotes  string `form:"migration_notes"`
	Replacement     string `form:"replacement"`
	OverrideReason  string `form:"override_reason"`
}

// input copies the form into a transition request; dates that do not
// parse come back as field errors.
func (f stageForm) input() (models.TransitionInput, error) {
	in := models.TransitionInput{To: catalog.Stage(f.To), Reason: f.Reason, MigrationNotes: f.MigrationNotes, Replacement: f.Replacement, OverrideReason: f.OverrideReason}
	v := &catalog.ValidationError{}
	in.DeprecationDate = optionalDate(v, "deprecation_date", f.DeprecationDate)
	in.SunsetDate = optionalDate(v, "sunset_date", f.SunsetDate)
	return in, v.OrNil()
}

// optionalDate reads a YYYY-MM-DD field that may be left empty, adding a
// field error to v when it does not parse.
func optionalDate(v *catalog.ValidationError, field, raw string) *time.Time {
	if raw == "" {
		return nil
	}
	d, err := lifecycle.ParseDate(raw)
	if err != nil {
		v.Add(field, err.Error())
		return nil
	}
	return &d
}

func (f stageForm) values() web.StageFormValues {
	return web.StageFormValues{To: f.To, Reason: f.Reason, DeprecationDate: f.DeprecationDate, SunsetDate: f.SunsetDate,
		MigrationNotes: f.MigrationNotes, Replacement: f.Replacement, OverrideReason: f.OverrideReason}
}

// changeStage moves a version to another stage from the version page: a
// move the gates block shows the page again with what failed.
func (s *Server) changeStage(c echo.Context) error {
	ctx := c.Request().Context()
	v, err := s.store.GetVersion(ctx, c.Param("api"), c.Param("version"))
	if err != nil {
		return err
	}
	var f stageForm
	if err := bindForm(c, &f); err != nil {
		return err
	}
	in, err := f.input()
	if aerr := authorizeTransition(c, v, in.To, in.OverrideReason != ""); aerr != nil {
		return aerr
	}
	if err == nil {
		_, err = s.transition(c, v, in)
	}
	if err != nil {
		var blocked *lifecycle.Blocked
		errs, ferr := fieldErrors(err)
		if ferr != nil && !errors.As(err, &blocked) {
			return err
		}
		return s.renderVersion(c, http.StatusUnprocessableEntity, v.API.Slug, v.Name, func(p *web.VersionPage) {
			if p.Lifecycle.Form == nil {
				p.Lifecycle.Form = &web.StageForm{}
			}
			p.Lifecycle.Form.Values, p.Lifecycle.Form.Errors = f.values(), errs
			if blocked != nil {
				p.Lifecycle.Form.Errors = web.FieldErrors{}
				for _, fl := range blocked.Failures {
					p.Lifecycle.Form.Failures = append(p.Lifecycle.Form.Failures, fl.Message)
					if fl.Field != "" {
						p.Lifecycle.Form.Errors[fl.Field] = fl.Message
					}
				}
			}
		})
	}
	return c.Redirect(http.StatusSeeOther, "/apis/"+v.API.Slug+"/versions/"+v.Name+"?done=stage")
}

// transition makes the move for the signed-in person, who has been
// authorised (authorizeTransition), under the current standard's gates.
func (s *Server) transition(c echo.Context, v *models.VersionDetail, in models.TransitionInput) (*models.VersionTransition, error) {
	in.From = catalog.Stage(v.Stage)
	in.OverrideAllowed = can(c, policy.LifecycleOverride, versionObject(v))
	return s.store.TransitionVersion(c.Request().Context(), actor(c), v.API.Slug, v.Name, in, s.lifecycleGates(c.Request().Context()))
}

// authorizeTransition checks that the signed-in person may move v to the
// stage: the move's own action, and the override when one is asked for on
// the way to retirement. A move the lifecycle does not have is for anyone
// who may make some move to hear about (422), for others a 403.
func authorizeTransition(c echo.Context, v *models.VersionDetail, to catalog.Stage, override bool) error {
	obj := versionObject(v)
	if st, ok := catalog.ParseStage(string(to)); ok {
		to = st
	}
	t, ok := lifecycle.Find(catalog.Stage(v.Stage), to)
	switch {
	case ok:
		if err := authorize(c, t.Action, obj); err != nil {
			return err
		}
	case !can(c, policy.VersionStage, obj) && !can(c, policy.VersionRetire, obj) && !can(c, policy.LifecycleOverride, obj):
		return authorize(c, policy.VersionStage, obj)
	}
	if override && to == catalog.StageRetired {
		return authorize(c, policy.LifecycleOverride, obj)
	}
	return nil
}

// lifecycleGates returns the current standard's gates, sharing the parsed
// standard the breaking-change policy caches (spec_breaking.go). With no
// published standard, or one that does not load, the defaults apply.
func (s *Server) lifecycleGates(ctx context.Context) lifecycle.Gates {
	_, sv, err := s.store.CurrentStandard(ctx)
	if err != nil {
		if !errors.Is(err, catalog.ErrNotFound) {
			s.log.WarnContext(ctx, "lifecycle gates: no standard, using the defaults", "error", err)
		}
		return lifecycle.DefaultGates
	}
	p := &s.policies
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.rs == nil || p.id != sv.ID {
		rs, err := rules.Parse([]byte(sv.Ruleset), "standard.yaml", nil)
		if err != nil {
			s.log.WarnContext(ctx, "lifecycle gates: the standard does not load, using the defaults", "standard_version", sv.Number, "error", err)
			return lifecycle.DefaultGates
		}
		p.id, p.rs = sv.ID, rs
	}
	return p.rs.LifecycleGates()
}

// versionLifecycle builds the lifecycle section of v's page: its
// deprecation, the moves the person may make, and the timeline.
func (s *Server) versionLifecycle(c echo.Context, v *models.VersionDetail) (web.LifecycleView, error) {
	ctx := c.Request().Context()
	l := web.LifecycleView{Stage: v.Stage, Deprecation: web.DeprecationView{
		DeprecationDate: v.Lifecycle.DeprecationDate, SunsetDate: v.Lifecycle.SunsetDate,
		MigrationNotes: v.Lifecycle.MigrationNotes, Replacement: v.Lifecycle.Replacement,
	}}
	rows, err := s.store.VersionTimeline(ctx, v.ID, timelineLength)
	if err != nil {
		return l, err
	}
	l.Timeline = timelineRows(rows)
	obj := versionObject(v)
	var gates *lifecycle.Gates
	var opts []web.StageOption
	for _, t := range lifecycle.From(catalog.Stage(v.Stage)) {
		if !can(c, t.Action, obj) {
			continue
		}
		if gates == nil {
			g := s.lifecycleGates(ctx)
			gates = &g
		}
		opts = append(opts, web.StageOption{Stage: string(t.To), Kind: string(t.Kind), Needs: gates.Requirements(t.To)})
	}
	if len(opts) > 0 {
		l.Form = &web.StageForm{Options: opts, CanOverride: can(c, policy.LifecycleOverride, obj)}
	}
	return l, nil
}

// apiTimeline is the stage changes of all an API's versions.
func (s *Server) apiTimeline(ctx context.Context, apiID uint) ([]web.TimelineRow, error) {
	rows, err := s.store.APITimeline(ctx, apiID, timelineLength)
	if err != nil {
		return nil, err
	}
	return timelineRows(rows), nil
}

func timelineRows(rows []models.VersionTransition) []web.TimelineRow {
	out := make([]web.TimelineRow, len(rows))
	for i, r := range rows {
		out[i] = web.TimelineRow{At: r.At, Actor: r.Actor, Version: r.VersionName, From: r.FromStage, To: r.ToStage,
			Reason: r.Reason, Override: r.Override, OverrideReason: r.OverrideReason}
	}
	return out
}
