// Package models holds Steward's persistent data: the GORM models, the
// versioned migrations and the Store that reads and writes them. It speaks
// to SQLite (embedded default, pure Go) and PostgreSQL through one code path.
package models

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/glebarez/sqlite"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"github.com/steward-governance/steward/catalog"
)

// Store is Steward's persistence layer over one GORM connection pool.
type Store struct {
	db        *gorm.DB
	catalogue *catalogueIndexes // catalog_index.go
}

// DB exposes the underlying connection for tests and tools that need raw access.
func (s *Store) DB() *gorm.DB { return s.db }

// IsPostgres reports whether the store runs on PostgreSQL.
func (s *Store) IsPostgres() bool { return s.db.Dialector.Name() == "postgres" }

// Open connects to the database named by url: a postgres:// URL, or else a
// SQLite file path. It does not migrate; call Migrate.
func Open(url string, log *slog.Logger) (*Store, error) {
	cfg := &gorm.Config{
		Logger:                 slogGormLogger(log),
		SkipDefaultTransaction: true, // writes that need one open it explicitly
		TranslateError:         true,
		NowFunc:                func() time.Time { return time.Now().UTC() },
	}
	var dialector gorm.Dialector
	isPG := strings.HasPrefix(url, "postgres://") || strings.HasPrefix(url, "postgresql://")
	if isPG {
		dialector = postgres.Open(url)
	} else {
		// WAL lets readers proceed during a write; busy_timeout makes a
		// writer wait for the lock instead of failing at once; foreign keys
		// are off by default in SQLite and our cascades rely on them.
		dsn := url
		sep := "?"
		if strings.Contains(dsn, "?") {
			sep = "&"
		}
		// mmap lets reads come from the page cache without a read() call
		// per page: a catalogue page touches thousands of pages.
		dsn += sep + "_pragma=journal_mode(WAL)&_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)&_pragma=synchronous(NORMAL)&_pragma=mmap_size(268435456)&_txlock=immediate"
		dialector = sqlite.Open(dsn)
	}
	db, err := gorm.Open(dialector, cfg)
	if err != nil {
		return nil, fmt.Errorf("models: open database: %w", err)
	}
	sqlDB, err := db.DB()
	if err != nil {
		return nil, fmt.Errorf("models: open database: %w", err)
	}
	if isPG {
		sqlDB.SetMaxOpenConns(20)
		sqlDB.SetMaxIdleConns(20)
	} else {
		// SQLite allows one writer; a small pool keeps readers concurrent
		// under WAL without piling up connections waiting on the lock.
		sqlDB.SetMaxOpenConns(8)
		sqlDB.SetMaxIdleConns(8)
	}
	sqlDB.SetConnMaxIdleTime(5 * time.Minute)
	return &Store{db: db, catalogue: &catalogueIndexes{}}, nil
}

// Ping checks the database answers; /readyz uses it.
func (s *Store) Ping(ctx context.Context) error {
	sqlDB, err := s.db.DB()
	if err != nil {
		return fmt.Errorf("models: ping: %w", err)
	}
	if err := sqlDB.PingContext(ctx); err != nil {
		return fmt.Errorf("models: ping: %w", err)
	}
	return nil
}

// Close releases the connection pool.
func (s *Store) Close() error {
	sqlDB, err := s.db.DB()
	if err != nil {
		return err
	}
	return sqlDB.Close()
}

// translate maps GORM errors onto the catalogue's sentinels, wrapping them
// with what was being done.
func translate(err error, what string) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, gorm.ErrRecordNotFound):
		return fmt.Errorf("models: %s: %w", what, catalog.ErrNotFound)
	case errors.Is(err, gorm.ErrDuplicatedKey):
		return fmt.Errorf("models: %s: %w", what, catalog.ErrConflict)
	case errors.Is(err, catalog.ErrNotFound), errors.Is(err, catalog.ErrConflict), errors.Is(err, catalog.ErrInvalid), errors.Is(err, catalog.ErrForbidden):
		return err
	}
	return fmt.Errorf("models: %s: %w", what, err)
}

// slogGormLogger sends GORM's slow-query and error logs to slog; record-not-
// found is a normal answer here, not an error worth logging.
func slogGormLogger(log *slog.Logger) logger.Interface {
	if log == nil {
		return logger.Discard
	}
	return logger.NewSlogLogger(log, logger.Config{
		SlowThreshold:             500 * time.Millisecond,
		IgnoreRecordNotFoundError: true,
		LogLevel:                  logger.Warn,
		ParameterizedQueries:      true, // never log values: they may hold secrets
	})
}
