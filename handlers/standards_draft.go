package handlers

import (
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"github.com/steward-governance/steward/catalog"
	"github.com/steward-governance/steward/models"
	"github.com/steward-governance/steward/policy"
	"github.com/steward-governance/steward/rules"
	"github.com/steward-governance/steward/web"
)

// maxRulesetBytes bounds a ruleset's text, from the editor or the API.
const maxRulesetBytes = 1 << 20

// maxNoteRunes bounds notes and reasons people type.
const maxNoteRunes = 2000

// maxEffectiveDays is how far ahead an effective date may be set.
const maxEffectiveDays = 730

// draftForm is the draft editor as posted.
type draftForm struct {
	Ruleset string `form:"ruleset"`
	Notes   string `form:"notes"`
}

// publishForm is the publish form as posted: the draft the person saw, and
// an optional effective date.
type publishForm struct {
	Number        string `form:"number"`
	EffectiveDate string `form:"effective_date"`
}

// selfFS holds only the ruleset being checked, under its own name, so a
// ruleset extending itself is reported as the loop it is, and any other
// local file as one that cannot be read.
type selfFS struct {
	name string
	data []byte
}

func (f selfFS) Open(name string) (fs.File, error) {
	return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
}

func (f selfFS) ReadFile(name string) ([]byte, error) {
	if name == f.name {
		return f.data, nil
	}
	return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
}

// checkRuleset loads a standard's ruleset as scoring will and says,
// located, why it cannot be used: it does not load, or enables no rule.
func checkRuleset(slug, text string) *web.RulesetProblem {
	name := slug + ".yaml"
	switch {
	case strings.TrimSpace(text) == "":
		return rulesetProblem(name, "The ruleset is empty. Start from extends: [\"steward:recommended\"] and add rules.")
	case len(text) > maxRulesetBytes:
		return rulesetProblem(name, fmt.Sprintf("The ruleset is larger than %s.", humanBytes(maxRulesetBytes)))
	case !utf8.ValidString(text):
		return rulesetProblem(name, "The ruleset is not valid UTF-8 text.")
	}
	rs, err := rules.Parse([]byte(text), name, selfFS{name: name, data: []byte(text)})
	if err != nil {
		p := rulesetProblem(name, err.Error())
		var le *rules.LoadError
		if errors.As(err, &le) {
			p.Reason, p.File, p.Line, p.Column, p.Path = le.Msg, le.File, int(le.Pos.Line), int(le.Pos.Column), strings.Join(le.Path, ".")
		}
		return p
	}
	for _, r := range rs.Rules {
		if r.Enabled() {
			return nil
		}
	}
	return rulesetProblem(name, "The ruleset enables no rule, so no API version could be scored.")
}

func rulesetProblem(file, msg string) *web.RulesetProblem {
	return &web.RulesetProblem{Message: msg, Reason: msg, File: file}
}

// draftOf loads the standard named in the URL and its draft; no draft is
// a 404 that says how to start one.
func (s *Server) draftOf(c echo.Context) (*models.StandardDetail, *models.StandardVersion, error) {
	d, err := s.store.GetStandard(c.Request().Context(), c.Param("standard"))
	if err != nil {
		return nil, nil, err
	}
	dr := d.Draft()
	if dr == nil {
		return d, nil, echo.NewHTTPError(http.StatusNotFound, d.Name+" has no draft. Start one from the standards page.")
	}
	return d, dr, nil
}

func (s *Server) createStandardDraft(c echo.Context) error {
	slug := c.Param("standard")
	if err := authorize(c, policy.StandardsManage, standardObject(slug)); err != nil {
		return err
	}
	_, err := s.store.CreateStandardDraft(c.Request().Context(), actor(c), slug)
	var ce *models.ConflictError
	if errors.As(err, &ce) {
		// Someone started one meanwhile: that is the draft to edit.
		return c.Redirect(http.StatusSeeOther, standardBase(slug)+"/draft")
	}
	if err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, standardBase(slug)+"/draft?done=draft-created")
}

func (s *Server) showStandardDraftPage(c echo.Context) error {
	slug := c.Param("standard")
	if err := authorize(c, policy.StandardsManage, standardObject(slug)); err != nil {
		return err
	}
	d, dr, err := s.draftOf(c)
	if err != nil {
		return err
	}
	p, err := s.draftPage(c, d, dr)
	if err != nil {
		return err
	}
	p.Ruleset, p.Notes, p.Flash = dr.Ruleset, dr.Notes, standardsFlash(c.QueryParam("done"))
	return s.render(c, http.StatusOK, web.StandardDraft(s.layout(c, "Draft of "+d.Name), p))
}

// draftPage fills what the draft editor shows besides the typed fields.
func (s *Server) draftPage(c echo.Context, d *models.StandardDetail, dr *models.StandardVersion) (web.StandardDraftPage, error) {
	p := web.StandardDraftPage{
		Crumbs: standardCrumbs(d.Name, fmt.Sprintf("Draft version %d", dr.Number)), Base: standardBase(d.Slug), Name: d.Name, Number: dr.Number,
		MinDate: time.Now().UTC().AddDate(0, 0, 1).Format(time.DateOnly), Errors: web.FieldErrors{},
	}
	if cur := d.Current(); cur != nil {
		p.BasedOn = cur.Number
	}
	pv, err := s.store.LatestPreview(c.Request().Context(), dr.ID)
	switch {
	case err == nil:
		p.PreviewStatus = previewStatus(pv, time.Now())
	case !errors.Is(err, catalog.ErrNotFound):
		return p, err
	}
	return p, nil
}

// saveStandardDraft stores the editor's text once it loads; otherwise the
// editor comes back, as typed, with where the problem is.
func (s *Server) saveStandardDraft(c echo.Context) error {
	slug := c.Param("standard")
	if err := authorize(c, policy.StandardsManage, standardObject(slug)); err != nil {
		return err
	}
	d, dr, err := s.draftOf(c)
	if err != nil {
		return err
	}
	var f draftForm
	if err := bindForm(c, &f); err != nil {
		return err
	}
	// Browsers send textarea lines with CRLF; the ruleset is kept as the
	// API would send it.
	text := strings.ReplaceAll(f.Ruleset, "\r\n", "\n")
	notes := strings.TrimSpace(f.Notes)
	p, err := s.draftPage(c, d, dr)
	if err != nil {
		return err
	}
	p.Ruleset, p.Notes = text, f.Notes
	if problem := checkRuleset(slug, text); problem != nil {
		p.Problem = problem
		p.Errors["ruleset"] = problem.Message
	}
	if utf8.RuneCountInString(notes) > maxNoteRunes {
		p.Errors["notes"] = fmt.Sprintf("Keep the notes under %d characters.", maxNoteRunes)
	}
	if len(p.Errors) > 0 {
		return s.render(c, http.StatusUnprocessableEntity, web.StandardDraft(s.layout(c, "Draft of "+d.Name), p))
	}
	if _, _, err := s.store.SaveStandardDraft(c.Request().Context(), actor(c), slug, models.DraftInput{Ruleset: text, Notes: &notes}, false); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, standardBase(slug)+"/draft?done=draft-saved")
}

func (s *Server) deleteStandardDraft(c echo.Context) error {
	slug := c.Param("standard")
	if err := authorize(c, policy.StandardsManage, standardObject(slug)); err != nil {
		return err
	}
	if err := s.store.DeleteStandardDraft(c.Request().Context(), actor(c), slug); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/standards?done=draft-discarded")
}

// parseEffectiveDate reads the optional effective date: a day after today
// (UTC) and at most two years ahead; the grace period ends at its start.
func parseEffectiveDate(s string, now time.Time) (*time.Time, string) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, ""
	}
	day, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return nil, "Write the date as YYYY-MM-DD, or leave it empty."
	}
	today := now.UTC().Truncate(24 * time.Hour)
	switch {
	case !day.After(today):
		return nil, "Choose a date after today, or leave it empty to count the new rules at once."
	case day.After(today.AddDate(0, 0, maxEffectiveDays)):
		return nil, fmt.Sprintf("Choose a date within %d days.", maxEffectiveDays)
	}
	return &day, ""
}

// publishStandardDraft makes the draft the standard's current version and
// has every scorecard recomputed under it. A draft that does not load is
// never published.
func (s *Server) publishStandardDraft(c echo.Context) error {
	slug := c.Param("standard")
	if err := authorize(c, policy.StandardsManage, standardObject(slug)); err != nil {
		return err
	}
	d, dr, err := s.draftOf(c)
	if err != nil {
		return err
	}
	var f publishForm
	if err := bindForm(c, &f); err != nil {
		return err
	}
	if n, err := strconv.Atoi(f.Number); err != nil || n != dr.Number {
		return &models.ConflictError{Message: fmt.Sprintf("The draft is now version %d, not the one you were looking at; review it and publish again.", dr.Number)}
	}
	p, err := s.draftPage(c, d, dr)
	if err != nil {
		return err
	}
	p.Ruleset, p.Notes, p.EffectiveDate = dr.Ruleset, dr.Notes, f.EffectiveDate
	effective, msg := parseEffectiveDate(f.EffectiveDate, time.Now())
	if msg != "" {
		p.Errors["effective_date"] = msg
	}
	if problem := checkRuleset(slug, dr.Ruleset); problem != nil {
		p.Problem = problem
		p.Errors["ruleset"] = problem.Message
	}
	if len(p.Errors) > 0 {
		return s.render(c, http.StatusUnprocessableEntity, web.StandardDraft(s.layout(c, "Draft of "+d.Name), p))
	}
	if _, err := s.store.PublishStandardDraft(c.Request().Context(), actor(c), slug, dr.Number, effective); err != nil {
		return err
	}
	if s.scoring != nil {
		s.scoring.Kick()
	}
	return c.Redirect(http.StatusSeeOther, "/standards?done=published")
}
