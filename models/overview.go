package models

import (
	"context"
	"encoding/json"
	"sort"
	"time"
)

// GradeCount is how many APIs have one grade ("" for not scored).
type GradeCount struct {
	Grade string
	Count int64
}

// GradeDistribution counts APIs per grade of their primary version.
func (s *Store) GradeDistribution(ctx context.Context) ([]GradeCount, error) {
	var out []GradeCount
	err := s.db.WithContext(ctx).Table("apis").Select("grade, COUNT(*) AS count").Group("grade").Order("grade").Scan(&out).Error
	return out, translate(err, "grade distribution")
}

// RuleFailures is how often one rule fails across latest scorecards.
type RuleFailures struct {
	Rule     string
	Category string
	Versions int // versions whose latest scorecard fails it
	Findings int
}

// LatestScorecardsFilter narrows which versions' latest scorecards to read;
// TeamSlug empty means the whole catalogue.
type LatestScorecardsFilter struct {
	TeamSlug string
}

// latestRows returns the newest scorecard of every scored version.
func (s *Store) latestRows(ctx context.Context, f LatestScorecardsFilter) ([]ScorecardRow, error) {
	q := s.db.WithContext(ctx).Table("scorecards").Select("scorecards.*").
		Where("scorecards.id IN (SELECT MAX(id) FROM scorecards GROUP BY version_id)")
	if f.TeamSlug != "" {
		q = q.Joins("JOIN versions ON versions.id = scorecards.version_id").
			Joins("JOIN apis ON apis.id = versions.api_id").
			Joins("JOIN teams ON teams.id = apis.team_id").
			Where("teams.slug = ?", f.TeamSlug)
	}
	var rows []ScorecardRow
	err := q.Scan(&rows).Error
	return rows, translate(err, "latest scorecards")
}

// ScoreSummary is the average score and the most failed rules over the
// latest scorecards of a team's versions (or of every version).
type ScoreSummary struct {
	Scored    int // versions with a score
	Average   int // mean overall score, truncated
	WorstRule []RuleFailures
}

// SummarizeScores reads the latest scorecards and aggregates them. The
// rule results are decoded from each stored scorecard, so the figures are
// those people see on the scorecard pages.
func (s *Store) SummarizeScores(ctx context.Context, f LatestScorecardsFilter, topRules int) (*ScoreSummary, error) {
	rows, err := s.latestRows(ctx, f)
	if err != nil {
		return nil, err
	}
	sum := &ScoreSummary{}
	total := 0
	failures := map[string]*RuleFailures{}
	for _, r := range rows {
		if r.Overall != nil {
			sum.Scored++
			total += *r.Overall
		}
		var card struct {
			Rules []struct {
				Rule     string
				Category string
				Status   string
				Findings int
			}
		}
		if err := json.Unmarshal([]byte(r.Result), &card); err != nil {
			continue // an unreadable row is skipped rather than failing the page
		}
		for _, rr := range card.Rules {
			if rr.Status != "fail" {
				continue
			}
			rf := failures[rr.Rule]
			if rf == nil {
				rf = &RuleFailures{Rule: rr.Rule, Category: rr.Category}
				failures[rr.Rule] = rf
			}
			rf.Versions++
			rf.Findings += rr.Findings
		}
	}
	if sum.Scored > 0 {
		sum.Average = total / sum.Scored
	}
	for _, rf := range failures {
		sum.WorstRule = append(sum.WorstRule, *rf)
	}
	sort.Slice(sum.WorstRule, func(i, j int) bool {
		a, b := sum.WorstRule[i], sum.WorstRule[j]
		if a.Versions != b.Versions {
			return a.Versions > b.Versions
		}
		return a.Rule < b.Rule
	})
	if len(sum.WorstRule) > topRules {
		sum.WorstRule = sum.WorstRule[:topRules]
	}
	return sum, nil
}

// Mover is a version whose score changed over a period.
type Mover struct {
	APISlug, APIName, Version string
	Before, Now               int
}

// Movers lists the versions whose overall score moved most since since:
// the latest score against the last one computed before since.
func (s *Store) Movers(ctx context.Context, since time.Time, limit int) ([]Mover, error) {
	var rows []struct {
		APISlug, APIName, Version string
		Now, Before               *int
	}
	err := s.db.WithContext(ctx).Table("versions").
		Select(`apis.slug AS api_slug, apis.name AS api_name, versions.name AS version,
			(SELECT overall FROM scorecards WHERE version_id = versions.id ORDER BY id DESC LIMIT 1) AS now,
			(SELECT overall FROM scorecards WHERE version_id = versions.id AND computed_at <= ? ORDER BY id DESC LIMIT 1) AS before`, since.UTC()).
		Joins("JOIN apis ON apis.id = versions.api_id").
		Where("EXISTS (SELECT 1 FROM scorecards WHERE version_id = versions.id)").Scan(&rows).Error
	if err != nil {
		return nil, translate(err, "movers")
	}
	var out []Mover
	for _, r := range rows {
		if r.Now == nil || r.Before == nil || *r.Now == *r.Before {
			continue
		}
		out = append(out, Mover{APISlug: r.APISlug, APIName: r.APIName, Version: r.Version, Before: *r.Before, Now: *r.Now})
	}
	sort.Slice(out, func(i, j int) bool {
		di, dj := abs(out[i].Now-out[i].Before), abs(out[j].Now-out[j].Before)
		if di != dj {
			return di > dj
		}
		return out[i].APISlug < out[j].APISlug
	})
	if len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}
