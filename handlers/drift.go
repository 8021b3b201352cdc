package handlers

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/steward-governance/steward/catalog"
	"github.com/steward-governance/steward/models"
	"github.com/steward-governance/steward/runtimerules"
	"github.com/steward-governance/steward/scorecard"
)

// RuntimeScores is what the runtime side of the scorecard and the drift
// API read: the runtime scoring job's latest result per version.
type RuntimeScores interface {
	LatestRuntimeScorecard(ctx context.Context, versionID uint) (*models.RuntimeScorecardRow, error)
}

// noRuntimeRow explains a version the runtime scoring job has never
// stored anything for: it stores nothing for versions without traffic.
const noRuntimeRow = "No traffic recorded for this version in the window the runtime rules look at."

// loadedRuntime is a version's latest runtime scorecard, decoded. Without
// a row (row nil) the version has no runtime data.
type loadedRuntime struct {
	row        *models.RuntimeScorecardRow
	categories []scorecard.CategoryScore
	findings   []runtimerules.Finding
	drift      *runtimerules.Drift
	// revision is the number of the spec revision drift was measured
	// against; 0 without drift.
	revision int
}

// noData reports whether pages say "no runtime data".
func (lr *loadedRuntime) noData() bool { return lr.row == nil || lr.row.NoData }

// latestRuntime loads v's latest runtime scorecard.
func (s *Server) latestRuntime(ctx context.Context, v *models.VersionDetail) (*loadedRuntime, error) {
	row, err := s.store.LatestRuntimeScorecard(ctx, v.ID)
	if errors.Is(err, catalog.ErrNotFound) {
		return &loadedRuntime{}, nil
	}
	if err != nil {
		return nil, err
	}
	lr := &loadedRuntime{row: row}
	if err := json.Unmarshal([]byte(row.Categories), &lr.categories); err != nil {
		return nil, fmt.Errorf("handlers: runtime scorecard %d: categories: %w", row.ID, err)
	}
	if err := json.Unmarshal([]byte(row.Findings), &lr.findings); err != nil {
		return nil, fmt.Errorf("handlers: runtime scorecard %d: findings: %w", row.ID, err)
	}
	if row.HasDrift {
		lr.drift = &runtimerules.Drift{}
		if err := json.Unmarshal([]byte(row.Drift), lr.drift); err != nil {
			return nil, fmt.Errorf("handlers: runtime scorecard %d: drift: %w", row.ID, err)
		}
		for _, r := range v.Revisions {
			if row.RevisionID != nil && r.ID == *row.RevisionID {
				lr.revision = r.Number
			}
		}
	}
	return lr, nil
}

// windowLabel names a runtime window in a sentence: "last 7 days".
func windowLabel(d time.Duration) string {
	day := 24 * time.Hour
	switch {
	case d == day:
		return "last day"
	case d > 0 && d%day == 0:
		return "last " + strconv.Itoa(int(d/day)) + " days"
	case d == time.Hour:
		return "last hour"
	}
	return "last " + strconv.Itoa(int(d/time.Hour)) + " hours"
}

// trafficURL links a version's traffic tab over the runtime window when
// the tab offers that window, over its default otherwise.
func trafficURL(base string, window time.Duration) string {
	days := int(window / (24 * time.Hour))
	for _, w := range trafficWindows {
		if w == days && window%(24*time.Hour) == 0 {
			return base + "/traffic?days=" + strconv.Itoa(days)
		}
	}
	return base + "/traffic"
}

// driftJSON is a version's drift: its spec against its traffic over the
// runtime window.
type driftJSON struct {
	// Status is measured, no_runtime_data (too little traffic, or none)
	// or not_measured (scored, but no spec could be compared).
	Status       string     `json:"status"`
	Detail       string     `json:"detail"`
	ComputedAt   *time.Time `json:"computed_at"`
	WindowFrom   *time.Time `json:"window_from"`
	WindowTo     *time.Time `json:"window_to"`
	SpecRevision *int       `json:"spec_revision"`
	// Counts are exact; the lists hold at most jobs.MaxDriftList entries.
	Counts                  driftCountsJSON              `json:"counts"`
	Unseen                  []driftEndpointJSON          `json:"unseen"`
	Undocumented            []undocumentedEndpointJSON   `json:"undocumented"`
	UndocumentedStatusCodes []undocumentedStatusCodeJSON `json:"undocumented_status_codes"`
}

type driftCountsJSON struct {
	Documented              int `json:"documented"`
	Seen                    int `json:"seen"`
	Unseen                  int `json:"unseen"`
	Undocumented            int `json:"undocumented"`
	UndocumentedStatusCodes int `json:"undocumented_status_codes"`
}

type driftEndpointJSON struct {
	Method string `json:"method"`
	Path   string `json:"path"`
}

type undocumentedEndpointJSON struct {
	Method string `json:"method"`
	Path   string `json:"path"`
	// Kind is path (the spec has no such path) or method (it has the
	// path, not the method).
	Kind            string    `json:"kind"`
	Requests        int64     `json:"requests"`
	LastSeen        time.Time `json:"last_seen"`
	MatchedAtIngest bool      `json:"matched_at_ingest"`
}

type undocumentedStatusCodeJSON struct {
	Method string            `json:"method"`
	Path   string            `json:"path"`
	Codes  []statusCountJSON `json:"codes"`
}

type statusCountJSON struct {
	Code  int   `json:"code"`
	Count int64 `json:"count"`
}

// driftCounts are the drift's counts, or nil without drift.
func (lr *loadedRuntime) driftCounts() *driftCountsJSON {
	if lr.drift == nil {
		return nil
	}
	return &driftCountsJSON{
		Documented: lr.drift.Documented, Seen: lr.drift.Seen, Unseen: lr.row.UnseenEndpoints,
		Undocumented: lr.row.UndocumentedEndpoints, UndocumentedStatusCodes: lr.row.UndocumentedStatusCodes,
	}
}

// driftNotMeasured says why a version with a runtime score has no drift.
func driftNotMeasured(v *models.VersionDetail) string {
	if v.CurrentRevisionID == nil {
		return "This version has no spec to compare its traffic with; upload one to see drift."
	}
	return "The version's spec could not be read when the runtime score was computed, so drift was not measured."
}

// apiGetDrift returns a version's drift from its latest runtime scorecard.
func (s *Server) apiGetDrift(c echo.Context) error {
	v, err := s.version(c)
	if err != nil {
		return err
	}
	lr, err := s.latestRuntime(c.Request().Context(), v)
	if err != nil {
		return err
	}
	out := driftJSON{
		Unseen: []driftEndpointJSON{}, Undocumented: []undocumentedEndpointJSON{}, UndocumentedStatusCodes: []undocumentedStatusCodeJSON{},
	}
	if row := lr.row; row != nil {
		out.ComputedAt, out.WindowFrom, out.WindowTo = &row.ComputedAt, &row.WindowFrom, &row.WindowTo
	}
	switch {
	case lr.noData():
		out.Status, out.Detail = "no_runtime_data", noRuntimeRow
		if lr.row != nil {
			out.Detail = lr.row.Detail
		}
	case lr.drift == nil:
		out.Status, out.Detail = "not_measured", driftNotMeasured(v)
	default:
		out.Status = "measured"
		out.Detail = fmt.Sprintf("%d of %d documented endpoints received no traffic, %d endpoints received traffic but are not in the spec, and %d status codes returned are not in the spec.",
			lr.row.UnseenEndpoints, lr.drift.Documented, lr.row.UndocumentedEndpoints, lr.row.UndocumentedStatusCodes)
		if lr.revision > 0 {
			out.SpecRevision = &lr.revision
		}
		out.Counts = *lr.driftCounts()
		for _, e := range lr.drift.Unseen {
			out.Unseen = append(out.Unseen, driftEndpointJSON{Method: e.Method, Path: e.Path})
		}
		for _, e := range lr.drift.Undocumented {
			out.Undocumented = append(out.Undocumented, undocumentedEndpointJSON{Method: e.Method, Path: e.Path, Kind: string(e.Kind),
				Requests: e.Requests, LastSeen: e.LastSeen, MatchedAtIngest: e.MatchedAtIngest})
		}
		for _, u := range lr.drift.UndocumentedStatuses {
			sj := undocumentedStatusCodeJSON{Method: u.Method, Path: u.Path, Codes: []statusCountJSON{}}
			for _, code := range u.Codes {
				sj.Codes = append(sj.Codes, statusCountJSON{Code: code.Code, Count: code.Count})
			}
			out.UndocumentedStatusCodes = append(out.UndocumentedStatusCodes, sj)
		}
	}
	return c.JSON(http.StatusOK, out)
}
