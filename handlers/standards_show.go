package handlers

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/steward-governance/steward/models"
	"github.com/steward-governance/steward/policy"
	"github.com/steward-governance/steward/rules"
	"github.com/steward-governance/steward/specs"
	"github.com/steward-governance/steward/web"
)

// standardsHistory is how many audit entries the standard's page lists.
const standardsHistory = 20

func standardBase(slug string) string { return "/standards/" + slug }

// standardObject is the standard as the policy sees it.
func standardObject(slug string) policy.Object { return policy.Object{Type: "standard", Key: slug} }

// standardsFlash turns the ?done= marker of the standards and waiver pages
// into a sentence; only known markers are shown.
func standardsFlash(done string) string {
	return map[string]string{
		"draft-created":    "Draft started from the published version.",
		"draft-saved":      "Draft saved: it loads.",
		"draft-discarded":  "Draft discarded.",
		"published":        "Published. Every scorecard is being recomputed under the new version.",
		"waiver-requested": "Waiver requested: a governance lead will approve or deny it.",
		"waiver-approved":  "Waiver approved; the scorecard is being recomputed.",
		"waiver-denied":    "Waiver denied.",
	}[done]
}

// showStandardsPage lists the organisation standard's versions, with what
// governance leads may do to them.
func (s *Server) showStandardsPage(c echo.Context) error {
	ctx := c.Request().Context()
	slug := models.DefaultStandardSlug
	d, err := s.store.GetStandard(ctx, slug)
	if err != nil {
		return err
	}
	history, err := s.store.AuditFor(ctx, "standard", slug, standardsHistory)
	if err != nil {
		return err
	}
	base := standardBase(slug)
	now := time.Now()
	p := web.StandardsPage{
		Name: d.Name, Description: d.Description, Base: base, CanManage: can(c, policy.StandardsManage, standardObject(slug)),
		Flash: standardsFlash(c.QueryParam("done")), History: standardAuditRows(history),
	}
	for _, v := range d.Versions {
		p.Versions = append(p.Versions, standardVersionRow(base, v, now))
		p.Numbers = append(p.Numbers, v.Number)
	}
	if cur := d.Current(); cur != nil {
		p.CurrentNumber = cur.Number
	}
	if dr := d.Draft(); dr != nil {
		p.DraftNumber = dr.Number
	}
	// Offer the latest change: the newest version against the one before.
	if len(p.Numbers) > 1 {
		p.DiffFrom, p.DiffTo = p.Numbers[1], p.Numbers[0]
	}
	return s.render(c, http.StatusOK, web.Standards(s.layout(c, d.Name), p))
}

func standardVersionRow(base string, v models.StandardVersion, now time.Time) web.StandardVersionRow {
	row := web.StandardVersionRow{
		Number: v.Number, Status: v.Status, CreatedBy: v.CreatedBy, CreatedAt: v.CreatedAt, PublishedBy: v.PublishedBy,
		Notes: v.Notes, URL: base + "/versions/" + strconv.Itoa(v.Number),
	}
	if v.PublishedAt != nil {
		row.PublishedAt = *v.PublishedAt
	}
	if v.EffectiveAt != nil {
		row.EffectiveAt = *v.EffectiveAt
		row.InGrace = v.Status == models.StandardPublished && now.Before(*v.EffectiveAt)
	}
	return row
}

// standardAuditRows summarises the standard's audit entries.
func standardAuditRows(events []models.AuditEvent) []web.AuditRow {
	out := make([]web.AuditRow, len(events))
	for i, e := range events {
		var detail struct {
			After struct {
				Version      int        `json:"version"`
				ComparedWith int        `json:"compared_with"`
				EffectiveAt  *time.Time `json:"effective_at"`
			} `json:"after"`
			Before struct {
				Version int `json:"version"`
			} `json:"before"`
		}
		_ = json.Unmarshal([]byte(e.Detail), &detail) // a summary without numbers beats none
		summary := "did " + e.Action
		switch e.Action {
		case "standard.draft.create":
			summary = fmt.Sprintf("started draft version %d", detail.After.Version)
		case "standard.draft.save":
			summary = fmt.Sprintf("saved draft version %d", detail.After.Version)
		case "standard.draft.delete":
			summary = fmt.Sprintf("discarded draft version %d", detail.Before.Version)
		case "standard.preview":
			summary = fmt.Sprintf("previewed draft version %d", detail.After.Version)
		case "standard.publish":
			summary = fmt.Sprintf("published version %d", detail.After.Version)
			if detail.After.EffectiveAt != nil {
				summary += ", effective " + detail.After.EffectiveAt.UTC().Format("2 Jan 2006")
			}
		}
		out[i] = web.AuditRow{At: e.At, Actor: e.Actor, Action: e.Action, Summary: summary}
	}
	return out
}

// standardVersionNumber reads a version number from the URL or a query;
// anything else is 404.
func standardVersionNumber(s string) (int, error) {
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 {
		return 0, echo.NewHTTPError(http.StatusNotFound, fmt.Sprintf("%q is not a version number.", s))
	}
	return n, nil
}

func standardCrumbs(name, last string) []web.Crumb {
	return []web.Crumb{{Label: name, URL: "/standards"}, {Label: last}}
}

func (s *Server) showStandardVersionPage(c echo.Context) error {
	ctx := c.Request().Context()
	slug := c.Param("standard")
	n, err := standardVersionNumber(c.Param("number"))
	if err != nil {
		return err
	}
	d, err := s.store.GetStandard(ctx, slug)
	if err != nil {
		return err
	}
	v, err := s.store.GetStandardVersionByNumber(ctx, slug, n)
	if err != nil {
		return err
	}
	base := standardBase(slug)
	p := web.StandardVersionPage{Crumbs: standardCrumbs(d.Name, "Version "+strconv.Itoa(n)), Base: base, Name: d.Name, Row: standardVersionRow(base, *v, time.Now())}
	for i, line := range strings.Split(v.Ruleset, "\n") {
		p.Lines = append(p.Lines, web.RawLine{Number: i + 1, Text: line})
	}
	rs, err := rules.Parse([]byte(v.Ruleset), slug+".yaml", nil)
	if err != nil {
		p.LoadError = err.Error()
	} else {
		for _, r := range rs.Rules {
			if r.Enabled() {
				p.Rules = append(p.Rules, web.StandardRuleView{Name: r.Name, Severity: r.Severity.String(), Category: string(r.Category), Description: r.Description})
			}
		}
	}
	for _, other := range d.Versions { // newest first: the first older one is the one before
		if other.Number < n {
			p.DiffURL = fmt.Sprintf("%s/diff?from=%d&to=%d", base, other.Number, n)
			break
		}
	}
	return s.render(c, http.StatusOK, web.StandardVersion(s.layout(c, fmt.Sprintf("%s v%d", d.Name, n)), p))
}

// showStandardDiffPage compares two versions of a standard as text.
func (s *Server) showStandardDiffPage(c echo.Context) error {
	ctx := c.Request().Context()
	slug := c.Param("standard")
	d, err := s.store.GetStandard(ctx, slug)
	if err != nil {
		return err
	}
	from, ferr := standardVersionNumber(c.QueryParam("from"))
	to, terr := standardVersionNumber(c.QueryParam("to"))
	if ferr != nil || terr != nil {
		return echo.NewHTTPError(http.StatusBadRequest, "Choose the two versions to compare (from and to).")
	}
	old, err := s.store.GetStandardVersionByNumber(ctx, slug, from)
	if err != nil {
		return err
	}
	cur, err := s.store.GetStandardVersionByNumber(ctx, slug, to)
	if err != nil {
		return err
	}
	p := web.StandardDiffPage{Crumbs: standardCrumbs(d.Name, "Compare"), Name: d.Name, From: from, To: to}
	lines, err := specs.TextDiff(fmt.Sprintf("version %d", from), old.Ruleset, fmt.Sprintf("version %d", to), cur.Ruleset)
	if err != nil {
		p.Error = err.Error()
	}
	for _, l := range lines {
		kind := map[byte]string{' ': "ctx", '+': "add", '-': "del", '@': "hunk"}[l.Kind]
		p.Lines = append(p.Lines, web.DiffLineView{Kind: kind, Text: l.Text, OldLine: l.OldLine, NewLine: l.NewLine})
	}
	return s.render(c, http.StatusOK, web.StandardDiff(s.layout(c, "Compare versions of "+d.Name), p))
}
