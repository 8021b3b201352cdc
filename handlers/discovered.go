package handlers

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/steward-governance/steward/catalog"
	"github.com/steward-governance/steward/models"
	"github.com/steward-governance/steward/policy"
	"github.com/steward-governance/steward/web"
)

// Discovery is what the discovered APIs pages need: hosts seen in traffic
// that no deployment claims, and the decisions people take about them.
type Discovery interface {
	DiscoveredHosts(ctx context.Context, from time.Time) ([]models.DiscoveredHost, error)
	DiscoveredHostEndpoints(ctx context.Context, host string, from time.Time) ([]models.DiscoveredTraffic, error)
	DiscoveredHostState(ctx context.Context, host string) (*models.DiscoveredHostState, error)
	DiscoveryDecisions(ctx context.Context, host string, limit int) ([]models.DiscoveryDecision, error)
	ClaimDiscoveredHost(ctx context.Context, actor catalog.Actor, host string, c models.DiscoveryClaim) (*models.API, error)
	IgnoreDiscoveredHost(ctx context.Context, actor catalog.Actor, host, reason string) error
}

// discoveryWindows are the windows the discovered pages offer, in days;
// discoveryDays is the one they open with: a month catches weekly and
// monthly batch callers that a week would miss.
var discoveryWindows = []int{7, 30, 90}

const discoveryDays = 30

// maxIgnoreReason bounds the reason kept in the audit log.
const maxIgnoreReason = 1000

// claimForm is the claim form as posted.
type claimForm struct {
	Name        string `form:"name"`
	Slug        string `form:"slug"`
	Team        string `form:"team"`
	Version     string `form:"version"`
	Stage       string `form:"stage"`
	Environment string `form:"environment"`
}

// discoveryClaim turns a claim of host into the catalogue entry it
// creates, checked, with field errors under the form's field names.
//
// What a claim creates follows what traffic shows, the way Treblle and
// Backstage users expect of a discovered API: it answers real requests,
// so its version defaults to stage production (Backstage's lifecycle for
// a running service); nobody has said yet what it promises beyond the
// organisation, so visibility is internal, the narrowest; the deployment
// is the host over HTTPS when any request to it used HTTPS, else over
// plain HTTP. It has no spec, so no documented endpoints: traffic rolled
// up after the claim shows its inferred ones on the version's traffic
// page, as Treblle lists endpoints it found. The tag "discovered" lets
// governance find claimed APIs still lacking a spec.
func discoveryClaim(f claimForm, host string, st *models.DiscoveredHostState) (models.DiscoveryClaim, error) {
	c := models.DiscoveryClaim{
		API: catalog.APIInput{Name: f.Name, Slug: f.Slug, TeamSlug: f.Team, Kind: catalog.KindREST, Visibility: catalog.VisibilityInternal,
			Tags: []string{"discovered"}},
		Version:    catalog.VersionInput{Name: f.Version, Stage: catalog.Stage(f.Stage)},
		Deployment: catalog.DeploymentInput{Environment: f.Environment, BaseURL: deploymentURL(host, st)},
	}
	c.API.Normalize()
	c.Version.Normalize()
	c.Deployment.Normalize()
	bad := &catalog.ValidationError{}
	merge := func(err error, rename map[string]string) {
		var ve *catalog.ValidationError
		if errors.As(err, &ve) {
			for field, msg := range ve.Fields {
				if to, ok := rename[field]; ok {
					field = to
				}
				bad.Add(field, msg)
			}
		}
	}
	merge(c.API.Validate(), nil)
	merge(c.Version.Validate(), map[string]string{"name": "version"})
	merge(c.Deployment.Validate(), nil)
	// Hosts come from what clients sent; one that is not a bare host name
	// would become a deployment somewhere else.
	if u, err := url.Parse(c.Deployment.BaseURL); err != nil || u.Host != host || u.Path != "" || u.User != nil {
		bad.Add("base_url", "This host name cannot be used as a deployment address; register the API from the catalogue instead.")
	}
	return c, bad.OrNil()
}

// deploymentURL is where a claimed host's deployment points.
func deploymentURL(host string, st *models.DiscoveredHostState) string {
	scheme := "http"
	if st.HTTPS > 0 {
		scheme = "https"
	}
	return scheme + "://" + host
}

// discoveredHost reads the :host parameter.
func discoveredHost(c echo.Context) string {
	h, err := url.PathUnescape(c.Param("host"))
	if err != nil {
		return c.Param("host")
	}
	return h
}

func discoveredURL(host string) string { return "/discovered/" + url.PathEscape(host) }

// windowDays reads ?days= from the windows offered.
func windowDays(c echo.Context, windows []int, def int) (int, error) {
	q := c.QueryParam("days")
	if q == "" {
		return def, nil
	}
	n, err := strconv.Atoi(q)
	if err != nil || !slices.Contains(windows, n) {
		strs := make([]string, len(windows))
		for i, w := range windows {
			strs[i] = strconv.Itoa(w)
		}
		return 0, echo.NewHTTPError(http.StatusBadRequest, "days must be one of "+strings.Join(strs, ", ")+".")
	}
	return n, nil
}

func (s *Server) showDiscoveredPage(c echo.Context) error {
	days, err := windowDays(c, discoveryWindows, discoveryDays)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	from := time.Now().UTC().Add(-time.Duration(days) * 24 * time.Hour)
	hosts, err := s.store.DiscoveredHosts(ctx, from)
	if err != nil {
		return err
	}
	p := web.DiscoveredPage{Days: days, Windows: discoveryWindows, From: from}
	if len(hosts) == 0 {
		srcs, err := s.store.Sources(ctx)
		if err != nil {
			return err
		}
		p.NoSources = len(srcs) == 0
	}
	for _, h := range hosts {
		row := web.DiscoveredHostRow{Host: h.Host, URL: discoveredURL(h.Host), Requests: h.Requests, HTTPS: share(h.HTTPS, h.Requests),
			Authenticated: share(h.Authenticated, h.Requests), Endpoints: h.Endpoints, FirstSeen: h.FirstSeen, LastSeen: h.LastSeen, Status: h.Status}
		if h.APISlug != "" {
			row.APIURL = "/apis/" + h.APISlug
		}
		p.Hosts = append(p.Hosts, row)
	}
	return s.render(c, http.StatusOK, web.Discovered(s.layout(c, "Discovered APIs"), p))
}

func share(part, whole int64) float64 {
	if whole <= 0 {
		return 0
	}
	return float64(part) / float64(whole)
}

func (s *Server) showDiscoveredHostPage(c echo.Context) error {
	days, err := windowDays(c, discoveryWindows, discoveryDays)
	if err != nil {
		return err
	}
	host := discoveredHost(c)
	st, err := s.store.DiscoveredHostState(c.Request().Context(), host)
	if err != nil {
		return err
	}
	return s.renderDiscoveredHost(c, http.StatusOK, days, st, newClaimForm(host), nil, "", nil)
}

// newClaimForm is the claim form as first shown; see discoveryClaim for
// why these defaults.
func newClaimForm(host string) claimForm {
	return claimForm{Name: nameFromHost(host), Version: "v1", Stage: string(catalog.StageProduction), Environment: "production"}
}

// nameFromHost suggests an API name: the host's first label, so
// orders.example.com becomes Orders.
func nameFromHost(host string) string {
	label, _, _ := strings.Cut(host, ".")
	if label == "" || label == "api" || label == "www" {
		return host
	}
	return strings.ToUpper(label[:1]) + label[1:]
}

// renderDiscoveredHost shows a host with the claim and ignore forms as the
// viewer may use them, keeping what was typed into either.
func (s *Server) renderDiscoveredHost(c echo.Context, status, days int, st *models.DiscoveredHostState, f claimForm, claimErrs web.FieldErrors,
	reason string, ignoreErrs web.FieldErrors) error {
	ctx := c.Request().Context()
	from := time.Now().UTC().Add(-time.Duration(days) * 24 * time.Hour)
	eps, err := s.store.DiscoveredHostEndpoints(ctx, st.Host, from)
	if err != nil {
		return err
	}
	decisions, err := s.store.DiscoveryDecisions(ctx, st.Host, 20)
	if err != nil {
		return err
	}
	base := discoveredURL(st.Host)
	p := web.DiscoveredHostPage{
		Crumbs: []web.Crumb{{Label: "Discovered APIs", URL: "/discovered"}, {Label: st.Host}},
		Host:   st.Host, Base: base, Days: days, Windows: discoveryWindows, Status: st.Status, APIName: st.APIName,
		Claimable: st.Claimable(), CanIgnore: can(c, policy.DiscoveryDecide, policy.Object{Type: "discovered_host", Key: st.Host}),
		IgnoreReason: reason, IgnoreErrors: ignoreErrs,
	}
	if st.APISlug != "" {
		p.APIURL = "/apis/" + st.APISlug
	}
	var https, authenticated int64
	for _, e := range eps {
		p.Requests += e.Requests
		https += e.HTTPS
		authenticated += e.Authenticated
		if p.FirstSeen.IsZero() || e.FirstSeen.Before(p.FirstSeen) {
			p.FirstSeen = e.FirstSeen
		}
		if e.LastSeen.After(p.LastSeen) {
			p.LastSeen = e.LastSeen
		}
		p.Endpoints = append(p.Endpoints, web.DiscoveredEndpointRow{Method: e.Method, Template: e.Template, Requests: e.Requests,
			OK: e.Status2xx, ClientErrors: e.Status4xx, ServerErrors: e.Status5xx, HTTPS: share(e.HTTPS, e.Requests),
			Authenticated: share(e.Authenticated, e.Requests), LastSeen: e.LastSeen})
	}
	p.HTTPS, p.Authenticated = share(https, p.Requests), share(authenticated, p.Requests)
	for _, d := range decisions {
		p.Decisions = append(p.Decisions, web.DiscoveryDecisionRow{At: d.At, Actor: d.Actor, Status: d.Status, Reason: d.Reason})
	}
	if p.Claimable {
		teams, err := s.claimTeams(c)
		if err != nil {
			return err
		}
		if len(teams) > 0 {
			p.Claim = &web.ClaimForm{
				Values: web.ClaimFormValues{Name: f.Name, Slug: f.Slug, Team: f.Team, Version: f.Version, Stage: f.Stage, Environment: f.Environment},
				Errors: claimErrs, Teams: append([]web.Option{{Value: "", Label: "Choose a team…"}}, teams...), Stages: stageOptions(),
				DeploymentURL: deploymentURL(st.Host, st),
			}
		}
	}
	return s.render(c, status, web.DiscoveredHost(s.layout(c, st.Host), p))
}

// claimTeams are the teams the viewer may create APIs in.
func (s *Server) claimTeams(c echo.Context) ([]web.Option, error) {
	teams, err := s.store.ListTeams(c.Request().Context())
	if err != nil {
		return nil, err
	}
	var out []web.Option
	for _, t := range teams {
		if can(c, policy.APICreate, policy.Object{Type: "api", TeamSlug: t.Slug}) {
			out = append(out, web.Option{Value: t.Slug, Label: t.Name})
		}
	}
	return out, nil
}

func (s *Server) claimDiscoveredHost(c echo.Context) error {
	var f claimForm
	if err := bindForm(c, &f); err != nil {
		return err
	}
	host := discoveredHost(c)
	// Refused before anything is looked up: whether a host was seen is
	// not for someone who may not claim it to find out. A form without a
	// team is left to validation, which says to choose one.
	if team := strings.TrimSpace(f.Team); team != "" {
		if err := authorize(c, policy.APICreate, policy.Object{Type: "api", Key: strings.TrimSpace(f.Slug), TeamSlug: team}); err != nil {
			return err
		}
	}
	ctx := c.Request().Context()
	st, err := s.store.DiscoveredHostState(ctx, host)
	if err != nil {
		return err
	}
	if !st.Claimable() {
		return &models.ConflictError{Message: host + " is already claimed by the API " + st.APIName + "."}
	}
	claim, err := discoveryClaim(f, host, st)
	if err == nil {
		_, err = s.store.ClaimDiscoveredHost(ctx, actor(c), host, claim)
	}
	if err != nil {
		errs, err := fieldErrors(err)
		if err != nil {
			return err
		}
		return s.renderDiscoveredHost(c, http.StatusUnprocessableEntity, discoveryDays, st, f, errs, "", nil)
	}
	return c.Redirect(http.StatusSeeOther, "/apis/"+claim.API.Slug+"?done=created")
}

// ignoreForm is the ignore form as posted.
type ignoreForm struct {
	Reason string `form:"reason"`
}

func (s *Server) ignoreDiscoveredHost(c echo.Context) error {
	host := discoveredHost(c)
	if err := authorize(c, policy.DiscoveryDecide, policy.Object{Type: "discovered_host", Key: host}); err != nil {
		return err
	}
	var f ignoreForm
	if err := bindForm(c, &f); err != nil {
		return err
	}
	f.Reason = strings.TrimSpace(f.Reason)
	ctx := c.Request().Context()
	st, err := s.store.DiscoveredHostState(ctx, host)
	if err != nil {
		return err
	}
	if len(f.Reason) > maxIgnoreReason {
		return s.renderDiscoveredHost(c, http.StatusUnprocessableEntity, discoveryDays, st, newClaimForm(host), nil, f.Reason,
			web.FieldErrors{"reason": "Keep the reason under " + strconv.Itoa(maxIgnoreReason) + " characters."})
	}
	if err := s.store.IgnoreDiscoveredHost(ctx, actor(c), host, f.Reason); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, discoveredURL(host))
}
