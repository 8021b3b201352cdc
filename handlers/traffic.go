package handlers

import (
	"context"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/steward-governance/steward/models"
	"github.com/steward-governance/steward/traffic/rollup"
	"github.com/steward-governance/steward/web"
)

// Traffic is what the runtime pages read.
type Traffic interface {
	TrafficRows(ctx context.Context, versionID uint, from, to time.Time) ([]models.EndpointTraffic, error)
	TopConsumers(ctx context.Context, versionID uint, from, to time.Time, limit int) ([]models.ConsumerUsage, error)
	ConsumersOf(ctx context.Context, versionID uint, operations []string, from time.Time) ([]models.AffectedConsumer, error)
}

// trafficWindows are the windows the traffic page offers, in days.
var trafficWindows = []int{1, 7, 30, 90}

// topConsumers is how many consumers the traffic page lists.
const topConsumers = 10

func (s *Server) showTrafficPage(c echo.Context) error {
	days := 7
	if q := c.QueryParam("days"); q != "" {
		n, err := strconv.Atoi(q)
		if err != nil || !slices.Contains(trafficWindows, n) {
			return echo.NewHTTPError(http.StatusBadRequest, "days must be 1, 7, 30 or 90.")
		}
		days = n
	}
	ctx := c.Request().Context()
	v, err := s.store.GetVersion(ctx, c.Param("api"), c.Param("version"))
	if err != nil {
		return err
	}
	to := time.Now().UTC().Truncate(time.Hour).Add(time.Hour)
	from := to.Add(-time.Duration(days) * 24 * time.Hour)
	base := "/apis/" + v.API.Slug + "/versions/" + v.Name
	p := web.TrafficPage{
		Crumbs: []web.Crumb{{Label: "Catalogue", URL: "/apis"}, {Label: v.API.Name, URL: "/apis/" + v.API.Slug}, {Label: v.Name, URL: base}, {Label: "Traffic"}},
		Base:   base, APIName: v.API.Name, Version: v.Name, Stage: v.Stage, Days: days, Windows: trafficWindows, From: from, To: to,
	}
	vt, err := s.versionTraffic(ctx, v, from, to)
	if err != nil {
		return err
	}
	for _, src := range vt.Sources {
		p.Coverage = append(p.Coverage, web.CoverageView{Source: src.Name, From: src.CoveredFrom, To: src.CoveredTo})
	}
	if len(vt.Buckets) == 0 {
		p.NoData, p.NoTraffic = vt.noData(), vt.noTraffic()
		return s.render(c, http.StatusOK, web.Traffic(s.layout(c, "Traffic"), p))
	}
	sum := vt.Summary
	p.Summary = web.TrafficSummary{
		Requests: sum.Requests, Legitimate: sum.Legitimate, HTTPS: sum.HTTPSShare, Authenticated: sum.AuthenticatedShare,
		RateLimited: sum.RateLimitHeadersShare, Compressed: sum.CompressedShare, ClientErrors: sum.ClientErrorRate, ServerErrors: sum.ServerErrorRate,
		P50: latencyLabel(sum.P50, sum.Timed), P95: latencyLabel(sum.P95, sum.Timed), P99: latencyLabel(sum.P99, sum.Timed),
		Consumers: sum.Consumers, LastSeen: sum.LastSeen, LastLegitimate: sum.LastLegitimate,
	}
	days7 := dailyTraffic(vt.Buckets, from, days)
	p.Requests = web.NewRequestBars(days7, 720, 220)
	p.Latency = web.NewLatencyChart(days7, 720, 220)
	for _, e := range vt.Endpoints {
		p.Endpoints = append(p.Endpoints, web.EndpointTrafficView{Method: e.Method, Template: e.Template, Documented: e.Documented,
			Requests: e.Total.Count, ClientErrors: e.Summary.ClientErrorRate, ServerErrors: e.Summary.ServerErrorRate,
			P95: latencyLabel(e.Summary.P95, e.Summary.Timed), LastSeen: e.Total.LastSeen})
	}
	consumers, err := s.store.TopConsumers(ctx, v.ID, from, to, topConsumers)
	if err != nil {
		return err
	}
	for _, cu := range consumers {
		p.Consumers = append(p.Consumers, web.ConsumerView{Consumer: shortHash(cu.Consumer), Requests: cu.Requests, Endpoints: cu.Endpoints, LastSeen: cu.LastSeen})
	}
	return s.render(c, http.StatusOK, web.Traffic(s.layout(c, "Traffic"), p))
}

// sourcesSeeing lists the sources that can see apiID's traffic (its own
// and those matching by deployment) and reports whether any of them
// covered part of [from, to).
func (s *Server) sourcesSeeing(ctx context.Context, apiID uint, from, to time.Time) ([]models.Source, bool, error) {
	srcs, err := s.store.Sources(ctx)
	if err != nil {
		return nil, false, err
	}
	var out []models.Source
	covered := false
	for _, src := range srcs {
		if src.APIID != nil && *src.APIID != apiID {
			continue
		}
		out = append(out, src)
		if src.CoveredFrom != nil && src.CoveredTo != nil && src.CoveredFrom.Before(to) && !src.CoveredTo.Before(from) {
			covered = true
		}
	}
	return out, covered, nil
}

// versionTraffic is a version's traffic over [from, to), added up: what
// the traffic page shows and the JSON API returns.
type versionTraffic struct {
	// Sources are those that can see the version's API; Covered says one
	// of them covered part of the window, so that no rows means the
	// version had no traffic rather than that nobody was looking.
	Sources []models.Source
	Covered bool
	// Buckets are the hourly rollups, oldest first.
	Buckets   []rollup.Bucket
	Summary   rollup.Summary
	Endpoints []endpointTotal // busiest first
}

// endpointTotal is one endpoint's traffic over the window.
type endpointTotal struct {
	Method, Template string
	Documented       bool
	Total            rollup.Bucket
	Summary          rollup.Summary
}

func (vt *versionTraffic) noData() bool    { return len(vt.Buckets) == 0 && !vt.Covered }
func (vt *versionTraffic) noTraffic() bool { return len(vt.Buckets) == 0 && vt.Covered }

// versionTraffic reads and adds up v's rollups in [from, to).
func (s *Server) versionTraffic(ctx context.Context, v *models.VersionDetail, from, to time.Time) (*versionTraffic, error) {
	srcs, covered, err := s.sourcesSeeing(ctx, v.API.ID, from, to)
	if err != nil {
		return nil, err
	}
	vt := &versionTraffic{Sources: srcs, Covered: covered}
	rows, err := s.store.TrafficRows(ctx, v.ID, from, to)
	if err != nil {
		return nil, err
	}
	if len(rows) == 0 {
		return vt, nil
	}
	if vt.Buckets, err = bucketsOf(rows); err != nil {
		return nil, err
	}
	vt.Summary = rollup.Summarise(vt.Buckets)
	vt.Endpoints = endpointTotals(rows, vt.Buckets)
	return vt, nil
}

// bucketsOf decodes stored rows into rollup buckets.
func bucketsOf(rows []models.EndpointTraffic) ([]rollup.Bucket, error) {
	out := make([]rollup.Bucket, len(rows))
	for i, r := range rows {
		if err := out[i].UnmarshalBinary(r.Sketches); err != nil {
			return nil, err
		}
		out[i].Key = rollup.Key{VersionID: int64(r.VersionID), Method: r.Method, Template: r.Template, Hour: r.Hour}
	}
	return out, nil
}

// dailyTraffic merges hourly buckets into days, with empty days kept so the
// chart's x axis is time.
func dailyTraffic(buckets []rollup.Bucket, from time.Time, days int) []web.DayTraffic {
	start := from.Truncate(24 * time.Hour)
	merged := make([]rollup.Bucket, days+1)
	for _, b := range buckets {
		i := int(b.Key.Hour.Sub(start) / (24 * time.Hour))
		if i >= 0 && i < len(merged) {
			merged[i].Merge(&b)
		}
	}
	out := make([]web.DayTraffic, 0, len(merged))
	for i := range merged {
		m := &merged[i]
		d := web.DayTraffic{Day: start.Add(time.Duration(i) * 24 * time.Hour), OK: m.Status2xx + m.Status1xx, Redirect: m.Status3xx,
			ClientError: m.Status4xx, ServerError: m.Status5xx, Other: m.StatusUnknown}
		if m.Timed > 0 {
			d.P50, d.P95 = m.Latency(0.5), m.Latency(0.95)
		}
		out = append(out, d)
	}
	// The first day is partial when the window does not start at midnight;
	// drop it if it is empty rather than show a gap.
	if len(out) > days && out[0].Total() == 0 {
		out = out[1:]
	}
	return out
}

// endpointTotals totals the window per endpoint, busiest first.
func endpointTotals(rows []models.EndpointTraffic, buckets []rollup.Bucket) []endpointTotal {
	by := map[string]*endpointTotal{}
	var order []string
	for i, r := range rows {
		k := r.Method + " " + r.Template
		e := by[k]
		if e == nil {
			e = &endpointTotal{Method: r.Method, Template: r.Template}
			by[k] = e
			order = append(order, k)
		}
		e.Total.Merge(&buckets[i])
		e.Total.Key = buckets[i].Key
		e.Documented = r.Documented
	}
	out := make([]endpointTotal, 0, len(order))
	for _, k := range order {
		e := by[k]
		e.Summary = rollup.Summarise([]rollup.Bucket{e.Total})
		out = append(out, *e)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Total.Count > out[j].Total.Count })
	return out
}

func latencyLabel(d time.Duration, timed int64) string {
	if timed == 0 {
		return "—"
	}
	if d >= time.Second {
		return d.Round(10 * time.Millisecond).String()
	}
	return d.Round(100 * time.Microsecond).String()
}

// shortHash shows enough of a consumer hash to tell consumers apart.
func shortHash(h string) string {
	if len(h) > 12 {
		return h[:12]
	}
	return h
}
