package handlers

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/steward-governance/steward/models"
)

// The governance overview's CSV exports: the figures of the organisation
// and every team (/governance?format=csv), of one team
// (/governance/teams/:team?format=csv), and the members behind one figure
// (/governance/figures/:figure?format=csv). Values are numbers a
// spreadsheet reads: shares in percent, scores out of 100, counts.

// overviewCSVHeader names the columns of a figures export.
var overviewCSVHeader = []string{
	"scope", "team", "figure", "title", "value", "unit", "numerator", "denominator",
	"measured", "note", "computed_at", "data_at", "industry_value", "industry_source",
}

// csvUnit names a unit in an export.
func csvUnit(u models.FigureUnit) string {
	if u == models.UnitShare {
		return "percent"
	}
	return string(u)
}

// csvNumber writes a value with as many decimals as it needs, at most
// two.
func csvNumber(v float64) string {
	return strconv.FormatFloat(math.Round(v*100)/100, 'f', -1, 64)
}

// csvText keeps a spreadsheet from reading text as a formula: names and
// details come from people, and a cell starting with = + - or @ would
// run.
func csvText(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// figureRows are one snapshot's figures as CSV rows.
func figureRows(snap *models.GovernanceSnapshot) [][]string {
	scope := "organisation"
	if snap.TeamSlug != "" {
		scope = "team"
	}
	var rows [][]string
	for _, def := range models.FigureDefs {
		f, ok := snap.Figure(def.Key)
		if !ok {
			continue
		}
		value := ""
		if v, ok := f.Value(def.Unit); ok {
			if def.Unit == models.UnitShare {
				v *= 100
			}
			value = csvNumber(v)
		}
		note := f.Reason
		if f.Measured {
			note = fmt.Sprintf(def.Ratio, f.Numerator, f.Denominator)
		}
		dataAt := ""
		if f.DataAt != nil {
			dataAt = f.DataAt.UTC().Format(time.RFC3339)
		}
		industry, source := "", ""
		if ind, ok := industryFigures[def.Key]; ok {
			v := ind.value
			if def.Unit == models.UnitShare {
				v *= 100
			}
			industry, source = csvNumber(v), industrySource
		}
		rows = append(rows, []string{
			scope, snap.TeamSlug, def.Key, def.Title, value, csvUnit(def.Unit),
			strconv.FormatInt(f.Numerator, 10), strconv.FormatInt(f.Denominator, 10),
			strconv.FormatBool(f.Measured), csvText(note), snap.ComputedAt.UTC().Format(time.RFC3339), dataAt, industry, source,
		})
	}
	return rows
}

// sendOverviewCSV answers with the figures of the scopes named (empty
// string: the organisation), as a file to download. Before the overview
// job's first run the file has its header only.
func (s *Server) sendOverviewCSV(c echo.Context, name string, d *overviewData, scopes []string) error {
	rows := [][]string{overviewCSVHeader}
	for _, sc := range scopes {
		if snap := d.latest[sc]; snap != nil {
			rows = append(rows, figureRows(snap)...)
		}
	}
	return sendCSV(c, name, rows)
}

// sendMembersCSV answers with the members behind a figure.
func (s *Server) sendMembersCSV(c echo.Context, name string, def models.FigureDef, members []models.FigureMember, names map[string]string) error {
	rows := [][]string{{"figure", "team", "team_name", "api", "api_name", "version", "host", "counted", "detail"}}
	for _, m := range members {
		rows = append(rows, []string{def.Key, csvText(m.TeamSlug), csvText(names[m.TeamSlug]), csvText(m.APISlug), csvText(m.APIName),
			csvText(m.Version), csvText(m.Host), strconv.FormatBool(m.Counted), csvText(m.Detail)})
	}
	return sendCSV(c, name, rows)
}

// sendCSV writes rows as a CSV attachment named name and today's date.
func sendCSV(c echo.Context, name string, rows [][]string) error {
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	if err := w.WriteAll(rows); err != nil {
		return fmt.Errorf("handlers: write CSV: %w", err)
	}
	filename := name + "-" + time.Now().UTC().Format("2006-01-02") + ".csv"
	c.Response().Header().Set("Content-Disposition", `attachment; filename="`+filename+`"`)
	return c.Blob(http.StatusOK, "text/csv; charset=utf-8", b.Bytes())
}
