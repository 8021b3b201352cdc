// Package storetest opens fresh, migrated databases for tests: a SQLite file
// in a temporary folder, or a new schema on the PostgreSQL server named by
// STEWARD_TEST_POSTGRES_URL (default postgres://postgres@127.0.0.1:5432/test).
package storetest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/steward-governance/steward/models"
)

// Engines lists the database engines every store test runs on.
var Engines = []string{"sqlite", "postgres"}

// DefaultPostgresURL is the machine's PostgreSQL, as CI provides it.
const DefaultPostgresURL = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

var schemaSeq atomic.Int64

// PostgresURL returns the server URL tests use.
func PostgresURL() string {
	if u := os.Getenv("STEWARD_TEST_POSTGRES_URL"); u != "" {
		return u
	}
	return DefaultPostgresURL
}

// InCI reports whether the tests run in CI, where nothing may be skipped.
func InCI() bool { return os.Getenv("CI") != "" }

// New returns a migrated store on engine ("sqlite" or "postgres").
func New(t testing.TB, engine string) *models.Store {
	t.Helper()
	s := Unmigrated(t, engine)
	if err := s.Migrate(); err != nil {
		t.Fatalf("migrate %s: %v", engine, err)
	}
	return s
}

// Unmigrated returns an empty store on engine, for migration tests.
func Unmigrated(t testing.TB, engine string) *models.Store {
	t.Helper()
	return Open(t, URL(t, engine))
}

// URL returns the address of a fresh, empty database on engine, for tests
// that open it more than once (two replicas of Steward).
func URL(t testing.TB, engine string) string {
	t.Helper()
	switch engine {
	case "sqlite":
		return filepath.Join(t.TempDir(), "steward.db")
	case "postgres":
		return NewPostgresSchema(t)
	}
	t.Fatalf("unknown engine %q", engine)
	return ""
}

// Open opens the database at url, closing it when the test ends.
func Open(t testing.TB, url string) *models.Store {
	t.Helper()
	s, err := models.Open(url, nil)
	if err != nil {
		t.Fatalf("open database: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// NewPostgresSchema creates an empty schema for one test and returns a URL
// whose search_path points at it; the schema is dropped after the test.
// Outside CI an unreachable server skips the test; in CI it fails it.
func NewPostgresSchema(t testing.TB) string {
	t.Helper()
	base := PostgresURL()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		if InCI() {
			t.Fatalf("PostgreSQL at %s is required in CI: %v", base, err)
		}
		t.Skipf("skipping PostgreSQL test: no server at %s (%v); CI runs it", base, err)
	}
	defer conn.Close(context.Background())
	schema := fmt.Sprintf("t_%d_%d_%d", os.Getpid(), time.Now().UnixNano()%1e9, schemaSeq.Add(1))
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		c, err := pgx.Connect(ctx, base)
		if err != nil {
			return
		}
		defer c.Close(ctx)
		c.Exec(ctx, "DROP SCHEMA "+schema+" CASCADE")
	})
	sep := "?"
	if strings.Contains(base, "?") {
		sep = "&"
	}
	return base + sep + "search_path=" + schema
}
