package handlers

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"github.com/steward-governance/steward/breaking"
	"github.com/steward-governance/steward/catalog"
	"github.com/steward-governance/steward/importer"
	"github.com/steward-governance/steward/models"
	"github.com/steward-governance/steward/policy"
	"github.com/steward-governance/steward/specs"
	"github.com/steward-governance/steward/web"
)

// pendingURL is the page of one pending revision.
func pendingURL(apiSlug, version string, id uint) string {
	return "/apis/" + apiSlug + "/versions/" + version + "/pending/" + strconv.FormatUint(uint64(id), 10)
}

// holdSpec keeps an upload the policy held back as a pending revision and
// sends the uploader to its page.
func (s *Server) holdSpec(c echo.Context, v *models.VersionDetail, br *breakingRefusal) error {
	p, err := s.store.HoldSpec(c.Request().Context(), actor(c), v.API.Slug, v.Name, br.base, br.upload)
	if err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, pendingURL(v.API.Slug, v.Name, p.ID)+"?done=spec-held")
}

// refusalProblems lists a refused upload's breaking changes the way the
// version page lists a spec's problems.
func refusalProblems(br *breakingRefusal) []web.SpecProblem {
	var out []web.SpecProblem
	for _, ch := range br.breakingChanges() {
		msg := ch.Text
		if ch.Operation != "" {
			msg = ch.Operation + ": " + msg
		}
		out = append(out, web.SpecProblem{Line: ch.New.Line, Column: ch.New.Column, Message: msg})
	}
	return out
}

type pendingTarget struct {
	v *models.VersionDetail
	p *models.PendingRevision
}

// loadPending loads the version, asks the policy (when act is set) before
// anything about the pending revision is revealed, then loads it.
func (s *Server) loadPending(c echo.Context, act policy.Action) (*pendingTarget, error) {
	ctx := c.Request().Context()
	v, err := s.store.GetVersion(ctx, c.Param("api"), c.Param("version"))
	if err != nil {
		return nil, err
	}
	if act != "" {
		if err := authorize(c, act, versionObject(v)); err != nil {
			return nil, err
		}
	}
	id, err := strconv.ParseUint(c.Param("id"), 10, 32)
	if err != nil {
		return nil, fmt.Errorf("pending revision %q: %w", c.Param("id"), catalog.ErrNotFound)
	}
	p, err := s.store.GetPendingRevision(ctx, v.API.Slug, v.Name, uint(id))
	if err != nil {
		return nil, err
	}
	return &pendingTarget{v: v, p: p}, nil
}

func (s *Server) showPendingRevisionPage(c echo.Context) error {
	t, err := s.loadPending(c, "")
	if err != nil {
		return err
	}
	return s.renderPending(c, http.StatusOK, t, func(p *web.PendingRevisionPage) {
		p.Flash = map[string]string{
			"spec-held": "The spec has breaking changes that the standard does not allow at this stage; it is held here, not current.",
			"requested": "Exception requested; a governance lead will decide it.",
			"approved":  "Exception approved; the revision is now current.",
			"denied":    "Exception denied; the revision stays out of the catalogue.",
			"withdrawn": "Withdrawn; the revision will not become current.",
		}[c.QueryParam("done")]
	})
}

func (s *Server) renderPending(c echo.Context, status int, t *pendingTarget, adjust func(*web.PendingRevisionPage)) error {
	v, pr := t.v, t.p
	obj := versionObject(v)
	page := web.PendingRevisionPage{
		Crumbs: versionCrumbs(v, "Pending revision"), Base: "/apis/" + v.API.Slug + "/versions/" + v.Name,
		URL: pendingURL(v.API.Slug, v.Name, pr.ID), Stage: v.Stage,
		Policy:     string(s.breakingPolicy(c.Request().Context(), catalog.Stage(v.Stage))),
		BaseNumber: pr.BaseNumber, Title: pr.Title, SpecVersion: pr.SpecVersion, Status: pr.Status,
		CreatedBy: pr.CreatedBy, Created: pr.CreatedAt, Breaking: pr.BreakingCount, Warnings: pr.WarningCount,
		Reason: pr.Reason, RequestedBy: pr.RequestedBy, DecidedBy: pr.DecidedBy, Note: pr.DecisionNote,
		RevisionNumber: pr.RevisionNumber,
		CanRequest:     pr.Status == models.PendingHeld && can(c, policy.ExceptionRequest, obj),
		CanDecide:      pr.Status == models.PendingRequested && can(c, policy.ExceptionDecide, obj),
		CanWithdraw:    pr.Open() && can(c, policy.ExceptionRequest, obj),
	}
	if pr.RequestedAt != nil {
		page.RequestedAt = *pr.RequestedAt
	}
	if pr.DecidedAt != nil {
		page.DecidedAt = *pr.DecidedAt
	}
	page.Changes = changeViews(pr.Changes)
	if err := s.affectedConsumers(c.Request().Context(), v, page.Changes, &page); err != nil {
		return err
	}
	if adjust != nil {
		adjust(&page)
	}
	return s.render(c, status, web.PendingRevision(s.layout(c, "Pending revision of "+v.API.Name+" "+v.Name), page))
}

// changeViews reads stored changes (a breaking.Report's JSON); stored text
// that does not decode shows as no change rather than failing the page.
func changeViews(stored string) []web.ChangeView {
	if stored == "" {
		return nil
	}
	var report breaking.Report
	if err := json.Unmarshal([]byte(stored), &report); err != nil {
		return nil
	}
	out := make([]web.ChangeView, len(report.Changes))
	for i, ch := range report.Changes {
		out[i] = web.ChangeView{Level: ch.Level.String(), Operation: ch.Operation, Text: ch.Text, ID: ch.ID, OldLine: ch.Old.Line, NewLine: ch.New.Line}
	}
	return out
}

type exceptionForm struct {
	Reason string `form:"reason"`
}

// requestException asks governance leads to let a held revision through.
func (s *Server) requestException(c echo.Context) error {
	t, err := s.loadPending(c, policy.ExceptionRequest)
	if err != nil {
		return err
	}
	var f exceptionForm
	if err := bindForm(c, &f); err != nil {
		return err
	}
	f.Reason = strings.TrimSpace(f.Reason)
	errs := web.FieldErrors{}
	if msg := exceptionReasonProblem(f.Reason); msg != "" {
		errs["reason"] = msg
	}
	if len(errs) > 0 {
		return s.renderPending(c, http.StatusUnprocessableEntity, t, func(p *web.PendingRevisionPage) {
			p.ReasonTyped, p.Errors = f.Reason, errs
		})
	}
	if _, err := s.store.RequestException(c.Request().Context(), actor(c), t.v.API.Slug, t.v.Name, t.p.ID, f.Reason); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, pendingURL(t.v.API.Slug, t.v.Name, t.p.ID)+"?done=requested")
}

// exceptionReasonProblem says what is wrong with the reason for an
// exception request, or "" when nothing is.
func exceptionReasonProblem(reason string) string {
	switch n := utf8.RuneCountInString(reason); {
	case n == 0:
		return "Say why these breaking changes should ship in this version."
	case n > maxNoteRunes:
		return fmt.Sprintf("Keep the reason under %d characters.", maxNoteRunes)
	}
	return ""
}

type decisionForm struct {
	Note string `form:"note"`
}

func (s *Server) approveException(c echo.Context) error { return s.decideException(c, true) }
func (s *Server) denyException(c echo.Context) error    { return s.decideException(c, false) }

// decideException approves or denies a requested exception. Approving
// parses the held text again, for its endpoints, and makes it current.
func (s *Server) decideException(c echo.Context, approve bool) error {
	t, err := s.loadPending(c, policy.ExceptionDecide)
	if err != nil {
		return err
	}
	var f decisionForm
	if err := bindForm(c, &f); err != nil {
		return err
	}
	f.Note = strings.TrimSpace(f.Note)
	if utf8.RuneCountInString(f.Note) > maxNoteRunes {
		return echo.NewHTTPError(http.StatusUnprocessableEntity, fmt.Sprintf("Keep the note under %d characters.", maxNoteRunes))
	}
	if _, err := s.decide(c, t, approve, f.Note); err != nil {
		return err
	}
	done := "denied"
	if approve {
		done = "approved"
	}
	return c.Redirect(http.StatusSeeOther, pendingURL(t.v.API.Slug, t.v.Name, t.p.ID)+"?done="+done)
}

// decide approves or denies t's exception request, for the page and the
// JSON API alike. Approving parses the held text again, for its
// endpoints, makes it current and has the version scored again.
func (s *Server) decide(c echo.Context, t *pendingTarget, approve bool, note string) (*models.PendingRevision, error) {
	ctx := c.Request().Context()
	var up models.SpecUpload
	if approve {
		select {
		case s.parseSlots <- struct{}{}:
		case <-ctx.Done():
			return nil, echo.NewHTTPError(http.StatusServiceUnavailable, "Steward is busy reading other specs; try again in a moment.")
		}
		parsed, err := specs.Parse(ctx, []byte(t.p.Content), s.specLimits)
		<-s.parseSlots
		if err != nil {
			var pe *specs.ParseError
			if errors.As(err, &pe) {
				return nil, echo.NewHTTPError(http.StatusConflict, "The held spec no longer parses under the current limits; upload it again.")
			}
			return nil, err
		}
		up = importer.UploadOf([]byte(t.p.Content), parsed)
	}
	p, _, err := s.store.DecideException(ctx, actor(c), t.v.API.Slug, t.v.Name, t.p.ID, approve, note, up)
	if err != nil {
		return nil, err
	}
	if approve && s.scoring != nil {
		s.scoring.Kick()
	}
	return p, nil
}

// withdrawPendingRevision closes a held revision its team no longer wants.
func (s *Server) withdrawPendingRevision(c echo.Context) error {
	t, err := s.loadPending(c, policy.ExceptionRequest)
	if err != nil {
		return err
	}
	if _, err := s.store.WithdrawPendingRevision(c.Request().Context(), actor(c), t.v.API.Slug, t.v.Name, t.p.ID); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, pendingURL(t.v.API.Slug, t.v.Name, t.p.ID)+"?done=withdrawn")
}

// changelogOf lists, newest first, the revisions that were compared with
// the one before them.
func changelogOf(revs []models.SpecRevision) []web.ChangelogEntry {
	var out []web.ChangelogEntry
	for _, r := range revs {
		if r.Changes == "" {
			continue
		}
		out = append(out, web.ChangelogEntry{Number: r.Number, Created: r.CreatedAt, By: r.CreatedBy, Breaking: r.BreakingCount,
			Warnings: r.WarningCount, Info: r.InfoCount, Excepted: r.Excepted, Changes: changeViews(r.Changes)})
	}
	return out
}

// pendingViews lists the version's held revisions that still wait for
// someone; decided ones are reachable from the audit history.
func pendingViews(v *models.VersionDetail, pending []models.PendingRevision) []web.PendingView {
	var out []web.PendingView
	for _, p := range pending {
		if !p.Open() {
			continue
		}
		out = append(out, web.PendingView{URL: pendingURL(v.API.Slug, v.Name, p.ID), Status: p.Status, Breaking: p.BreakingCount, By: p.CreatedBy, Created: p.CreatedAt})
	}
	return out
}

// consumerWindowDays is how far back the pending page looks for consumers
// of the endpoints a breaking change touches.
const consumerWindowDays = 30

// affectedConsumers lists who called the operations the breaking changes
// touch, once traffic data exists.
func (s *Server) affectedConsumers(ctx context.Context, v *models.VersionDetail, changes []web.ChangeView, page *web.PendingRevisionPage) error {
	page.ConsumerDays = consumerWindowDays
	to := time.Now().UTC()
	from := to.AddDate(0, 0, -consumerWindowDays)
	_, covered, err := s.sourcesSeeing(ctx, v.API.ID, from, to)
	if err != nil || !covered {
		return err
	}
	page.TrafficCovered = true
	var ops []string
	for _, ch := range changes {
		if ch.Operation != "" && ch.Level == "breaking" && !slices.Contains(ops, ch.Operation) {
			ops = append(ops, ch.Operation)
		}
	}
	found, err := s.store.ConsumersOf(ctx, v.ID, ops, from)
	if err != nil {
		return err
	}
	for _, a := range found {
		page.Consumers = append(page.Consumers, web.AffectedConsumerView{Consumer: shortHash(a.Consumer), Operation: a.Operation, Requests: a.Requests, LastSeen: a.LastSeen})
	}
	return nil
}
