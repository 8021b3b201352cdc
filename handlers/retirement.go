package handlers

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/steward-governance/steward/catalog"
	"github.com/steward-governance/steward/lifecycle"
	"github.com/steward-governance/steward/models"
	"github.com/steward-governance/steward/policy"
	"github.com/steward-governance/steward/retirement"
	"github.com/steward-governance/steward/web"
)

// Retirements is what the retirement pages need: cases, their timelines,
// the zombie verdicts and the settings.
type Retirements interface {
	retirement.Store
	retirement.Traffic
	CaseEvents(ctx context.Context, id int64) ([]models.CaseEvent, error)
	ListCases(ctx context.Context, f models.CaseFilter) ([]retirement.Case, error)
	SaveRetirementSettings(ctx context.Context, actor catalog.Actor, set retirement.Settings) error
	APIZombieWindows(ctx context.Context) ([]models.APIZombieWindow, error)
	SetAPIZombieWindow(ctx context.Context, actor catalog.Actor, apiSlug string, days int) error
	ZombieVerdicts(ctx context.Context, versionIDs []uint) (map[uint]models.ZombieVerdict, error)
	ZombieEndpointsOf(ctx context.Context, versionID uint) ([]models.ZombieEndpoint, error)
	DailyTraffic(ctx context.Context, versionID uint, endpoints []string, from, to time.Time) ([]models.DailyLegitimate, error)
}

// retirements carries out cases with the standard's lifecycle gates.
func (s *Server) retirements() *retirement.Service {
	return &retirement.Service{Store: s.store, Traffic: s.store,
		Gates: func(ctx context.Context) (lifecycle.Gates, error) { return s.lifecycleGates(ctx), nil }}
}

// retirementActor is the person as the retirement rules see them.
func retirementActor(c echo.Context) retirement.Actor {
	id := who(c)
	a := retirement.Actor{Actor: actor(c), UserID: id.UserID, Governance: id.Governance, Admin: id.Admin}
	for team, role := range id.Teams {
		if role == policy.RoleOwner {
			a.OwnerOf = append(a.OwnerOf, team)
		}
	}
	slices.Sort(a.OwnerOf)
	return a
}

func caseObject(rc *retirement.Case) policy.Object {
	return policy.Object{Type: "retirement", Key: rc.Key(), TeamSlug: rc.TeamSlug}
}

// refusal turns the retirement rules' refusals into what the error page
// shows, with their own words.
func refusal(err error) error {
	var re *retirement.Error
	if errors.As(err, &re) {
		return echo.NewHTTPError(statusOf(re.Kind), re.Message).SetInternal(err)
	}
	return err
}

// caseStates orders the overview: what needs a decision first.
var caseStates = []struct {
	state retirement.State
	title string
}{
	{retirement.Proposed, "Waiting for approval"},
	{retirement.Blocked, "Blocked at the sunset"},
	{retirement.Approved, "Deprecated, sunset ahead"},
	{retirement.Retired, "Retired"},
	{retirement.Rejected, "Rejected"},
}

// overviewLength bounds the cases the overview lists.
const overviewLength = 500

// showRetirementsPage lists every case by state; ?waiting=me keeps those
// waiting for the person's decision.
func (s *Server) showRetirementsPage(c echo.Context) error {
	cases, err := s.store.ListCases(c.Request().Context(), models.CaseFilter{Limit: overviewLength})
	if err != nil {
		return err
	}
	a := retirementActor(c)
	p := web.RetirementsPage{Waiting: c.QueryParam("waiting") == "me", CanConfigure: can(c, policy.RetirementSettings, policy.Object{Type: "retirement_settings"})}
	for _, st := range caseStates {
		g := web.RetirementGroup{State: string(st.state), Title: st.title}
		for _, rc := range cases {
			if rc.State != st.state || (p.Waiting && !waitingFor(rc, a)) {
				continue
			}
			g.Rows = append(g.Rows, caseRow(rc))
		}
		p.Total += len(g.Rows)
		p.Groups = append(p.Groups, g)
	}
	return s.render(c, http.StatusOK, web.Retirements(s.layout(c, "Retirements"), p))
}

// waitingFor reports whether a case waits for a's decision: an approval
// they can give, or a blocked sunset they can extend or override.
func waitingFor(rc retirement.Case, a retirement.Actor) bool {
	switch rc.State {
	case retirement.Proposed:
		return retirement.Allowed(rc, a, retirement.Approve) == nil
	case retirement.Blocked:
		return retirement.Allowed(rc, a, retirement.Extend) == nil || retirement.Allowed(rc, a, retirement.Override) == nil
	}
	return false
}

func caseRow(rc retirement.Case) web.RetirementRow {
	r := web.RetirementRow{URL: retirement.CasePath(rc.ID), Subject: rc.Subject(), Team: rc.TeamSlug, State: string(rc.State),
		Sunset: sunsetLabel(rc), OpenedBy: openedBy(rc), OpenedAt: rc.OpenedAt, Consumers: rc.Consumers}
	switch rc.State {
	case retirement.Proposed:
		r.Waiting = missingLabel(rc)
	case retirement.Blocked:
		r.Waiting = "owners of team " + rc.TeamSlug + " (extend) or a governance lead (retire anyway)"
	case retirement.Approved:
		r.Waiting = "the sunset"
	}
	return r
}

func sunsetLabel(rc retirement.Case) string {
	if rc.Sunset.IsZero() {
		return fmt.Sprintf("%d days after approval", rc.NoticeDays)
	}
	return lifecycle.FormatDate(rc.Sunset)
}

func openedBy(rc retirement.Case) string {
	if rc.OpenedBy == retirement.SystemActor("zombies").Name {
		return "the zombie job"
	}
	return rc.OpenedBy
}

func missingLabel(rc retirement.Case) string {
	var names []string
	for _, slot := range rc.Missing() {
		if slot == retirement.RoleGovernance {
			names = append(names, "a governance lead")
		} else {
			names = append(names, "an owner of team "+rc.TeamSlug)
		}
	}
	return strings.Join(names, " and ")
}

// loadCase reads the case named in the URL.
func (s *Server) loadCase(c echo.Context) (*retirement.Case, error) {
	id, err := strconv.ParseInt(c.Param("case"), 10, 64)
	if err != nil || id <= 0 {
		return nil, echo.NewHTTPError(http.StatusNotFound, fmt.Sprintf("%q is not a retirement case.", c.Param("case")))
	}
	return s.store.Case(c.Request().Context(), id)
}

// caseFlash is what the case page says after a decision.
func caseFlash(done string) string {
	return map[string]string{
		"proposed": "Retirement proposed: the approvers have it in their inbox.",
		"approve":  "Approved.",
		"reject":   "Rejected.",
		"comment":  "Comment added.",
		"extend":   "Sunset moved; reminders start over.",
		"override": "Retired.",
	}[done]
}

func (s *Server) showRetirementCasePage(c echo.Context) error {
	rc, err := s.loadCase(c)
	if err != nil {
		return err
	}
	return s.renderCase(c, http.StatusOK, rc, func(p *web.RetirementCasePage) { p.Flash = caseFlash(c.QueryParam("done")) })
}

// renderCase shows a case; adjust fills in a failed form's values and
// errors.
func (s *Server) renderCase(c echo.Context, status int, rc *retirement.Case, adjust func(*web.RetirementCasePage)) error {
	ctx := c.Request().Context()
	events, err := s.store.CaseEvents(ctx, rc.ID)
	if err != nil {
		return err
	}
	versionURL := "/apis/" + rc.APISlug + "/versions/" + rc.Version
	p := web.RetirementCasePage{
		Crumbs: []web.Crumb{{Label: "Retirements", URL: "/retirements"}, {Label: rc.Subject()}},
		Base:   retirement.CasePath(rc.ID), Subject: rc.Subject(), APIName: rc.APIName, APIURL: "/apis/" + rc.APISlug, Version: rc.Version,
		VersionURL: versionURL, Team: rc.TeamSlug, Visibility: string(rc.Visibility), State: string(rc.State), Scope: string(rc.Scope),
		Endpoints: rc.Endpoints, Reason: rc.Reason, MigrationNotesHTML: web.Markdown(rc.MigrationNotes), Replacement: rc.Replacement,
		MigrationURL: rc.MigrationURL, Deprecation: "on approval", Sunset: sunsetLabel(*rc), OpenedBy: openedBy(*rc), OpenedAt: rc.OpenedAt,
		DecisionNote: rc.DecisionNote, Consumers: rc.Consumers, HasNotice: rc.NoticeStart != nil, Errors: web.FieldErrors{},
	}
	if !rc.Deprecation.IsZero() {
		p.Deprecation = lifecycle.FormatDate(rc.Deprecation)
	}
	if rc.State == retirement.Proposed {
		p.Missing = missingLabel(*rc)
	}
	for _, a := range rc.Approvals {
		role := "owner of team " + rc.TeamSlug
		if a.Slot == retirement.RoleGovernance {
			role = "governance lead"
		}
		p.Approvals = append(p.Approvals, web.ApprovalView{Role: role, By: a.By, At: a.At})
	}
	for _, e := range events {
		p.Timeline = append(p.Timeline, web.CaseEventView{What: eventLabel(e), Actor: e.Actor, Text: e.Body, At: e.At})
	}
	a := retirementActor(c)
	allowed := func(ev retirement.Event) bool { return retirement.Allowed(*rc, a, ev) == nil }
	p.Actions = web.CaseActions{Approve: allowed(retirement.Approve), Reject: allowed(retirement.Reject), Extend: allowed(retirement.Extend),
		Override: allowed(retirement.Override), Comment: allowed(retirement.Comment)}
	if err := retirement.Allowed(*rc, a, retirement.Approve); rc.State == retirement.Proposed && err != nil && p.Actions.Reject {
		p.Actions.ApproveNote = err.Error()
	}
	if err := s.caseTraffic(ctx, rc, &p); err != nil {
		return err
	}
	if adjust != nil {
		adjust(&p)
	}
	return s.render(c, status, web.RetirementCase(s.layout(c, "Retiring "+rc.Subject()), p))
}

// eventLabel says what a timeline entry did.
func eventLabel(e models.CaseEvent) string {
	switch retirement.Event(e.Event) {
	case retirement.Opened:
		return "proposed"
	case retirement.Approve:
		return "approved"
	case retirement.Reject:
		return "rejected"
	case retirement.Comment:
		return "commented"
	case retirement.Extend:
		return "moved the sunset"
	case retirement.Remind:
		return "sent the sunset reminder"
	case retirement.Block:
		return "blocked the sunset"
	case retirement.Retire:
		return "retired"
	case retirement.Override:
		return "retired anyway"
	case retirement.Undone:
		return "undid a step"
	}
	return e.Event
}

// consumersShown bounds the consumers a case lists.
const consumersShown = 50

// quietLookback is how far back a case not yet approved looks for its
// consumers: the zombie window's default.
const quietLookback = retirement.DefaultZombieDays * 24 * time.Hour

// caseTraffic fills in who still calls the case's version (or endpoints)
// since the notice began, or in the last weeks before it, and the chart
// of its traffic since then.
func (s *Server) caseTraffic(ctx context.Context, rc *retirement.Case, p *web.RetirementCasePage) error {
	now := time.Now().UTC()
	since := now.Add(-quietLookback)
	if rc.NoticeStart != nil {
		since = *rc.NoticeStart
	}
	end := now.Add(time.Hour)
	if rc.ClosedAt != nil {
		end = rc.ClosedAt.Add(time.Hour)
	}
	p.ConsumersSince = since
	var err error
	if p.RemainingConsumers, err = s.remainingConsumers(ctx, rc, since, end); err != nil {
		return err
	}
	days, err := s.store.DailyTraffic(ctx, rc.VersionID, rc.Endpoints, since, end)
	if err != nil {
		return err
	}
	if len(days) == 0 {
		return nil
	}
	var bars []web.DayTraffic
	at := map[time.Time]models.DailyLegitimate{}
	for _, d := range days {
		at[d.Day] = d
	}
	for d := since.UTC().Truncate(24 * time.Hour); d.Before(end); d = d.AddDate(0, 0, 1) {
		x := at[d]
		bars = append(bars, web.DayTraffic{Day: d, OK: x.Legitimate, Other: x.Requests - x.Legitimate})
	}
	p.Chart, p.HasChart = web.NewRequestBars(bars, 720, 200), true
	for i := range p.Chart.Bars {
		d := bars[i]
		p.Chart.Bars[i].Title = fmt.Sprintf("%s: %d legitimate requests, %d others", d.Day.Format("2 Jan"), d.OK, d.Other)
	}
	return nil
}

// remainingConsumers lists the consumers with legitimate calls to the
// case's scope in [since, end), busiest first. Consumers are counted per
// day, so on the notice's first day the count may include calls from
// before it; a consumer last seen before it is left out.
func (s *Server) remainingConsumers(ctx context.Context, rc *retirement.Case, since, end time.Time) ([]web.ConsumerView, error) {
	var out []web.ConsumerView
	if rc.Scope == retirement.ScopeEndpoints {
		rows, err := s.store.ConsumersOf(ctx, rc.VersionID, rc.Endpoints, since)
		if err != nil {
			return nil, err
		}
		by := map[string]int{}
		for _, r := range rows {
			if r.LastSeen.Before(since) {
				continue
			}
			i, ok := by[r.Consumer]
			if !ok {
				i = len(out)
				by[r.Consumer] = i
				out = append(out, web.ConsumerView{Consumer: shortHash(r.Consumer)})
			}
			out[i].Requests += r.Requests
			out[i].Endpoints++
			if r.LastSeen.After(out[i].LastSeen) {
				out[i].LastSeen = r.LastSeen
			}
		}
		slices.SortStableFunc(out, func(a, b web.ConsumerView) int { return int(b.Requests - a.Requests) })
		return out[:min(len(out), consumersShown)], nil
	}
	rows, err := s.store.TopConsumers(ctx, rc.VersionID, since, end, 0)
	if err != nil {
		return nil, err
	}
	for _, r := range rows {
		if r.Legitimate == 0 || r.LastSeen.Before(since) {
			continue // probes and refused calls are not consumers to warn
		}
		out = append(out, web.ConsumerView{Consumer: shortHash(r.Consumer), Requests: r.Legitimate, Endpoints: r.Endpoints, LastSeen: r.LastSeen})
		if len(out) == consumersShown {
			break
		}
	}
	return out, nil
}

// showNoticePage shows the exact headers and gateway configuration of an
// approved case, and who still calls.
func (s *Server) showNoticePage(c echo.Context) error {
	rc, err := s.loadCase(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	p := web.NoticePage{
		Crumbs:  []web.Crumb{{Label: "Retirements", URL: "/retirements"}, {Label: rc.Subject(), URL: retirement.CasePath(rc.ID)}, {Label: "Notice"}},
		CaseURL: retirement.CasePath(rc.ID), Subject: rc.Subject(), State: string(rc.State), Endpoints: rc.Endpoints,
		Deprecation: "on approval", Sunset: sunsetLabel(*rc), Replacement: rc.Replacement, MigrationNotesHTML: web.Markdown(rc.MigrationNotes),
	}
	if rc.NoticeStart != nil {
		p.Deprecation = lifecycle.FormatDate(rc.Deprecation)
		n := retirement.NewNotice(*rc, s.absoluteURL(c, retirement.NoticePath(rc.ID)))
		for _, h := range n.Headers {
			p.Headers = append(p.Headers, web.HeaderView{Name: h.Name, Value: h.Value})
		}
		p.Kong, p.Nginx = n.Kong, n.Nginx
		if p.Consumers, err = s.remainingConsumers(ctx, rc, *rc.NoticeStart, time.Now().UTC().Add(time.Hour)); err != nil {
			return err
		}
	}
	return s.render(c, http.StatusOK, web.Notice(s.layout(c, "Notice: "+rc.Subject()), p))
}

// absoluteURL makes a path absolute with STEWARD_BASE_URL, or the address
// the request came to when none is configured.
func (s *Server) absoluteURL(c echo.Context, path string) string {
	if base := strings.TrimRight(s.cfg.BaseURL, "/"); base != "" {
		return base + path
	}
	return c.Scheme() + "://" + c.Request().Host + path
}

// caseDecisionForm is a decision on a case as posted.
type caseDecisionForm struct {
	Text   string `form:"text"`
	Sunset string `form:"sunset"`
}

func (s *Server) approveRetirement(c echo.Context) error {
	return s.decideCase(c, retirement.Approve, policy.RetirementDecide)
}

func (s *Server) rejectRetirement(c echo.Context) error {
	return s.decideCase(c, retirement.Reject, policy.RetirementDecide)
}

func (s *Server) extendRetirement(c echo.Context) error {
	return s.decideCase(c, retirement.Extend, policy.RetirementDecide)
}

func (s *Server) overrideRetirement(c echo.Context) error {
	return s.decideCase(c, retirement.Override, policy.LifecycleOverride)
}

func (s *Server) commentRetirement(c echo.Context) error {
	return s.decideCase(c, retirement.Comment, policy.CatalogRead)
}

// decideCase takes a decision on a case: load, authorise (the policy,
// then the retirement rules, so a person who may never decide is refused
// before a case that moved on is reported), bind, act, redirect or show
// the form again with its errors.
func (s *Server) decideCase(c echo.Context, ev retirement.Event, act policy.Action) error {
	rc, err := s.loadCase(c)
	if err != nil {
		return err
	}
	if err := authorize(c, act, caseObject(rc)); err != nil {
		return err
	}
	a := retirementActor(c)
	if err := retirement.Allowed(*rc, a, ev); err != nil && errors.Is(err, catalog.ErrForbidden) {
		return refusal(err)
	}
	var f caseDecisionForm
	if err := bindForm(c, &f); err != nil {
		return err
	}
	in := retirement.Input{Text: f.Text}
	if ev == retirement.Extend {
		d, err := time.Parse(time.DateOnly, strings.TrimSpace(f.Sunset))
		if err != nil {
			return s.renderCaseForm(c, rc, ev, f, web.FieldErrors{"sunset": "give the new sunset as a date (YYYY-MM-DD)"})
		}
		in.Sunset = d
	}
	_, err = s.retirements().Act(c.Request().Context(), a, rc.ID, ev, in)
	var ve *catalog.ValidationError
	if errors.As(err, &ve) {
		errs := web.FieldErrors{}
		for field, msg := range ve.Fields {
			if field == "text" {
				field = map[retirement.Event]string{retirement.Reject: "reject", retirement.Override: "override", retirement.Comment: "comment"}[ev]
			}
			errs[field] = msg
		}
		return s.renderCaseForm(c, rc, ev, f, errs)
	}
	if err != nil {
		return refusal(err)
	}
	return c.Redirect(http.StatusSeeOther, retirement.CasePath(rc.ID)+"?done="+string(ev))
}

// renderCaseForm shows the case again with a decision's form as typed.
func (s *Server) renderCaseForm(c echo.Context, rc *retirement.Case, ev retirement.Event, f caseDecisionForm, errs web.FieldErrors) error {
	fresh, err := s.store.Case(c.Request().Context(), rc.ID)
	if err != nil {
		return err
	}
	return s.renderCase(c, http.StatusUnprocessableEntity, fresh, func(p *web.RetirementCasePage) {
		p.Errors = errs
		switch ev {
		case retirement.Reject:
			p.Values.Reject = f.Text
		case retirement.Override:
			p.Values.Override = f.Text
		case retirement.Comment:
			p.Values.Comment = f.Text
		case retirement.Extend:
			p.Values.Sunset = f.Sunset
		}
	})
}

// proposeForm is the propose-retirement form as posted.
type proposeForm struct {
	Scope          string   `form:"scope"`
	Endpoints      []string `form:"endpoints"`
	Reason         string   `form:"reason"`
	Deprecation    string   `form:"deprecation"`
	Sunset         string   `form:"sunset"`
	Replacement    string   `form:"replacement"`
	MigrationURL   string   `form:"migration_url"`
	MigrationNotes string   `form:"migration_notes"`
}

// proposal copies the form into a proposal; dates that do not parse come
// back as field errors.
func (f proposeForm) proposal() (retirement.Proposal, error) {
	p := retirement.Proposal{Scope: retirement.Scope(f.Scope), Endpoints: f.Endpoints, Reason: f.Reason, Replacement: f.Replacement,
		MigrationURL: f.MigrationURL, MigrationNotes: f.MigrationNotes}
	v := &catalog.ValidationError{}
	date := func(field, raw string) time.Time {
		raw = strings.TrimSpace(raw)
		if raw == "" {
			return time.Time{}
		}
		d, err := time.Parse(time.DateOnly, raw)
		if err != nil {
			v.Add(field, "give a date (YYYY-MM-DD)")
		}
		return d
	}
	p.Deprecation, p.Sunset = date("deprecation", f.Deprecation), date("sunset", f.Sunset)
	return p, v.OrNil()
}

func (f proposeForm) values() web.ProposeValues {
	return web.ProposeValues{Scope: f.Scope, Reason: f.Reason, Deprecation: f.Deprecation, Sunset: f.Sunset, Replacement: f.Replacement,
		MigrationURL: f.MigrationURL, MigrationNotes: f.MigrationNotes}
}

func (s *Server) showRetireVersionPage(c echo.Context) error {
	return s.renderRetireVersion(c, http.StatusOK, proposeForm{}, nil)
}

// renderRetireVersion shows a version's retirement page: the zombie
// verdict, its cases and, for those who may, the propose form.
func (s *Server) renderRetireVersion(c echo.Context, status int, f proposeForm, errs web.FieldErrors) error {
	ctx := c.Request().Context()
	v, err := s.store.GetVersion(ctx, c.Param("api"), c.Param("version"))
	if err != nil {
		return err
	}
	base := "/apis/" + v.API.Slug + "/versions/" + v.Name
	p := web.RetireVersionPage{
		Crumbs:  []web.Crumb{{Label: "Catalogue", URL: "/apis"}, {Label: v.API.Name, URL: "/apis/" + v.API.Slug}, {Label: v.Name, URL: base}, {Label: "Retire"}},
		APIName: v.API.Name, Version: v.Name, VersionURL: base, Stage: v.Stage, Action: base + "/retirements", Values: f.values(), Errors: errs,
	}
	verdicts, err := s.store.ZombieVerdicts(ctx, []uint{v.ID})
	if err != nil {
		return err
	}
	zombieOps := map[string]bool{}
	if zv, ok := verdicts[v.ID]; ok {
		p.Verdict, p.VerdictReason, p.VerdictAt = zv.Verdict, zv.Reason, zv.ComputedAt
		eps, err := s.store.ZombieEndpointsOf(ctx, v.ID)
		if err != nil {
			return err
		}
		for _, e := range eps {
			op := e.Method + " " + e.Template
			p.ZombieEndpoints = append(p.ZombieEndpoints, op)
			zombieOps[op] = true
		}
	}
	cases, err := s.store.ListCases(ctx, models.CaseFilter{VersionID: v.ID, Limit: 20})
	if err != nil {
		return err
	}
	for _, rc := range cases {
		p.Cases = append(p.Cases, caseRow(rc))
		if rc.State.Open() && p.OpenCaseURL == "" {
			p.OpenCaseURL = retirement.CasePath(rc.ID)
		}
	}
	set, err := s.store.RetirementSettings(ctx)
	if err != nil {
		return err
	}
	p.NoticeDays = set.WithDefaults().NoticeDays
	checked := map[string]bool{}
	for _, e := range f.Endpoints {
		checked[e] = true
	}
	for _, e := range v.Endpoints {
		op := strings.ToUpper(e.Method) + " " + e.Path
		p.Endpoints = append(p.Endpoints, web.EndpointChoice{Op: op, Zombie: zombieOps[op], Checked: checked[op]})
	}
	a := retirementActor(c)
	switch {
	case p.OpenCaseURL != "":
		p.ProposeNote = "This version has an open retirement case."
	case v.Stage != string(catalog.StageProduction) && v.Stage != string(catalog.StagePreview) && v.Stage != string(catalog.StageDeprecated):
		p.ProposeNote = "Only versions in preview, production or deprecated are retired through a case; change the stage of a " + v.Stage + " version instead."
	case !can(c, policy.RetirementDecide, versionObject(v)) || !(a.Has(retirement.RoleOwner, v.TeamSlug) || a.Governance || a.Admin):
		p.ProposeNote = "Owners of team " + v.TeamSlug + " and governance leads may propose retiring this version; say why on its team's channel."
	default:
		p.CanPropose = true
	}
	return s.render(c, status, web.RetireVersion(s.layout(c, "Retire "+v.API.Name+" "+v.Name), p))
}

// proposeRetirement opens a case for a version.
func (s *Server) proposeRetirement(c echo.Context) error {
	ctx := c.Request().Context()
	v, err := s.store.GetVersion(ctx, c.Param("api"), c.Param("version"))
	if err != nil {
		return err
	}
	if err := authorize(c, policy.RetirementDecide, versionObject(v)); err != nil {
		return err
	}
	var f proposeForm
	if err := bindForm(c, &f); err != nil {
		return err
	}
	p, err := f.proposal()
	if err == nil {
		var rc *retirement.Case
		rc, err = s.retirements().Open(ctx, retirementActor(c), v.API.Slug, v.Name, p)
		if err == nil {
			return c.Redirect(http.StatusSeeOther, retirement.CasePath(rc.ID)+"?done=proposed")
		}
	}
	errs, err := fieldErrors(err)
	if err != nil {
		return refusal(err)
	}
	return s.renderRetireVersion(c, http.StatusUnprocessableEntity, f, errs)
}

// settingsForm is the retirement settings form as posted.
type settingsForm struct {
	ZombieDays      string `form:"zombie_days"`
	NoticeDays      string `form:"notice_days"`
	CoolOffDays     string `form:"cooloff_days"`
	GracePercent    string `form:"grace_percent"`
	FinalWindowDays string `form:"final_window_days"`
}

func (f settingsForm) settings() (retirement.Settings, error) {
	v := &catalog.ValidationError{}
	num := func(field, raw string) int {
		n, err := strconv.Atoi(strings.TrimSpace(raw))
		if err != nil {
			v.Add(field, "give a whole number of days")
		}
		return n
	}
	set := retirement.Settings{ZombieDays: num("zombie_days", f.ZombieDays), NoticeDays: num("notice_days", f.NoticeDays),
		CoolOffDays: num("cooloff_days", f.CoolOffDays), FinalWindowDays: num("final_window_days", f.FinalWindowDays)}
	g, err := strconv.ParseFloat(strings.TrimSpace(f.GracePercent), 64)
	if err != nil {
		v.Add("grace_percent", "give a percentage, such as 1 or 0.5")
	}
	set.GracePercent = g
	if err := v.OrNil(); err != nil {
		return set, err
	}
	return set, set.Validate()
}

func settingsValues(set retirement.Settings) web.SettingsValues {
	return web.SettingsValues{ZombieDays: strconv.Itoa(set.ZombieDays), NoticeDays: strconv.Itoa(set.NoticeDays), CoolOffDays: strconv.Itoa(set.CoolOffDays),
		GracePercent: strconv.FormatFloat(set.GracePercent, 'f', -1, 64), FinalWindowDays: strconv.Itoa(set.FinalWindowDays)}
}

var settingsObject = policy.Object{Type: "retirement_settings", Key: "organisation"}

func (s *Server) showRetirementSettingsPage(c echo.Context) error {
	if err := authorize(c, policy.RetirementSettings, settingsObject); err != nil {
		return err
	}
	set, err := s.store.RetirementSettings(c.Request().Context())
	if err != nil {
		return err
	}
	flash := map[string]string{"saved": "Settings saved.", "api": "API window saved."}[c.QueryParam("done")]
	return s.renderRetirementSettings(c, http.StatusOK, web.RetirementSettingsPage{Values: settingsValues(set), Flash: flash})
}

func (s *Server) renderRetirementSettings(c echo.Context, status int, p web.RetirementSettingsPage) error {
	apis, err := s.store.APIZombieWindows(c.Request().Context())
	if err != nil {
		return err
	}
	for _, a := range apis {
		p.APIs = append(p.APIs, web.APIWindowView{APISlug: a.APISlug, APIName: a.APIName, Days: a.ZombieDays, UpdatedBy: a.UpdatedBy})
	}
	if p.Errors == nil {
		p.Errors = web.FieldErrors{}
	}
	if p.APIErrors == nil {
		p.APIErrors = web.FieldErrors{}
	}
	return s.render(c, status, web.RetirementSettings(s.layout(c, "Retirement settings"), p))
}

func (s *Server) saveRetirementSettings(c echo.Context) error {
	if err := authorize(c, policy.RetirementSettings, settingsObject); err != nil {
		return err
	}
	var f settingsForm
	if err := bindForm(c, &f); err != nil {
		return err
	}
	set, err := f.settings()
	if err == nil {
		err = s.store.SaveRetirementSettings(c.Request().Context(), actor(c), set)
	}
	if err == nil {
		return c.Redirect(http.StatusSeeOther, "/retirements/settings?done=saved")
	}
	errs, err := fieldErrors(err)
	if err != nil {
		return err
	}
	values := web.SettingsValues{ZombieDays: f.ZombieDays, NoticeDays: f.NoticeDays, CoolOffDays: f.CoolOffDays, GracePercent: f.GracePercent, FinalWindowDays: f.FinalWindowDays}
	return s.renderRetirementSettings(c, http.StatusUnprocessableEntity, web.RetirementSettingsPage{Values: values, Errors: errs})
}

// apiWindowForm gives one API a zombie window of its own.
type apiWindowForm struct {
	API  string `form:"api"`
	Days string `form:"days"`
}

func (s *Server) saveAPIZombieWindow(c echo.Context) error {
	if err := authorize(c, policy.RetirementSettings, settingsObject); err != nil {
		return err
	}
	var f apiWindowForm
	if err := bindForm(c, &f); err != nil {
		return err
	}
	ctx := c.Request().Context()
	errs := web.FieldErrors{}
	days, err := strconv.Atoi(strings.TrimSpace(f.Days))
	if err != nil || days < 0 || days > 365 {
		errs["days"] = "give a number of days between 1 and 365, or 0 for the organisation's window"
	}
	slug := strings.TrimSpace(f.API)
	if len(errs) == 0 {
		err := s.store.SetAPIZombieWindow(ctx, actor(c), slug, days)
		switch {
		case errors.Is(err, catalog.ErrNotFound):
			errs["api"] = fmt.Sprintf("there is no API %q", slug)
		case err != nil:
			return err
		default:
			return c.Redirect(http.StatusSeeOther, "/retirements/settings?done=api")
		}
	}
	set, err := s.store.RetirementSettings(ctx)
	if err != nil {
		return err
	}
	return s.renderRetirementSettings(c, http.StatusUnprocessableEntity, web.RetirementSettingsPage{Values: settingsValues(set),
		APIValues: web.APIWindowValues{API: f.API, Days: f.Days}, APIErrors: errs})
}
