package models

import (
	"context"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// EndpointTraffic is one endpoint's traffic in one hour: counters in
// columns for SQL to sum, and the mergeable sketches (latency quantiles,
// distinct consumers) in a blob that only the rollup package reads.
type EndpointTraffic struct {
	ID             int64 `gorm:"primaryKey"`
	VersionID      uint
	Method         string
	Template       string
	Documented     bool
	Hour           time.Time
	Counters       `gorm:"embedded"`
	FirstSeen      time.Time
	LastSeen       time.Time
	LastLegitimate *time.Time
	Sketches       []byte
}

// TableName keeps GORM on the migration's table.
func (EndpointTraffic) TableName() string { return "endpoint_traffic" }

// Counters are the additive facts of a rollup row.
type Counters struct {
	Requests        int64
	Status1xx       int64 `gorm:"column:status_1xx"`
	Status2xx       int64 `gorm:"column:status_2xx"`
	Status3xx       int64 `gorm:"column:status_3xx"`
	Status4xx       int64 `gorm:"column:status_4xx"`
	Status5xx       int64 `gorm:"column:status_5xx"`
	StatusOther     int64
	BytesSum        int64
	BytesKnown      int64
	HTTPS           int64 `gorm:"column:https"`
	Authenticated   int64
	RateLimited     int64
	Compressed      int64
	HSTS            int64 `gorm:"column:hsts"`
	SecurityHeaders int64
	Legitimate      int64
}

// Add adds o's counts to c.
func (c *Counters) Add(o Counters) {
	c.Requests += o.Requests
	c.Status1xx += o.Status1xx
	c.Status2xx += o.Status2xx
	c.Status3xx += o.Status3xx
	c.Status4xx += o.Status4xx
	c.Status5xx += o.Status5xx
	c.StatusOther += o.StatusOther
	c.BytesSum += o.BytesSum
	c.BytesKnown += o.BytesKnown
	c.HTTPS += o.HTTPS
	c.Authenticated += o.Authenticated
	c.RateLimited += o.RateLimited
	c.Compressed += o.Compressed
	c.HSTS += o.HSTS
	c.SecurityHeaders += o.SecurityHeaders
	c.Legitimate += o.Legitimate
}

// DiscoveredTraffic is one hour of traffic to a host no catalogue
// deployment claims, by inferred path template.
type DiscoveredTraffic struct {
	ID            int64 `gorm:"primaryKey"`
	Host          string
	Method        string
	Template      string
	Hour          time.Time
	Requests      int64
	Status2xx     int64 `gorm:"column:status_2xx"`
	Status4xx     int64 `gorm:"column:status_4xx"`
	Status5xx     int64 `gorm:"column:status_5xx"`
	HTTPS         int64 `gorm:"column:https"`
	Authenticated int64
	Legitimate    int64
	FirstSeen     time.Time
	LastSeen      time.Time
}

// TableName keeps GORM on the migration's table.
func (DiscoveredTraffic) TableName() string { return "discovered_traffic" }

// EndpointStatus counts one status code answered by one endpoint.
type EndpointStatus struct {
	VersionID uint   `gorm:"primaryKey"`
	Method    string `gorm:"primaryKey"`
	Template  string `gorm:"primaryKey"`
	Status    int    `gorm:"primaryKey"`
	Requests  int64
	LastSeen  time.Time
}

// TableName keeps GORM on the migration's table.
func (EndpointStatus) TableName() string { return "endpoint_statuses" }

// EndpointConsumer counts one consumer's calls to one endpoint on one day.
// Consumer is a keyed hash, never the raw identity.
type EndpointConsumer struct {
	VersionID  uint      `gorm:"primaryKey"`
	Method     string    `gorm:"primaryKey"`
	Template   string    `gorm:"primaryKey"`
	Consumer   string    `gorm:"primaryKey"`
	Day        time.Time `gorm:"primaryKey"`
	Requests   int64
	Legitimate int64
	LastSeen   time.Time
}

// TableName keeps GORM on the migration's table.
func (EndpointConsumer) TableName() string { return "endpoint_consumers" }

// SourceDelta is what one rollup learned about a source.
type SourceDelta struct {
	SourceID    int64
	Events      int64
	From, To    time.Time
	LastEventAt time.Time
}

// RollupBatch is one flush of the rollup: new counts to merge into the
// stored rows, and the journal position they bring the consumer to. It is
// applied in one transaction, so a crash replays the batch from the old
// position and nothing is counted twice.
type RollupBatch struct {
	Endpoints  []EndpointTraffic
	Discovered []DiscoveredTraffic
	Statuses   []EndpointStatus
	Consumers  []EndpointConsumer
	Sources    []SourceDelta
	// Consumer names the journal reader; Position is where it got to.
	Consumer, Position string
	// MergeSketches merges an incoming sketch blob into a stored one.
	MergeSketches func(stored, incoming []byte) ([]byte, error)
}

// JournalPosition returns where a journal consumer got to ("" at first).
func (s *Store) JournalPosition(ctx context.Context, consumer string) (string, error) {
	var pos []string
	err := s.db.WithContext(ctx).Table("journal_positions").Where("consumer = ?", consumer).Pluck("position", &pos).Error
	if err != nil || len(pos) == 0 {
		return "", err
	}
	return pos[0], nil
}

// ApplyRollup merges a batch into the stored rollups and moves the journal
// position, all or nothing. On PostgreSQL a transaction-scoped advisory lock
// serialises flushes from several replicas, whose read-merge-write of the
// same hour's rows would otherwise lose counts.
func (s *Store) ApplyRollup(ctx context.Context, b RollupBatch) error {
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if s.IsPostgres() {
			if err := tx.Exec("SELECT pg_advisory_xact_lock(hashtext(current_schema()), hashtext('steward.rollup'))").Error; err != nil {
				return err
			}
		}
		if err := mergeEndpointTraffic(tx, b.Endpoints, b.MergeSketches); err != nil {
			return fmt.Errorf("endpoint traffic: %w", err)
		}
		if err := mergeDiscovered(tx, b.Discovered); err != nil {
			return fmt.Errorf("discovered traffic: %w", err)
		}
		if err := addStatuses(tx, b.Statuses); err != nil {
			return fmt.Errorf("statuses: %w", err)
		}
		if err := addConsumers(tx, b.Consumers); err != nil {
			return fmt.Errorf("consumers: %w", err)
		}
		for _, d := range b.Sources {
			if err := tx.Exec(`UPDATE sources SET events_total = events_total + ?,
				last_event_at = CASE WHEN last_event_at IS NULL OR last_event_at < ? THEN ? ELSE last_event_at END
				WHERE id = ?`, d.Events, d.LastEventAt.UTC(), d.LastEventAt.UTC(), d.SourceID).Error; err != nil {
				return err
			}
			if err := extendCoverage(tx, d.SourceID, d.From, d.To); err != nil {
				return err
			}
		}
		if b.Consumer == "" {
			return nil
		}
		return tx.Clauses(clause.OnConflict{
			Columns:   []clause.Column{{Name: "consumer"}},
			DoUpdates: clause.AssignmentColumns([]string{"position", "updated_at"}),
		}).Table("journal_positions").Create(map[string]any{"consumer": b.Consumer, "position": b.Position, "updated_at": time.Now().UTC()}).Error
	})
}

type trafficKey struct {
	version          uint
	method, template string
	hour             int64
}

// mergeEndpointTraffic reads the stored rows the batch touches, merges the
// new counts and sketches in, and writes them back.
func mergeEndpointTraffic(tx *gorm.DB, rows []EndpointTraffic, merge func(stored, incoming []byte) ([]byte, error)) error {
	if len(rows) == 0 {
		return nil
	}
	versions := map[uint]bool{}
	minHour, maxHour := rows[0].Hour, rows[0].Hour
	for _, r := range rows {
		versions[r.VersionID] = true
		if r.Hour.Before(minHour) {
			minHour = r.Hour
		}
		if r.Hour.After(maxHour) {
			maxHour = r.Hour
		}
	}
	ids := make([]uint, 0, len(versions))
	for id := range versions {
		ids = append(ids, id)
	}
	var stored []EndpointTraffic
	for chunk := range chunks(ids, 500) {
		var part []EndpointTraffic
		if err := tx.Where("version_id IN ? AND hour >= ? AND hour <= ?", chunk, minHour.UTC(), maxHour.UTC()).Find(&part).Error; err != nil {
			return err
		}
		stored = append(stored, part...)
	}
	byKey := make(map[trafficKey]*EndpointTraffic, len(stored))
	for i := range stored {
		st := &stored[i]
		byKey[trafficKey{st.VersionID, st.Method, st.Template, st.Hour.Unix()}] = st
	}
	// Merged rows and new ones go back in multi-row upserts on the unique
	// key: one statement per few dozen rows, not one per row.
	out := make([]EndpointTraffic, 0, len(rows))
	for _, r := range rows {
		st, ok := byKey[trafficKey{r.VersionID, r.Method, r.Template, r.Hour.Unix()}]
		if !ok {
			r.ID = 0
			out = append(out, r)
			continue
		}
		st.Counters.Add(r.Counters)
		st.Documented = r.Documented
		st.FirstSeen = minTime(st.FirstSeen, r.FirstSeen)
		st.LastSeen = maxTime(st.LastSeen, r.LastSeen)
		st.LastLegitimate = maxTimePtr(st.LastLegitimate, r.LastLegitimate)
		if merge != nil {
			merged, err := merge(st.Sketches, r.Sketches)
			if err != nil {
				return err
			}
			st.Sketches = merged
		}
		merged := *st
		merged.ID = 0
		out = append(out, merged)
	}
	return tx.Clauses(clause.OnConflict{
		Columns: []clause.Column{{Name: "version_id"}, {Name: "method"}, {Name: "template"}, {Name: "hour"}},
		DoUpdates: clause.AssignmentColumns([]string{"documented", "requests", "status_1xx", "status_2xx", "status_3xx", "status_4xx", "status_5xx",
			"status_other", "bytes_sum", "bytes_known", "https", "authenticated", "rate_limited", "compressed", "hsts", "security_headers",
			"legitimate", "first_seen", "last_seen", "last_legitimate", "sketches"}),
	}).CreateInBatches(out, upsertBatch/2).Error // 22 columns a row
}

// upsertRows writes rows in multi-row INSERT ... ON CONFLICT statements of
// at most upsertBatch rows: a statement per row was most of a large
// rollup's time.
func upsertRows(tx *gorm.DB, table string, cols []string, conflict, set string, rows [][]any) error {
	placeholders := "(" + strings.TrimSuffix(strings.Repeat("?, ", len(cols)), ", ") + ")"
	for batch := range chunks(rows, upsertBatch) {
		var sql strings.Builder
		sql.WriteString("INSERT INTO " + table + " (" + strings.Join(cols, ", ") + ") VALUES ")
		args := make([]any, 0, len(batch)*len(cols))
		for i, r := range batch {
			if i > 0 {
				sql.WriteString(", ")
			}
			sql.WriteString(placeholders)
			args = append(args, r...)
		}
		sql.WriteString(" ON CONFLICT (" + conflict + ") DO UPDATE SET " + set)
		if err := tx.Exec(sql.String(), args...).Error; err != nil {
			return err
		}
	}
	return nil
}

// upsertBatch is the rows per statement. The SQLite driver matches each
// parameter against the argument list, a cost that grows with the square
// of the parameters: 400 rows (3,200 parameters) spent more time binding
// than writing. 50 rows keep both small.
const upsertBatch = 50

func mergeDiscovered(tx *gorm.DB, rows []DiscoveredTraffic) error {
	vals := make([][]any, len(rows))
	for i, r := range rows {
		vals[i] = []any{r.Host, r.Method, r.Template, r.Hour.UTC(), r.Requests, r.Status2xx, r.Status4xx, r.Status5xx, r.HTTPS, r.Authenticated, r.Legitimate,
			r.FirstSeen.UTC(), r.LastSeen.UTC()}
	}
	return upsertRows(tx, "discovered_traffic",
		[]string{"host", "method", "template", "hour", "requests", "status_2xx", "status_4xx", "status_5xx", "https", "authenticated", "legitimate", "first_seen", "last_seen"},
		"host, method, template, hour", `
			requests = discovered_traffic.requests + excluded.requests,
			status_2xx = discovered_traffic.status_2xx + excluded.status_2xx,
			status_4xx = discovered_traffic.status_4xx + excluded.status_4xx,
			status_5xx = discovered_traffic.status_5xx + excluded.status_5xx,
			https = discovered_traffic.https + excluded.https,
			authenticated = discovered_traffic.authenticated + excluded.authenticated,
			legitimate = discovered_traffic.legitimate + excluded.legitimate,
			first_seen = CASE WHEN excluded.first_seen < discovered_traffic.first_seen THEN excluded.first_seen ELSE discovered_traffic.first_seen END,
			last_seen = CASE WHEN excluded.last_seen > discovered_traffic.last_seen THEN excluded.last_seen ELSE discovered_traffic.last_seen END`, vals)
}

func addStatuses(tx *gorm.DB, rows []EndpointStatus) error {
	vals := make([][]any, len(rows))
	for i, r := range rows {
		vals[i] = []any{r.VersionID, r.Method, r.Template, r.Status, r.Requests, r.LastSeen.UTC()}
	}
	return upsertRows(tx, "endpoint_statuses", []string{"version_id", "method", "template", "status", "requests", "last_seen"},
		"version_id, method, template, status", `
			requests = endpoint_statuses.requests + excluded.requests,
			last_seen = CASE WHEN excluded.last_seen > endpoint_statuses.last_seen THEN excluded.last_seen ELSE endpoint_statuses.last_seen END`, vals)
}

func addConsumers(tx *gorm.DB, rows []EndpointConsumer) error {
	vals := make([][]any, len(rows))
	for i, r := range rows {
		vals[i] = []any{r.VersionID, r.Method, r.Template, r.Consumer, r.Day.UTC(), r.Requests, r.Legitimate, r.LastSeen.UTC()}
	}
	return upsertRows(tx, "endpoint_consumers", []string{"version_id", "method", "template", "consumer", "day", "requests", "legitimate", "last_seen"},
		"version_id, method, template, consumer, day", `
			requests = endpoint_consumers.requests + excluded.requests,
			legitimate = endpoint_consumers.legitimate + excluded.legitimate,
			last_seen = CASE WHEN excluded.last_seen > endpoint_consumers.last_seen THEN excluded.last_seen ELSE endpoint_consumers.last_seen END`, vals)
}

// chunks splits ids into slices of at most n, keeping IN lists short.
func chunks[T any](ids []T, n int) func(yield func([]T) bool) {
	return func(yield func([]T) bool) {
		for len(ids) > 0 {
			k := min(n, len(ids))
			if !yield(ids[:k]) {
				return
			}
			ids = ids[k:]
		}
	}
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

func maxTimePtr(a, b *time.Time) *time.Time {
	switch {
	case a == nil:
		return b
	case b == nil:
		return a
	case b.After(*a):
		return b
	}
	return a
}
