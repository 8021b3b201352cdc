package handlers

import (
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/steward-governance/steward/models"
	"github.com/steward-governance/steward/policy"
	"github.com/steward-governance/steward/specs"
)

// standardJSON is a standard with its published version, its draft and
// every version, newest first.
type standardJSON struct {
	Slug        string                `json:"slug"`
	Name        string                `json:"name"`
	Description string                `json:"description"`
	Current     *standardVersionJSON  `json:"current"`
	Draft       *standardVersionJSON  `json:"draft"`
	Versions    []standardVersionJSON `json:"versions"`
}

type standardVersionJSON struct {
	Number      int        `json:"number"`
	Status      string     `json:"status"`
	Notes       string     `json:"notes"`
	Ruleset     string     `json:"ruleset"`
	CreatedBy   string     `json:"created_by"`
	CreatedAt   time.Time  `json:"created_at"`
	PublishedBy *string    `json:"published_by"`
	PublishedAt *time.Time `json:"published_at"`
	EffectiveAt *time.Time `json:"effective_at"`
}

func standardVersionJSONOf(v models.StandardVersion) standardVersionJSON {
	return standardVersionJSON{
		Number: v.Number, Status: v.Status, Notes: v.Notes, Ruleset: v.Ruleset, CreatedBy: v.CreatedBy, CreatedAt: v.CreatedAt,
		PublishedBy: optString(v.PublishedBy), PublishedAt: v.PublishedAt, EffectiveAt: v.EffectiveAt,
	}
}

// apiGetStandard returns a standard with its versions.
func (s *Server) apiGetStandard(c echo.Context) error {
	d, err := s.store.GetStandard(c.Request().Context(), c.Param("standard"))
	if err != nil {
		return err
	}
	out := standardJSON{Slug: d.Slug, Name: d.Name, Description: d.Description, Versions: make([]standardVersionJSON, 0, len(d.Versions))}
	for _, v := range d.Versions {
		out.Versions = append(out.Versions, standardVersionJSONOf(v))
	}
	if cur := d.Current(); cur != nil {
		j := standardVersionJSONOf(*cur)
		out.Current = &j
	}
	if dr := d.Draft(); dr != nil {
		j := standardVersionJSONOf(*dr)
		out.Draft = &j
	}
	return c.JSON(http.StatusOK, out)
}

// apiPutStandardDraft stores the body, a ruleset in YAML or JSON, as the
// standard's draft, starting one when there is none: 200 with the draft.
// A ruleset that does not load is a 422 saying where, and stores nothing.
func (s *Server) apiPutStandardDraft(c echo.Context) error {
	slug := c.Param("standard")
	if err := authorize(c, policy.StandardsManage, standardObject(slug)); err != nil {
		return err
	}
	ctx := c.Request().Context()
	if _, err := s.store.GetStandard(ctx, slug); err != nil {
		return err
	}
	if c.Request().ContentLength > maxRulesetBytes {
		return rulesetTooLarge()
	}
	raw, err := readLimited(c.Request().Body, maxRulesetBytes)
	if err != nil {
		if statusOf(err) == http.StatusRequestEntityTooLarge {
			return rulesetTooLarge()
		}
		return err
	}
	if problem := checkRuleset(slug, string(raw)); problem != nil {
		msg := problem.Reason
		if problem.Path != "" {
			msg = problem.Path + ": " + msg
		}
		return c.JSON(http.StatusUnprocessableEntity, apiError{Error: apiErrorBody{
			Status: http.StatusUnprocessableEntity, Message: "The ruleset cannot be used: " + problem.Message,
			Problems:  []specs.Problem{{Line: problem.Line, Column: problem.Column, Message: msg}},
			RequestID: c.Response().Header().Get(echo.HeaderXRequestID),
		}})
	}
	v, _, err := s.store.SaveStandardDraft(ctx, actor(c), slug, models.DraftInput{Ruleset: string(raw)}, true)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, standardVersionJSONOf(*v))
}

func rulesetTooLarge() error {
	return echo.NewHTTPError(http.StatusRequestEntityTooLarge, "The ruleset is larger than "+humanBytes(maxRulesetBytes)+".")
}
