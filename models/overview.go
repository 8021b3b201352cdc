package models

import (
	"context"
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
	// Spared, when set, leaves out of the most failed rules the failures a
	// grace period spared: shown on their scorecards as warnings that do
	// not count yet, they are not what the catalogue fails.
	Spared *GraceSpared
}

// GraceSpared names the rules a standard version's grace period spares
// until its effective date: the rules it added to the version it replaced.
// Scorecards computed under that version before the date show their
// failures as warnings that do not count.
type GraceSpared struct {
	StandardVersionID uint
	Until             time.Time
	Rules             []string
}

// ScoreSummary is the average score and the most failed rules over the
// latest scorecards of a team's versions (or of every version).
type ScoreSummary struct {
	Scored    int // versions with a score
	Average   int // mean overall score, truncated
	WorstRule []RuleFailures
}

// SummarizeScores aggregates the latest scorecards in SQL: the average
// score and the rules failed by the most versions.
func (s *Store) SummarizeScores(ctx context.Context, f LatestScorecardsFilter, topRules int) (*ScoreSummary, error) {
	latest := s.db.WithContext(ctx).Table("scorecards").Select("MAX(scorecards.id)").Group("scorecards.version_id")
	if f.TeamSlug != "" {
		latest = latest.Joins("JOIN versions ON versions.id = scorecards.version_id").
			Joins("JOIN apis ON apis.id = versions.api_id").
			Joins("JOIN teams ON teams.id = apis.team_id").
			Where("teams.slug = ?", f.TeamSlug)
	}
	var agg struct {
		Scored int
		Total  int64
	}
	err := s.db.WithContext(ctx).Table("scorecards").
		Select("COUNT(overall) AS scored, COALESCE(SUM(overall), 0) AS total").
		Where("id IN (?)", latest).Scan(&agg).Error
	if err != nil {
		return nil, translate(err, "summarize scores")
	}
	sum := &ScoreSummary{Scored: agg.Scored}
	if agg.Scored > 0 {
		sum.Average = int(agg.Total / int64(agg.Scored))
	}
	worst := s.db.WithContext(ctx).Table("scorecard_failures").
		Select("scorecard_failures.rule AS rule, MIN(scorecard_failures.category) AS category, COUNT(*) AS versions, SUM(scorecard_failures.findings) AS findings").
		Where("scorecard_failures.scorecard_id IN (?)", latest)
	if sp := f.Spared; sp != nil && len(sp.Rules) > 0 {
		worst = worst.Joins("JOIN scorecards ON scorecards.id = scorecard_failures.scorecard_id").
			Where("NOT (scorecard_failures.rule IN ? AND scorecards.standard_version_id = ? AND scorecards.computed_at < ?)", sp.Rules, sp.StandardVersionID, sp.Until.UTC())
	}
	err = worst.Group("scorecard_failures.rule").
		Order("versions DESC").Order("scorecard_failures.rule").Limit(topRules).Scan(&sum.WorstRule).Error
	if err != nil {
		return nil, translate(err, "worst rules")
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
