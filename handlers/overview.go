package handlers

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/steward-governance/steward/catalog"
	"github.com/steward-governance/steward/models"
	"github.com/steward-governance/steward/web"
)

// The governance overview: the organisation's report at the top of
// /governance (governance.go), each team's report, and the list of what
// is behind each figure. Every figure comes from the overview job's
// latest snapshot (jobs/overview.go), the trend lines from its daily
// snapshots; the pages compute nothing themselves.

const (
	// overviewTrendDays is how many days of daily snapshots the trend
	// lines draw.
	overviewTrendDays = 90
	// figurePageSize is how many members a figure's page lists at once.
	figurePageSize = 50
	// industrySource names where the industry's figures come from.
	industrySource = "Treblle, Anatomy of an API 2025"
)

// industryFigure is the industry's value for one of the overview's
// measures, in the figure's own unit.
type industryFigure struct {
	value float64
	text  string
}

// industryFigures are Treblle's 2025 report's figures for the measures the
// overview shares with it, shown beside the organisation's as a
// reference. The report has none for the others, so they show none.
var industryFigures = map[string]industryFigure{
	models.FigureAverageScore:        {58, "58/100"},
	models.FigurePlainHTTP:           {0.42, "42%"},
	models.FigureUnauthenticatedAPIs: {0.47, "47%"},
	models.FigureUnversionedAPIs:     {0.46, "46%"},
	models.FigureRateLimitedAPIs:     {0.15, "15%"},
}

// overviewData is what the overview pages read: the latest snapshot of
// each scope and the daily ones of the trend window, by team slug (empty
// for the organisation), with the teams' names.
type overviewData struct {
	latest  map[string]*models.GovernanceSnapshot
	history map[string][]models.GovernanceSnapshot
	names   map[string]string
	order   []string // team slugs by name
}

// loadOverview reads the latest snapshots of the scopes named (every
// scope when none is), their daily ones since historySince, and the
// teams' names.
func (s *Server) loadOverview(ctx context.Context, historySince time.Time, scopes ...string) (*overviewData, error) {
	d := &overviewData{latest: map[string]*models.GovernanceSnapshot{}, history: map[string][]models.GovernanceSnapshot{}, names: map[string]string{}}
	if len(scopes) == 0 {
		all, err := s.store.LatestGovernanceSnapshots(ctx)
		if err != nil {
			return nil, err
		}
		for i := range all {
			d.latest[all[i].TeamSlug] = &all[i]
		}
	}
	for _, sc := range scopes {
		snap, err := s.store.LatestGovernanceSnapshot(ctx, sc)
		if errors.Is(err, catalog.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		d.latest[sc] = snap
	}
	history, err := s.store.GovernanceHistory(ctx, historySince, scopes...)
	if err != nil {
		return nil, err
	}
	for _, h := range history {
		d.history[h.TeamSlug] = append(d.history[h.TeamSlug], h)
	}
	teams, err := s.store.ListTeams(ctx)
	if err != nil {
		return nil, err
	}
	for _, t := range teams {
		d.names[t.Slug] = t.Name
		d.order = append(d.order, t.Slug)
	}
	return d, nil
}

// figureValue formats a figure's value in its unit: "42%", "58/100", "3".
func figureValue(def models.FigureDef, f models.Figure) string {
	v, ok := f.Value(def.Unit)
	if !ok {
		return "–"
	}
	switch def.Unit {
	case models.UnitShare:
		return percent(v)
	case models.UnitScore:
		return fmt.Sprintf("%.0f/100", v)
	}
	return strconv.FormatInt(f.Numerator, 10)
}

// percent shows a share with one decimal below 10%, where a whole
// percent would hide the change people are working on.
func percent(v float64) string {
	p := 100 * v
	if p > 0 && p < 10 {
		return strconv.FormatFloat(p, 'f', 1, 64) + "%"
	}
	return strconv.FormatFloat(math.Round(p), 'f', 0, 64) + "%"
}

// plotted is a figure's value on its trend line: shares in percent.
func plotted(def models.FigureDef, f models.Figure) (float64, bool) {
	v, ok := f.Value(def.Unit)
	if ok && def.Unit == models.UnitShare {
		v *= 100
	}
	return v, ok
}

// figureURL is the page listing what is behind a figure, for a team or
// the organisation.
func figureURL(key, team string) string {
	u := "/governance/figures/" + url.PathEscape(key)
	if team != "" {
		u += "?team=" + url.QueryEscape(team)
	}
	return u
}

// figureCard builds a figure's card from a snapshot and the scope's
// daily history.
func figureCard(def models.FigureDef, f models.Figure, computedAt time.Time, history []models.GovernanceSnapshot, team string) web.FigureCard {
	c := web.FigureCard{
		Key: def.Key, Title: def.Title, Definition: def.Definition, Measured: f.Measured, Reason: f.Reason,
		Value: figureValue(def, f), ComputedAt: computedAt, URL: figureURL(def.Key, team),
	}
	if f.Measured {
		c.Ratio = fmt.Sprintf(def.Ratio, f.Numerator, f.Denominator)
	}
	if ind, ok := industryFigures[def.Key]; ok {
		c.Industry, c.IndustrySource = ind.text, industrySource
	}
	if f.DataAt != nil {
		what := "the data"
		switch def.Key {
		case models.FigureZombieVersions, models.FigureZombieEndpoints:
			what = "the zombie job's verdicts"
		case models.FigureDriftVersions:
			what = "the runtime scorecards"
		}
		c.DataNote = "From " + what + " of " + f.DataAt.UTC().Format("2 Jan 2006 15:04 UTC")
	}
	var points []web.SparkPoint
	for _, h := range history {
		hf, ok := h.Figure(def.Key)
		if !ok {
			continue
		}
		if v, ok := plotted(def, hf); ok {
			points = append(points, web.SparkPoint{At: h.Day, Value: v, Label: figureValue(def, hf)})
		}
	}
	lo, hi := 0.0, 100.0
	if def.Unit == models.UnitCount {
		hi = 0 // the values' own range
	}
	c.Trend = web.NewSparkline(points, 160, 36, lo, hi)
	if n := len(points); n > 1 {
		delta := points[n-1].Value - points[0].Value
		since := points[0].At.UTC().Format("2 Jan")
		switch {
		case math.Abs(delta) < 0.05:
			c.Change = "unchanged since " + since
		case def.Unit == models.UnitShare:
			c.Change = fmt.Sprintf("%+.1f points since %s", delta, since)
		default:
			c.Change = fmt.Sprintf("%+.0f since %s", delta, since)
		}
	}
	c.Details = figureDetails(def.Key, f)
	return c
}

// figureDetails breaks a figure down, where it has parts.
func figureDetails(key string, f models.Figure) []web.DetailItem {
	if !f.Measured || len(f.Detail) == 0 {
		return nil
	}
	var labels [][2]string
	switch key {
	case models.FigureAverageScore:
		for _, g := range []string{"A", "B", "C", "D", "F", "none"} {
			label := "Grade " + g
			if g == "none" {
				label = "Not scored"
			}
			labels = append(labels, [2]string{g, label})
		}
	case models.FigureDriftVersions:
		labels = [][2]string{{"unseen_endpoints", "Documented endpoints never called"}, {"undocumented_endpoints", "Undocumented endpoints"}, {"undocumented_status_codes", "Undocumented status codes"}}
	case models.FigurePendingApprovals:
		labels = [][2]string{{"exceptions", "Exception requests"}, {"waivers", "Waiver requests"}, {"retirements", "Retirement proposals"}}
	case models.FigureOpenFindings:
		labels = [][2]string{{"failing_rules", "Failing rules"}, {"versions_failing", "Versions failing"}}
	}
	var out []web.DetailItem
	for _, l := range labels {
		if n, ok := f.Detail[l[0]]; ok && (n > 0 || key != models.FigureAverageScore) {
			out = append(out, web.DetailItem{Label: l[1], Value: strconv.FormatInt(n, 10)})
		}
	}
	return out
}

// overviewReport builds a scope's report from its latest snapshot; base
// is the page's own path, for the export links.
func overviewReport(d *overviewData, team, base string) web.OverviewReport {
	r := web.OverviewReport{CSVURL: base + "?format=csv", PrintURL: base + "?print=1"}
	snap := d.latest[team]
	if snap == nil {
		return r
	}
	r.Computed, r.ComputedAt = true, snap.ComputedAt
	for _, def := range models.FigureDefs {
		f, ok := snap.Figure(def.Key)
		if !ok {
			continue
		}
		r.Figures = append(r.Figures, figureCard(def, f, snap.ComputedAt, d.history[team], team))
	}
	return r
}

// teamReportURL is a team's governance report.
func teamReportURL(slug string) string { return "/governance/teams/" + url.PathEscape(slug) }

// leaderRows ranks the teams by their average score; teams without a
// score come last, by name.
func leaderRows(d *overviewData) []web.LeaderRow {
	type team struct {
		slug  string
		snap  *models.GovernanceSnapshot
		score float64
		ok    bool
	}
	scoreDef, _ := models.FigureDefOf(models.FigureAverageScore)
	var teams []team
	for _, slug := range d.order {
		snap := d.latest[slug]
		if snap == nil {
			continue // created since the last run
		}
		f, _ := snap.Figure(models.FigureAverageScore)
		v, ok := f.Value(scoreDef.Unit)
		teams = append(teams, team{slug: slug, snap: snap, score: v, ok: ok})
	}
	sort.SliceStable(teams, func(i, j int) bool {
		if teams[i].ok != teams[j].ok {
			return teams[i].ok
		}
		return teams[i].ok && teams[i].score > teams[j].score
	})
	count := func(snap *models.GovernanceSnapshot, key string) string {
		if f, ok := snap.Figure(key); ok && f.Measured {
			return strconv.FormatInt(f.Numerator, 10)
		}
		return "–"
	}
	rows := make([]web.LeaderRow, 0, len(teams))
	for i, t := range teams {
		apis := "0"
		if f, ok := t.snap.Figure(models.FigureOwnerlessAPIs); ok {
			apis = strconv.FormatInt(f.Denominator, 10)
		}
		f, _ := t.snap.Figure(models.FigureAverageScore)
		row := web.LeaderRow{
			Name: d.names[t.slug], URL: teamReportURL(t.slug), APIs: apis,
			Score: figureValue(scoreDef, f), OpenFindings: count(t.snap, models.FigureOpenFindings),
			Zombies: count(t.snap, models.FigureZombieVersions), Pending: count(t.snap, models.FigurePendingApprovals),
		}
		var points []web.SparkPoint
		for _, h := range d.history[t.slug] {
			if hf, ok := h.Figure(models.FigureAverageScore); ok {
				if v, ok := hf.Value(scoreDef.Unit); ok {
					points = append(points, web.SparkPoint{At: h.Day, Value: v, Label: figureValue(scoreDef, hf)})
				}
			}
		}
		if t.ok {
			row.Rank = i + 1 // the teams with a score come first
		}
		row.Trend = web.NewSparkline(points, 100, 24, 0, 100)
		rows = append(rows, row)
	}
	return rows
}

// reportQuery reads the exports' query parameters: format=csv, print=1.
func reportQuery(c echo.Context) (csv, print bool, err error) {
	switch c.QueryParam("format") {
	case "", "html":
	case "csv":
		csv = true
	default:
		return false, false, echo.NewHTTPError(http.StatusBadRequest, "format must be csv (or left out for the page).")
	}
	switch c.QueryParam("print") {
	case "", "0":
	case "1":
		print = true
	default:
		return false, false, echo.NewHTTPError(http.StatusBadRequest, "print must be 1 (or left out).")
	}
	return csv, print, nil
}

func (s *Server) showGovernanceTeamPage(c echo.Context) error {
	ctx := c.Request().Context()
	asCSV, print, err := reportQuery(c)
	if err != nil {
		return err
	}
	t, err := s.store.GetTeam(ctx, c.Param("team"))
	if err != nil {
		return err
	}
	d, err := s.loadOverview(ctx, time.Now().UTC().AddDate(0, 0, -overviewTrendDays), t.Slug)
	if err != nil {
		return err
	}
	if asCSV {
		return s.sendOverviewCSV(c, "governance-"+t.Slug, d, []string{t.Slug})
	}
	p := web.TeamReportPage{
		Crumbs: []web.Crumb{{Label: "Governance", URL: "/governance"}, {Label: t.Name}},
		Name:   t.Name, Slug: t.Slug, TeamURL: "/teams/" + url.PathEscape(t.Slug),
		Report: overviewReport(d, t.Slug, teamReportURL(t.Slug)),
	}
	p.Report.Print = print
	if !p.Report.Computed && who(c).Admin {
		p.Report.JobsURL = "/admin/jobs"
	}
	return s.render(c, http.StatusOK, web.TeamReport(s.layout(c, t.Name+": governance report"), p))
}

// memberShows are the choices of which members a figure's page lists.
var memberShows = []struct{ value, label string }{
	{"counted", "Counted"}, {"others", "Not counted"}, {"all", "All measured"},
}

func (s *Server) showGovernanceFigurePage(c echo.Context) error {
	ctx := c.Request().Context()
	def, ok := models.FigureDefOf(c.Param("figure"))
	if !ok {
		return echo.NewHTTPError(http.StatusNotFound, fmt.Sprintf("There is no governance figure %q; the governance overview lists them.", c.Param("figure")))
	}
	asCSV, print, err := reportQuery(c)
	if err != nil {
		return err
	}
	show := c.QueryParam("show")
	if show == "" {
		show = "counted"
	}
	var counted *bool
	switch show {
	case "counted":
		counted = new(bool)
		*counted = true
	case "others":
		counted = new(bool)
	case "all":
	default:
		return echo.NewHTTPError(http.StatusBadRequest, "show must be counted, others or all.")
	}
	pageNo := 1
	if v := c.QueryParam("page"); v != "" {
		if pageNo, err = strconv.Atoi(v); err != nil || pageNo < 1 {
			return echo.NewHTTPError(http.StatusBadRequest, "page must be a whole number from 1.")
		}
	}
	team := c.QueryParam("team")
	if team != "" && def.OrgOnly {
		return echo.NewHTTPError(http.StatusBadRequest, def.Title+" belong to no team yet: leave out team.")
	}
	scopes := []string{""}
	if team != "" {
		if _, err := s.store.GetTeam(ctx, team); err != nil {
			return err
		}
		scopes = append(scopes, team)
	}
	d, err := s.loadOverview(ctx, time.Now().UTC().AddDate(0, 0, -overviewTrendDays), scopes...)
	if err != nil {
		return err
	}
	org := d.latest[""]
	q := models.MemberQuery{Figure: def.Key, Team: team, Counted: counted}
	if !asCSV {
		q.Limit, q.Offset = figurePageSize, (pageNo-1)*figurePageSize
	}
	var members []models.FigureMember
	var total int64
	if org != nil {
		q.SnapshotID = org.ID
		if members, total, err = s.store.GovernanceMembers(ctx, q); err != nil {
			return err
		}
	}
	if asCSV {
		name := "governance-" + def.Key
		if team != "" {
			name += "-" + team
		}
		return s.sendMembersCSV(c, name, def, members, d.names)
	}

	p := web.FigurePage{
		Crumbs:  []web.Crumb{{Label: "Governance", URL: "/governance"}, {Label: def.Title}},
		Members: def.Members, Computed: org != nil, Team: team, ShowValue: show, Total: total, Print: print,
		Count: memberCount(total, def.Members), ShowVersion: def.Members == "versions",
	}
	if team != "" {
		p.Crumbs = []web.Crumb{{Label: "Governance", URL: "/governance"}, {Label: d.names[team], URL: teamReportURL(team)}, {Label: def.Title}}
	}
	scoped := d.latest[team]
	switch {
	case scoped != nil:
		f, _ := scoped.Figure(def.Key)
		p.Card = figureCard(def, f, scoped.ComputedAt, d.history[team], team)
	case org != nil:
		p.Card = figureCard(def, models.Figure{Key: def.Key, Reason: "This team did not exist yet at the overview's last run."}, org.ComputedAt, nil, team)
	default:
		p.Card = web.FigureCard{Key: def.Key, Title: def.Title, Definition: def.Definition}
	}
	link := func(show string, page int) string {
		v := url.Values{}
		if team != "" {
			v.Set("team", team)
		}
		if show != "counted" {
			v.Set("show", show)
		}
		if page > 1 {
			v.Set("page", strconv.Itoa(page))
		}
		u := "/governance/figures/" + url.PathEscape(def.Key)
		if len(v) > 0 {
			u += "?" + v.Encode()
		}
		return u
	}
	for _, sh := range memberShows {
		p.Show = append(p.Show, web.FilterLink{Label: sh.label, URL: link(sh.value, 1), Active: sh.value == show})
	}
	if !def.OrgOnly {
		for _, slug := range d.order {
			p.TeamOptions = append(p.TeamOptions, web.Option{Value: slug, Label: d.names[slug]})
		}
	}
	p.CSVURL = link(show, 1)
	if strings.Contains(p.CSVURL, "?") {
		p.CSVURL += "&format=csv"
	} else {
		p.CSVURL += "?format=csv"
	}
	if pageNo > 1 {
		p.PrevURL = link(show, pageNo-1)
	}
	if int64(pageNo*figurePageSize) < total {
		p.NextURL = link(show, pageNo+1)
	}
	if def.Key == models.FigureZombieVersions {
		p.CatalogueURL = "/apis?zombie=1"
		if team != "" {
			p.CatalogueURL += "&team=" + url.QueryEscape(team)
		}
	}
	for _, m := range members {
		p.Rows = append(p.Rows, memberRow(m, d.names))
	}
	return s.render(c, http.StatusOK, web.FigureMembers(s.layout(c, def.Title), p))
}

// memberCount says how many members match: "1 API", "12 versions".
func memberCount(n int64, members string) string {
	if n == 1 {
		return "1 " + strings.TrimSuffix(members, "s")
	}
	return strconv.FormatInt(n, 10) + " " + members
}

// memberRow shows a figure's member with links to its page.
func memberRow(m models.FigureMember, names map[string]string) web.FigureMemberRow {
	r := web.FigureMemberRow{Detail: m.Detail, Counted: m.Counted, Version: m.Version}
	switch {
	case m.Host != "":
		r.Name, r.URL = m.Host, "/discovered/"+url.PathEscape(m.Host)
	default:
		r.Name, r.URL = m.APIName, "/apis/"+url.PathEscape(m.APISlug)
		if m.Version != "" {
			r.VersionURL = r.URL + "/versions/" + url.PathEscape(m.Version)
		}
	}
	if m.TeamSlug != "" {
		r.Team, r.TeamURL = names[m.TeamSlug], teamReportURL(m.TeamSlug)
		if r.Team == "" {
			r.Team = m.TeamSlug // deleted since
		}
	}
	return r
}
