package handlers

import (
	"fmt"
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/steward-governance/steward/catalog"
	"github.com/steward-governance/steward/models"
	"github.com/steward-governance/steward/policy"
	"github.com/steward-governance/steward/traffic/rollup"
)

// The runtime in the JSON API: what admins do on the sources and jobs
// pages, a version's traffic as its traffic page totals it, and the
// discovered hosts. handlers/openapi/v1.json documents every type here.

// sourceRequest is the body of POST /sources.
type sourceRequest struct {
	Name      string `json:"name"`
	Kind      string `json:"kind"`
	API       string `json:"api"`
	URL       string `json:"url"`
	Workspace string `json:"workspace"`
	Path      string `json:"path"`
	Token     string `json:"token"`
}

// sourceJSON is a source as admins see it: never its ingest key or
// credential, only the key's last characters and whether a credential is
// stored.
type sourceJSON struct {
	ID            int64              `json:"id"`
	Name          string             `json:"name"`
	Kind          string             `json:"kind"`
	API           *refJSON           `json:"api"` // null: events are matched by deployment
	Settings      sourceSettingsJSON `json:"settings"`
	Push          bool               `json:"push"`
	KeyHint       *string            `json:"key_hint"` // push sources only
	HasCredential bool               `json:"has_credential"`
	Enabled       bool               `json:"enabled"`
	Demo          bool               `json:"demo"`
	LastError     string             `json:"last_error"`
	Failures      int                `json:"failures"`
	RetryAt       *time.Time         `json:"retry_at"`
	CoveredFrom   *time.Time         `json:"covered_from"`
	CoveredTo     *time.Time         `json:"covered_to"`
	LastEventAt   *time.Time         `json:"last_event_at"`
	EventsTotal   int64              `json:"events_total"`
	CreatedBy     string             `json:"created_by"`
	CreatedAt     time.Time          `json:"created_at"`
}

type sourceSettingsJSON struct {
	URL       string `json:"url,omitempty"`
	Workspace string `json:"workspace,omitempty"`
	Path      string `json:"path,omitempty"`
}

// sourceCreatedJSON answers POST /sources: the source and, for push
// kinds, its ingest key, which Steward keeps only as a hash.
type sourceCreatedJSON struct {
	sourceJSON
	IngestKey string `json:"ingest_key,omitempty"`
}

func sourceJSONOf(src models.Source) sourceJSON {
	set := src.ParsedSettings()
	out := sourceJSON{
		ID: src.ID, Name: src.Name, Kind: string(src.Kind), Push: src.Kind.Push(), HasCredential: src.HasSecret(),
		Settings: sourceSettingsJSON{URL: set.URL, Workspace: set.Workspace, Path: set.Path},
		Enabled:  src.Enabled, Demo: src.Demo, LastError: src.LastError, Failures: src.Failures, RetryAt: src.RetryAt,
		CoveredFrom: src.CoveredFrom, CoveredTo: src.CoveredTo, LastEventAt: src.LastEventAt, EventsTotal: src.EventsTotal,
		CreatedBy: src.CreatedBy, CreatedAt: src.CreatedAt,
	}
	if src.APISlug != "" {
		out.API = &refJSON{Slug: src.APISlug, Name: src.APIName}
	}
	if src.Kind.Push() {
		out.KeyHint = &src.KeyHint
	}
	return out
}

func (s *Server) apiListSources(c echo.Context) error {
	if err := authorize(c, policy.SourcesManage, policy.Object{Type: "source"}); err != nil {
		return err
	}
	srcs, err := s.store.Sources(c.Request().Context())
	if err != nil {
		return err
	}
	out := listJSON[sourceJSON]{Items: make([]sourceJSON, len(srcs))}
	for i, src := range srcs {
		out.Items[i] = sourceJSONOf(src)
	}
	return c.JSON(http.StatusOK, out)
}

func (s *Server) apiGetSource(c echo.Context) error {
	if err := authorize(c, policy.SourcesManage, policy.Object{Type: "source"}); err != nil {
		return err
	}
	id, err := sourceID(c)
	if err != nil {
		return err
	}
	src, err := s.store.SourceByID(c.Request().Context(), id)
	if err != nil {
		return notFound(err, "there is no source %d", id)
	}
	return c.JSON(http.StatusOK, sourceJSONOf(*src))
}

// apiCreateSource adds a source with the sources page's checks; a push
// source's ingest key is in the answer and nowhere else, ever.
func (s *Server) apiCreateSource(c echo.Context) error {
	if err := authorize(c, policy.SourcesManage, policy.Object{Type: "source"}); err != nil {
		return err
	}
	var r sourceRequest
	if err := bindJSON(c, &r); err != nil {
		return err
	}
	f := sourceForm{Name: r.Name, Kind: r.Kind, API: r.API, URL: r.URL, Workspace: r.Workspace, Path: r.Path, Token: r.Token}
	in, errs, err := s.newSource(&f)
	if err != nil {
		return err
	}
	if len(errs) > 0 {
		return &catalog.ValidationError{Fields: errs}
	}
	ctx := c.Request().Context()
	src, err := s.store.CreateSource(ctx, actor(c), in)
	if field, msg, status := refusedSource(err); status == http.StatusConflict {
		return echo.NewHTTPError(status, fmt.Sprintf("a source named %q exists; choose another name", in.Name)).SetInternal(err)
	} else if status != 0 {
		return catalog.FieldError(field, msg)
	} else if err != nil {
		return err
	}
	// Read back for the API's slug and name, which only a join knows.
	if src, err = s.store.SourceByID(ctx, src.ID); err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return created(c, "/api/v1/sources/"+strconv.FormatInt(src.ID, 10), sourceCreatedJSON{sourceJSON: sourceJSONOf(*src), IngestKey: in.IngestKey})
}

// jobJSON is a job with its schedule and latest run.
type jobJSON struct {
	Name        string     `json:"name"`
	Title       string     `json:"title"`
	Description string     `json:"description"`
	Schedule    string     `json:"schedule"` // "" runs only when asked to
	Enabled     bool       `json:"enabled"`
	Next        *time.Time `json:"next"` // null when not scheduled
	Running     bool       `json:"running"`
	LastRun     *runJSON   `json:"last_run"`
}

// runJSON is one run of a job, with its progress while it runs.
type runJSON struct {
	ID         int64            `json:"id"`
	Job        string           `json:"job"`
	Trigger    string           `json:"trigger"`
	StartedBy  string           `json:"started_by"`
	Status     string           `json:"status"` // running, succeeded or failed
	Done       int64            `json:"done"`
	Total      int64            `json:"total"`
	Counts     map[string]int64 `json:"counts"`
	Error      string           `json:"error"`
	StartedAt  time.Time        `json:"started_at"`
	FinishedAt *time.Time       `json:"finished_at"`
	Links      runLinksJSON     `json:"links"`
}

type runLinksJSON struct {
	Self string `json:"self"`
	Page string `json:"page"`
}

func runJSONOf(r models.JobRun) runJSON {
	id := strconv.FormatInt(r.ID, 10)
	return runJSON{
		ID: r.ID, Job: r.Job, Trigger: r.Trigger, StartedBy: r.StartedBy, Status: r.Status, Done: r.Done, Total: r.Total,
		Counts: r.CountMap(), Error: r.Error, StartedAt: r.StartedAt, FinishedAt: r.FinishedAt,
		Links: runLinksJSON{Self: "/api/v1/jobs/runs/" + id, Page: "/admin/jobs/runs/" + id},
	}
}

func (s *Server) apiListJobs(c echo.Context) error {
	if err := authorize(c, policy.JobsManage, policy.Object{Type: "job"}); err != nil {
		return err
	}
	last, err := s.store.LastJobRuns(c.Request().Context())
	if err != nil {
		return err
	}
	out := listJSON[jobJSON]{Items: []jobJSON{}}
	if s.jobs == nil {
		return c.JSON(http.StatusOK, out)
	}
	for _, j := range s.jobs.Jobs() {
		item := jobJSON{Name: j.Name, Title: j.Title, Description: j.Description, Schedule: j.Schedule, Enabled: j.Enabled, Running: j.Running}
		if !j.Next.IsZero() {
			next := j.Next.UTC()
			item.Next = &next
		}
		if r, ok := last[j.Name]; ok {
			run := runJSONOf(r)
			item.LastRun = &run
		}
		out.Items = append(out.Items, item)
	}
	return c.JSON(http.StatusOK, out)
}

// apiRunJob starts a run and answers at once with where to follow it.
func (s *Server) apiRunJob(c echo.Context) error {
	id, err := s.startJob(c, "follow its latest run in GET /api/v1/jobs")
	if err != nil {
		return err
	}
	r, err := s.store.JobRun(c.Request().Context(), id)
	if err != nil {
		return err
	}
	out := runJSONOf(*r)
	c.Response().Header().Set(echo.HeaderLocation, out.Links.Self)
	return c.JSON(http.StatusAccepted, out)
}

func (s *Server) apiGetJobRun(c echo.Context) error {
	if err := authorize(c, policy.JobsManage, policy.Object{Type: "job"}); err != nil {
		return err
	}
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil {
		return echo.NewHTTPError(http.StatusNotFound, fmt.Sprintf("there is no run %q", c.Param("id")))
	}
	r, err := s.store.JobRun(c.Request().Context(), id)
	if err != nil {
		return notFound(err, "there is no run %d", id)
	}
	return c.JSON(http.StatusOK, runJSONOf(*r))
}

// The window a traffic summary covers: by default the last week; never
// more than maxTrafficDays, which is longer than rollups are kept.
const (
	defaultTrafficDays = 7
	maxTrafficDays     = 400
)

// trafficJSON is a version's traffic over a window, as its traffic page
// totals it.
type trafficJSON struct {
	API     refJSON `json:"api"`
	Version string  `json:"version"`
	// From and To are the window actually summed: rollups are hourly, so
	// the asked-for range is widened to whole hours.
	From time.Time `json:"from"`
	To   time.Time `json:"to"`
	// NoData: no source covered the window, so whether the version was
	// used is unknown. NoTraffic: sources covered it and saw nothing.
	NoData    bool                  `json:"no_data"`
	NoTraffic bool                  `json:"no_traffic"`
	Sources   []coverageJSON        `json:"sources"`
	Totals    trafficTotalsJSON     `json:"totals"`
	Endpoints []endpointTrafficJSON `json:"endpoints"`
}

type coverageJSON struct {
	Name        string     `json:"name"`
	CoveredFrom *time.Time `json:"covered_from"`
	CoveredTo   *time.Time `json:"covered_to"`
}

// statusClassesJSON counts responses by status class.
type statusClassesJSON struct {
	S1xx    int64 `json:"1xx"`
	S2xx    int64 `json:"2xx"`
	S3xx    int64 `json:"3xx"`
	S4xx    int64 `json:"4xx"`
	S5xx    int64 `json:"5xx"`
	Unknown int64 `json:"unknown"`
}

// latencyJSON holds quantiles in milliseconds; null when no request in
// the window reported a duration.
type latencyJSON struct {
	P50 *float64 `json:"p50_ms"`
	P95 *float64 `json:"p95_ms"`
	P99 *float64 `json:"p99_ms"`
}

type trafficTotalsJSON struct {
	Requests   int64             `json:"requests"`
	Legitimate int64             `json:"legitimate"`
	Status     statusClassesJSON `json:"status"`
	latencyJSON
	ClientErrorRate       float64    `json:"client_error_rate"`
	ServerErrorRate       float64    `json:"server_error_rate"`
	HTTPSShare            float64    `json:"https_share"`
	AuthenticatedShare    float64    `json:"authenticated_share"`
	RateLimitHeadersShare float64    `json:"rate_limit_headers_share"`
	CompressedShare       float64    `json:"compressed_share"`
	Consumers             uint64     `json:"consumers"` // estimated distinct
	FirstSeen             *time.Time `json:"first_seen"`
	LastSeen              *time.Time `json:"last_seen"`
	LastLegitimate        *time.Time `json:"last_legitimate"`
}

type endpointTrafficJSON struct {
	Method     string            `json:"method"`
	Template   string            `json:"template"`
	Documented bool              `json:"documented"`
	Requests   int64             `json:"requests"`
	Status     statusClassesJSON `json:"status"`
	latencyJSON
	ClientErrorRate    float64    `json:"client_error_rate"`
	ServerErrorRate    float64    `json:"server_error_rate"`
	HTTPSShare         float64    `json:"https_share"`
	AuthenticatedShare float64    `json:"authenticated_share"`
	LastSeen           *time.Time `json:"last_seen"`
}

func statusClasses(b *rollup.Bucket) statusClassesJSON {
	return statusClassesJSON{S1xx: b.Status1xx, S2xx: b.Status2xx, S3xx: b.Status3xx, S4xx: b.Status4xx, S5xx: b.Status5xx, Unknown: b.StatusUnknown}
}

func latencyOf(sum rollup.Summary) latencyJSON {
	if sum.Timed == 0 {
		return latencyJSON{}
	}
	// Hundredths of a millisecond: the sketch is accurate to 1%, so more
	// digits would only be noise.
	ms := func(d time.Duration) *float64 {
		v := math.Round(float64(d)/float64(time.Millisecond)*100) / 100
		return &v
	}
	return latencyJSON{P50: ms(sum.P50), P95: ms(sum.P95), P99: ms(sum.P99)}
}

func optTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	t = t.UTC()
	return &t
}

// trafficWindow reads ?from= and ?to= (RFC 3339): by default the week up
// to the end of the current hour. Anything else in the query, a time that
// does not parse, an empty or reversed range or one over maxTrafficDays
// is a 400 naming the parameter.
func trafficWindow(c echo.Context, now time.Time) (from, to time.Time, err error) {
	bad := &catalog.ValidationError{}
	for name := range c.QueryParams() {
		if name != "from" && name != "to" {
			bad.Add(name, "unknown query parameter; use from and to")
		}
	}
	parse := func(name string) (time.Time, bool) {
		v := c.QueryParam(name)
		if v == "" {
			return time.Time{}, false
		}
		t, perr := time.Parse(time.RFC3339, v)
		if perr != nil {
			bad.Add(name, fmt.Sprintf("must be an RFC 3339 time such as 2026-01-02T15:04:05Z, not %q", v))
			return time.Time{}, false
		}
		return t.UTC(), true
	}
	from, hasFrom := parse("from")
	to, hasTo := parse("to")
	if !hasTo {
		to = now.UTC().Truncate(time.Hour).Add(time.Hour)
	}
	if !hasFrom {
		from = to.Add(-defaultTrafficDays * 24 * time.Hour)
	}
	switch {
	case len(bad.Fields) > 0:
	case !from.Before(to):
		bad.Add("from", "must be before to")
	case to.Sub(from) > maxTrafficDays*24*time.Hour:
		bad.Add("from", fmt.Sprintf("the range may span at most %d days", maxTrafficDays))
	}
	if err := bad.OrNil(); err != nil {
		return from, to, echo.NewHTTPError(http.StatusBadRequest, bad.Error()).SetInternal(bad)
	}
	// Whole hours: the hour holding from, to the end of the hour holding to.
	from = from.Truncate(time.Hour)
	if t := to.Truncate(time.Hour); !t.Equal(to) {
		to = t.Add(time.Hour)
	}
	return from, to, nil
}

// apiGetVersionTraffic totals a version's traffic per endpoint and
// overall, with the traffic page's no-data and no-traffic verdicts.
func (s *Server) apiGetVersionTraffic(c echo.Context) error {
	from, to, err := trafficWindow(c, time.Now())
	if err != nil {
		return err
	}
	v, err := s.version(c)
	if err != nil {
		return err
	}
	vt, err := s.versionTraffic(c.Request().Context(), v, from, to)
	if err != nil {
		return err
	}
	out := trafficJSON{
		API: refJSON{Slug: v.API.Slug, Name: v.API.Name}, Version: v.Name, From: from, To: to,
		NoData: vt.noData(), NoTraffic: vt.noTraffic(), Sources: []coverageJSON{}, Endpoints: []endpointTrafficJSON{},
	}
	for _, src := range vt.Sources {
		out.Sources = append(out.Sources, coverageJSON{Name: src.Name, CoveredFrom: src.CoveredFrom, CoveredTo: src.CoveredTo})
	}
	sum := vt.Summary
	out.Totals = trafficTotalsJSON{
		Requests: sum.Requests, Legitimate: sum.Legitimate, latencyJSON: latencyOf(sum),
		ClientErrorRate: sum.ClientErrorRate, ServerErrorRate: sum.ServerErrorRate, HTTPSShare: sum.HTTPSShare,
		AuthenticatedShare: sum.AuthenticatedShare, RateLimitHeadersShare: sum.RateLimitHeadersShare, CompressedShare: sum.CompressedShare,
		Consumers: sum.Consumers, FirstSeen: optTime(sum.FirstSeen), LastSeen: optTime(sum.LastSeen), LastLegitimate: optTime(sum.LastLegitimate),
	}
	for _, e := range vt.Endpoints {
		st := statusClasses(&e.Total)
		out.Totals.Status.S1xx += st.S1xx
		out.Totals.Status.S2xx += st.S2xx
		out.Totals.Status.S3xx += st.S3xx
		out.Totals.Status.S4xx += st.S4xx
		out.Totals.Status.S5xx += st.S5xx
		out.Totals.Status.Unknown += st.Unknown
		out.Endpoints = append(out.Endpoints, endpointTrafficJSON{
			Method: e.Method, Template: e.Template, Documented: e.Documented, Requests: e.Total.Count, Status: st,
			latencyJSON: latencyOf(e.Summary), ClientErrorRate: e.Summary.ClientErrorRate, ServerErrorRate: e.Summary.ServerErrorRate,
			HTTPSShare: e.Summary.HTTPSShare, AuthenticatedShare: e.Summary.AuthenticatedShare, LastSeen: optTime(e.Summary.LastSeen),
		})
	}
	return c.JSON(http.StatusOK, out)
}

// discoveredJSON is a host seen in traffic that no deployment claims.
type discoveredJSON struct {
	Host               string    `json:"host"`
	Status             string    `json:"status"` // new, claimed or ignored
	API                *string   `json:"api"`    // the slug of the API a claim created
	Requests           int64     `json:"requests"`
	HTTPSShare         float64   `json:"https_share"`
	AuthenticatedShare float64   `json:"authenticated_share"`
	Endpoints          int       `json:"endpoints"`
	FirstSeen          time.Time `json:"first_seen"`
	LastSeen           time.Time `json:"last_seen"`
	Page               string    `json:"page"` // where to claim or ignore it
}

// discoveredListJSON lists the hosts seen since From.
type discoveredListJSON struct {
	From  time.Time        `json:"from"`
	Items []discoveredJSON `json:"items"`
}

// apiListDiscovered lists the discovered APIs page's hosts, busiest
// first, seen since ?from= (RFC 3339; by default 30 days ago).
func (s *Server) apiListDiscovered(c echo.Context) error {
	now := time.Now().UTC()
	from := now.Add(-discoveryDays * 24 * time.Hour)
	bad := &catalog.ValidationError{}
	for name := range c.QueryParams() {
		if name != "from" {
			bad.Add(name, "unknown query parameter; use from")
		}
	}
	if v := c.QueryParam("from"); v != "" {
		t, err := time.Parse(time.RFC3339, v)
		switch {
		case err != nil:
			bad.Add("from", fmt.Sprintf("must be an RFC 3339 time such as 2026-01-02T15:04:05Z, not %q", v))
		case now.Sub(t) > maxTrafficDays*24*time.Hour:
			bad.Add("from", fmt.Sprintf("may be at most %d days ago", maxTrafficDays))
		default:
			from = t.UTC()
		}
	}
	if err := bad.OrNil(); err != nil {
		return echo.NewHTTPError(http.StatusBadRequest, bad.Error()).SetInternal(bad)
	}
	hosts, err := s.store.DiscoveredHosts(c.Request().Context(), from)
	if err != nil {
		return err
	}
	out := discoveredListJSON{From: from, Items: make([]discoveredJSON, len(hosts))}
	for i, h := range hosts {
		out.Items[i] = discoveredJSON{
			Host: h.Host, Status: h.Status, API: optString(h.APISlug), Requests: h.Requests,
			HTTPSShare: share(h.HTTPS, h.Requests), AuthenticatedShare: share(h.Authenticated, h.Requests), Endpoints: h.Endpoints,
			FirstSeen: h.FirstSeen.UTC(), LastSeen: h.LastSeen.UTC(), Page: discoveredURL(h.Host),
		}
	}
	return c.JSON(http.StatusOK, out)
}
