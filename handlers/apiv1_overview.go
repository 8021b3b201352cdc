package handlers

import (
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/steward-governance/steward/catalog"
	"github.com/steward-governance/steward/models"
)

// The governance overview in the JSON API: the same figures as /governance
// and the team reports (overview.go), from the overview job's latest
// snapshot, with each figure's daily history.

// overviewHistoryMax bounds ?days=: the daily snapshots are kept two
// years.
const overviewHistoryMax = 730

// industryJSON is the industry's figure for a measure.
type industryJSON struct {
	Value  float64 `json:"value"`
	Source string  `json:"source"`
}

// historyPointJSON is one day's value of a figure.
type historyPointJSON struct {
	Day   string   `json:"day"`
	Value *float64 `json:"value"` // null: not measured that day
}

// figureJSON is one figure. Value is a fraction from 0 to 1 for shares,
// the mean out of 100 for scores, the numerator for counts; null when the
// figure is not measured, and reason then says why.
type figureJSON struct {
	Key         string             `json:"key"`
	Title       string             `json:"title"`
	Unit        string             `json:"unit"`
	Definition  string             `json:"definition"`
	Measured    bool               `json:"measured"`
	Reason      *string            `json:"reason"`
	Value       *float64           `json:"value"`
	Numerator   int64              `json:"numerator"`
	Denominator int64              `json:"denominator"`
	Detail      map[string]int64   `json:"detail"`
	DataAt      *time.Time         `json:"data_at"`
	Industry    *industryJSON      `json:"industry"`
	History     []historyPointJSON `json:"history"`
	Page        string             `json:"page"`
}

// overviewTeamJSON is a team's line in the organisation's overview.
type overviewTeamJSON struct {
	Slug             string   `json:"slug"`
	Name             string   `json:"name"`
	Score            *float64 `json:"score"`
	APIs             int64    `json:"apis"`
	OpenFindings     *int64   `json:"open_findings"`
	ZombieVersions   *int64   `json:"zombie_versions"`
	PendingApprovals *int64   `json:"pending_approvals"`
	Report           string   `json:"report"`
	Page             string   `json:"page"`
}

// overviewJSON is GET /overview.
type overviewJSON struct {
	ComputedAt        *time.Time         `json:"computed_at"`
	TrafficWindowDays int                `json:"traffic_window_days"`
	Figures           []figureJSON       `json:"figures"`
	Teams             []overviewTeamJSON `json:"teams"`
}

// teamOverviewJSON is GET /overview/teams/{team}.
type teamOverviewJSON struct {
	Team              refJSON      `json:"team"`
	ComputedAt        *time.Time   `json:"computed_at"`
	TrafficWindowDays int          `json:"traffic_window_days"`
	Figures           []figureJSON `json:"figures"`
}

// overviewDays reads ?days=, the history's length, and refuses any other
// parameter.
func overviewDays(c echo.Context) (int, error) {
	bad := &catalog.ValidationError{}
	for name := range c.QueryParams() {
		if name != "days" {
			bad.Add(name, "unknown query parameter; use days")
		}
	}
	days := overviewTrendDays
	if v := c.QueryParam("days"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > overviewHistoryMax {
			bad.Add("days", "must be a whole number of days from 0 to "+strconv.Itoa(overviewHistoryMax))
		}
		days = n
	}
	if err := bad.OrNil(); err != nil {
		return 0, echo.NewHTTPError(http.StatusBadRequest, bad.Error()).SetInternal(bad)
	}
	return days, nil
}

// figuresJSON describes a snapshot's figures with their history.
func figuresJSON(snap *models.GovernanceSnapshot, history []models.GovernanceSnapshot, team string) []figureJSON {
	out := []figureJSON{}
	if snap == nil {
		return out
	}
	for _, def := range models.FigureDefs {
		f, ok := snap.Figure(def.Key)
		if !ok {
			continue
		}
		j := figureJSON{
			Key: def.Key, Title: def.Title, Unit: string(def.Unit), Definition: def.Definition, Measured: f.Measured,
			Numerator: f.Numerator, Denominator: f.Denominator, Detail: map[string]int64{}, DataAt: f.DataAt,
			History: []historyPointJSON{}, Page: figureURL(def.Key, team),
		}
		if v, ok := f.Value(def.Unit); ok {
			j.Value = &v
		}
		if !f.Measured {
			reason := f.Reason
			j.Reason = &reason
		}
		for k, n := range f.Detail {
			j.Detail[k] = n
		}
		if ind, ok := industryFigures[def.Key]; ok {
			j.Industry = &industryJSON{Value: ind.value, Source: industrySource}
		}
		for _, h := range history {
			hf, ok := h.Figure(def.Key)
			if !ok {
				continue
			}
			p := historyPointJSON{Day: h.Day.UTC().Format(time.DateOnly)}
			if v, ok := hf.Value(def.Unit); ok {
				p.Value = &v
			}
			j.History = append(j.History, p)
		}
		out = append(out, j)
	}
	return out
}

func measuredCount(snap *models.GovernanceSnapshot, key string) *int64 {
	if f, ok := snap.Figure(key); ok && f.Measured {
		n := f.Numerator
		return &n
	}
	return nil
}

func (s *Server) apiGetOverview(c echo.Context) error {
	days, err := overviewDays(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	d, err := s.loadOverview(ctx, time.Now().UTC().AddDate(0, 0, -days))
	if err != nil {
		return err
	}
	out := overviewJSON{TrafficWindowDays: models.TrafficWindowDays, Figures: []figureJSON{}, Teams: []overviewTeamJSON{}}
	org := d.latest[""]
	if org == nil {
		return c.JSON(http.StatusOK, out)
	}
	at := org.ComputedAt
	out.ComputedAt = &at
	out.Figures = figuresJSON(org, d.history[""], "")
	scoreDef, _ := models.FigureDefOf(models.FigureAverageScore)
	for _, slug := range d.order {
		snap := d.latest[slug]
		if snap == nil {
			continue
		}
		t := overviewTeamJSON{
			Slug: slug, Name: d.names[slug], Report: "/api/v1/overview/teams/" + slug, Page: teamReportURL(slug),
			OpenFindings: measuredCount(snap, models.FigureOpenFindings), ZombieVersions: measuredCount(snap, models.FigureZombieVersions),
			PendingApprovals: measuredCount(snap, models.FigurePendingApprovals),
		}
		if f, ok := snap.Figure(models.FigureAverageScore); ok {
			if v, ok := f.Value(scoreDef.Unit); ok {
				t.Score = &v
			}
		}
		if f, ok := snap.Figure(models.FigureOwnerlessAPIs); ok {
			t.APIs = f.Denominator
		}
		out.Teams = append(out.Teams, t)
	}
	return c.JSON(http.StatusOK, out)
}

func (s *Server) apiGetTeamOverview(c echo.Context) error {
	days, err := overviewDays(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	slug := c.Param("team")
	t, err := s.store.GetTeam(ctx, slug)
	if err != nil {
		return notFound(err, "there is no team %q", slug)
	}
	d, err := s.loadOverview(ctx, time.Now().UTC().AddDate(0, 0, -days), t.Slug)
	if err != nil {
		return err
	}
	out := teamOverviewJSON{Team: refJSON{Slug: t.Slug, Name: t.Name}, TrafficWindowDays: models.TrafficWindowDays, Figures: []figureJSON{}}
	if snap := d.latest[t.Slug]; snap != nil {
		at := snap.ComputedAt
		out.ComputedAt = &at
		out.Figures = figuresJSON(snap, d.history[t.Slug], t.Slug)
	}
	return c.JSON(http.StatusOK, out)
}
