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
	covered, err := s.coverage(ctx, v.API.ID, from, to, &p)
	if err != nil {
		return err
	}
	rows, err := s.store.TrafficRows(ctx, v.ID, from, to)
	if err != nil {
		return err
	}
	if len(rows) == 0 {
		p.NoData, p.NoTraffic = !covered, covered
		return s.render(c, http.StatusOK, web.Traffic(s.layout(c, "Traffic"), p))
	}
	buckets, err := bucketsOf(rows)
	if err != nil {
		return err
	}
	sum := rollup.Summarise(buckets)
	p.Summary = web.TrafficSummary{
		Requests: sum.Requests, Legitimate: sum.Legitimate, HTTPS: sum.HTTPSShare, Authenticated: sum.AuthenticatedShare,
		RateLimited: sum.RateLimitHeadersShare, Compressed: sum.CompressedShare, ClientErrors: sum.ClientErrorRate, ServerErrors: sum.ServerErrorRate,
		P50: latencyLabel(sum.P50, sum.Timed), P95: latencyLabel(sum.P95, sum.Timed), P99: latencyLabel(sum.P99, sum.Timed),
		Consumers: sum.Consumers, LastSeen: sum.LastSeen, LastLegitimate: sum.LastLegitimate,
	}
	days7 := dailyTraffic(buckets, from, days)
	p.Requests = web.NewRequestBars(days7, 720, 220)
	p.Latency = web.NewLatencyChart(days7, 720, 220)
	p.Endpoints = endpointTraffic(rows, buckets)
	consumers, err := s.store.TopConsumers(ctx, v.ID, from, to, topConsumers)
	if err != nil {
		return err
	}
	for _, cu := range consumers {
		p.Consumers = append(p.Consumers, web.ConsumerView{Consumer: shortHash(cu.Consumer), Requests: cu.Requests, Endpoints: cu.Endpoints, LastSeen: cu.LastSeen})
	}
	return s.render(c, http.StatusOK, web.Traffic(s.layout(c, "Traffic"), p))
}

// coverage lists the sources that can see apiID's traffic and reports
// whether any of them covered [from, to).
func (s *Server) coverage(ctx context.Context, apiID uint, from, to time.Time, p *web.TrafficPage) (bool, error) {
	srcs, err := s.store.Sources(ctx)
	if err != nil {
		return false, err
	}
	covered := false
	for _, src := range srcs {
		if src.APIID != nil && *src.APIID != apiID {
			continue
		}
		p.Coverage = append(p.Coverage, web.CoverageView{Source: src.Name, From: src.CoveredFrom, To: src.CoveredTo})
		if src.CoveredFrom != nil && src.CoveredTo != nil && src.CoveredFrom.Before(to) && !src.CoveredTo.Before(from) {
			covered = true
		}
	}
	return covered, nil
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

// endpointTraffic totals the window per endpoint, busiest first.
func endpointTraffic(rows []models.EndpointTraffic, buckets []rollup.Bucket) []web.EndpointTrafficView {
	type acc struct {
		b          rollup.Bucket
		documented bool
	}
	by := map[string]*acc{}
	var order []string
	for i, r := range rows {
		k := r.Method + " " + r.Template
		a := by[k]
		if a == nil {
			a = &acc{}
			by[k] = a
			order = append(order, k)
		}
		a.b.Merge(&buckets[i])
		a.b.Key = buckets[i].Key
		a.documented = r.Documented
	}
	out := make([]web.EndpointTrafficView, 0, len(order))
	for _, k := range order {
		a := by[k]
		sum := rollup.Summarise([]rollup.Bucket{a.b})
		out = append(out, web.EndpointTrafficView{Method: a.b.Key.Method, Template: a.b.Key.Template, Documented: a.documented,
			Requests: a.b.Count, ClientErrors: sum.ClientErrorRate, ServerErrors: sum.ServerErrorRate,
			P95: latencyLabel(sum.P95, sum.Timed), LastSeen: a.b.LastSeen})
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Requests > out[j].Requests })
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
