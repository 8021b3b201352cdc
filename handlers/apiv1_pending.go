package handlers

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/steward-governance/steward/breaking"
	"github.com/steward-governance/steward/catalog"
	"github.com/steward-governance/steward/models"
	"github.com/steward-governance/steward/policy"
	"github.com/steward-governance/steward/rules"
)

// The JSON API of pending revisions: what the pending revision page offers
// owners and governance leads, for scripts. The same policy decides, and
// the same store functions act, as for the page (pending_revision.go).

// pendingOpen is the status filter for revisions that still wait: held or
// requested.
const pendingOpen = "open"

// pendingListParams are the query parameters GET /pending-revisions
// understands.
var pendingListParams = []string{"api", "version", "status", "limit", "offset"}

// pendingPageSize is the default page of GET /pending-revisions.
const pendingPageSize = 25

// pendingRevisionJSON is a pending revision in a list.
type pendingRevisionJSON struct {
	ID           uint                  `json:"id"`
	API          refJSON               `json:"api"`
	Version      string                `json:"version"`
	Team         string                `json:"team"`
	Stage        string                `json:"stage"`
	Policy       string                `json:"policy"` // the standard's policy for the stage now
	Status       string                `json:"status"`
	BaseRevision int                   `json:"base_revision"`
	Title        string                `json:"title"`
	SpecVersion  string                `json:"spec_version"`
	Format       string                `json:"format"`
	Hash         string                `json:"hash"`
	SizeBytes    int64                 `json:"size_bytes"`
	Breaking     int                   `json:"breaking"`
	Warnings     int                   `json:"warnings"`
	Compatible   int                   `json:"compatible"`
	CreatedBy    string                `json:"created_by"`
	CreatedAt    time.Time             `json:"created_at"`
	Request      *exceptionRequestJSON `json:"request"`  // null until an exception is requested
	Decision     *pendingDecisionJSON  `json:"decision"` // null while it waits
	Revision     *int                  `json:"revision"` // the revision an approval made current
	// URL is the revision's page in the portal.
	URL string `json:"url"`
}

// pendingRevisionDetailJSON is one pending revision with its changes.
type pendingRevisionDetailJSON struct {
	pendingRevisionJSON
	// Changes are every classified change from the base revision, breaking
	// first.
	Changes []breaking.Change `json:"changes"`
}

type exceptionRequestJSON struct {
	Reason string    `json:"reason"`
	By     string    `json:"by"`
	At     time.Time `json:"at"`
}

type pendingDecisionJSON struct {
	Outcome string    `json:"outcome"` // approved, denied or withdrawn
	Reason  string    `json:"reason"`
	By      string    `json:"by"`
	At      time.Time `json:"at"`
}

// exceptionBody is the body of the exception, approve and deny requests.
type exceptionBody struct {
	Reason string `json:"reason"`
}

// pendingJSONOf describes a pending revision of a version; policy is the
// standard's policy for the version's stage now.
func pendingJSONOf(apiSlug, apiName, version, team, stage string, policy rules.BreakingPolicy, p *models.PendingRevision) pendingRevisionJSON {
	out := pendingRevisionJSON{
		ID: p.ID, API: refJSON{Slug: apiSlug, Name: apiName}, Version: version, Team: team, Stage: stage,
		Policy: string(policy), Status: p.Status,
		BaseRevision: p.BaseNumber, Title: p.Title, SpecVersion: p.SpecVersion, Format: p.Format, Hash: p.Hash, SizeBytes: p.SizeBytes,
		Breaking: p.BreakingCount, Warnings: p.WarningCount, Compatible: p.InfoCount, CreatedBy: p.CreatedBy, CreatedAt: p.CreatedAt,
		URL: pendingURL(apiSlug, version, p.ID),
	}
	if p.RequestedAt != nil {
		out.Request = &exceptionRequestJSON{Reason: p.Reason, By: p.RequestedBy, At: *p.RequestedAt}
	}
	if !p.Open() && p.DecidedAt != nil {
		out.Decision = &pendingDecisionJSON{Outcome: p.Status, Reason: p.DecisionNote, By: p.DecidedBy, At: *p.DecidedAt}
	}
	if p.RevisionNumber > 0 {
		n := p.RevisionNumber
		out.Revision = &n
	}
	return out
}

// pendingDetailOf describes t's pending revision, as p now is, with its
// changes.
func (s *Server) pendingDetailOf(c echo.Context, t *pendingTarget, p *models.PendingRevision) pendingRevisionDetailJSON {
	out := pendingRevisionDetailJSON{
		pendingRevisionJSON: pendingJSONOf(t.v.API.Slug, t.v.API.Name, t.v.Name, t.v.TeamSlug, t.v.Stage,
			s.breakingPolicy(c.Request().Context(), catalog.Stage(t.v.Stage)), p),
		Changes: []breaking.Change{},
	}
	var report breaking.Report
	if err := json.Unmarshal([]byte(p.Changes), &report); err == nil && report.Changes != nil {
		out.Changes = report.Changes
	}
	return out
}

// apiPending loads the pending revision the URL names, asking the policy
// (when act is set) before anything about it is revealed. Its 404s say
// what is missing.
func (s *Server) apiPending(c echo.Context, act policy.Action) (*pendingTarget, error) {
	v, err := s.version(c)
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
		return nil, echo.NewHTTPError(http.StatusNotFound, fmt.Sprintf("pending revision ids are whole numbers, not %q", c.Param("id")))
	}
	p, err := s.store.GetPendingRevision(c.Request().Context(), v.API.Slug, v.Name, uint(id))
	if err != nil {
		return nil, notFound(err, "version %q of API %q has no pending revision %d", v.Name, v.API.Slug, id)
	}
	return &pendingTarget{v: v, p: p}, nil
}

// apiListPendingRevisions lists pending revisions across the catalogue,
// newest first, filtered by API, version and status.
func (s *Server) apiListPendingRevisions(c echo.Context) error {
	ctx := c.Request().Context()
	bad := &catalog.ValidationError{}
	for name := range c.QueryParams() {
		if !slices.Contains(pendingListParams, name) {
			bad.Add(name, "unknown query parameter; use "+strings.Join(pendingListParams, ", "))
		}
	}
	f := models.PendingFilter{APISlug: c.QueryParam("api"), Version: c.QueryParam("version"), Limit: pendingPageSize}
	if f.Version != "" && f.APISlug == "" {
		bad.Add("version", "name the API too (api=...): version names repeat across APIs")
	}
	switch st := c.QueryParam("status"); {
	case st == "":
	case st == pendingOpen:
		f.Statuses = []string{models.PendingHeld, models.PendingRequested}
	case slices.Contains(models.PendingStatuses, st):
		f.Statuses = []string{st}
	default:
		bad.Add("status", fmt.Sprintf("unknown status %q: use %s or %s", st, strings.Join(models.PendingStatuses, ", "), pendingOpen))
	}
	if v := c.QueryParam("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			bad.Add("limit", fmt.Sprintf("must be a whole number from 1 to %d, not %q", catalog.MaxPageSize, v))
		}
		f.Limit = min(n, catalog.MaxPageSize)
	}
	if v := c.QueryParam("offset"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			bad.Add("offset", fmt.Sprintf("must be a whole number, 0 or more, not %q", v))
		}
		f.Offset = n
	}
	if err := bad.OrNil(); err != nil {
		return echo.NewHTTPError(http.StatusBadRequest, bad.Error()).SetInternal(bad)
	}
	if f.APISlug != "" {
		if f.Version != "" {
			if _, err := s.store.GetVersion(ctx, f.APISlug, f.Version); err != nil {
				return notFound(err, "API %q has no version %q", f.APISlug, f.Version)
			}
		} else if _, err := s.store.GetAPI(ctx, f.APISlug); err != nil {
			return notFound(err, "there is no API %q", f.APISlug)
		}
	}
	rows, total, err := s.store.ListPendingRevisions(ctx, f)
	if err != nil {
		return err
	}
	out := pageJSON[pendingRevisionJSON]{Items: make([]pendingRevisionJSON, len(rows)), Total: total, Limit: f.Limit, Offset: f.Offset}
	policies := map[string]rules.BreakingPolicy{} // by stage: each asks for the standard
	for i := range rows {
		r := &rows[i]
		pol, ok := policies[r.Stage]
		if !ok {
			pol = s.breakingPolicy(ctx, catalog.Stage(r.Stage))
			policies[r.Stage] = pol
		}
		out.Items[i] = pendingJSONOf(r.APISlug, r.APIName, r.VersionName, r.TeamSlug, r.Stage, pol, &r.PendingRevision)
	}
	return c.JSON(http.StatusOK, out)
}

// apiGetPendingRevision returns one pending revision with its changes.
func (s *Server) apiGetPendingRevision(c echo.Context) error {
	t, err := s.apiPending(c, "")
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, s.pendingDetailOf(c, t, t.p))
}

// bindReason reads the reason of an exception request or decision:
// required, and no longer than a note on the page may be.
func bindReason(c echo.Context, missing string) (string, error) {
	var body exceptionBody
	if err := bindJSON(c, &body); err != nil {
		return "", err
	}
	reason := strings.TrimSpace(body.Reason)
	if msg := exceptionReasonProblem(reason); msg != "" {
		if reason == "" {
			msg = missing
		}
		return "", &catalog.ValidationError{Fields: map[string]string{"reason": msg}}
	}
	return reason, nil
}

// apiRequestException asks governance leads to let a held revision
// through: members of the API's team, with a reason.
func (s *Server) apiRequestException(c echo.Context) error {
	t, err := s.apiPending(c, policy.ExceptionRequest)
	if err != nil {
		return err
	}
	reason, err := bindReason(c, "required: say why these breaking changes should ship in this version")
	if err != nil {
		return err
	}
	p, err := s.store.RequestException(c.Request().Context(), actor(c), t.v.API.Slug, t.v.Name, t.p.ID, reason)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, s.pendingDetailOf(c, t, p))
}

func (s *Server) apiApproveException(c echo.Context) error { return s.apiDecideException(c, true) }
func (s *Server) apiDenyException(c echo.Context) error    { return s.apiDecideException(c, false) }

// apiDecideException approves or denies a requested exception: governance
// leads, with a reason. Approving makes the revision current.
func (s *Server) apiDecideException(c echo.Context, approve bool) error {
	t, err := s.apiPending(c, policy.ExceptionDecide)
	if err != nil {
		return err
	}
	reason, err := bindReason(c, "required: say why the exception is approved or denied")
	if err != nil {
		return err
	}
	p, err := s.decide(c, t, approve, reason)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, s.pendingDetailOf(c, t, p))
}

// apiWithdrawPendingRevision closes a revision that still waits: members
// of the API's team. It takes no body.
func (s *Server) apiWithdrawPendingRevision(c echo.Context) error {
	t, err := s.apiPending(c, policy.ExceptionRequest)
	if err != nil {
		return err
	}
	p, err := s.store.WithdrawPendingRevision(c.Request().Context(), actor(c), t.v.API.Slug, t.v.Name, t.p.ID)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, s.pendingDetailOf(c, t, p))
}
