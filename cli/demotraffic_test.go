package cli

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/steward-governance/steward/config"
	"github.com/steward-governance/steward/models"
)

// On first start the demo organisation's traffic goes through the real
// ingest endpoint and is rolled up, so runtime pages have data at once.
func TestFirstStartSendsDemoTraffic(t *testing.T) {
	ctx := context.Background()
	store := startDemo(t)
	for deadline := time.Now().Add(90 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		runs, err := store.JobRuns(ctx, "rollup", 5)
		if err != nil || len(runs) == 0 || runs[0].Status != "succeeded" {
			continue
		}
		srcs, err := store.Sources(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(srcs) != 1 || !srcs[0].Demo || srcs[0].EventsTotal < 2000 {
			t.Fatalf("demo source: %+v", srcs)
		}
		hosts, err := store.DiscoveredHosts(ctx, time.Now().AddDate(0, 0, -30))
		if err != nil || len(hosts) == 0 {
			t.Errorf("no shadow host discovered from the demo traffic: %v", err)
		}
		return
	}
	t.Fatal("the demo traffic was not rolled up within 90 s")
}

// startDemo starts steward serve on a new SQLite database with the demo
// on (and a small demo traffic), and returns a store on that database for
// the test to watch; serve stops when the test ends.
func startDemo(t *testing.T) *models.Store {
	t.Helper()
	demoTrafficEvents = 2000
	t.Cleanup(func() { demoTrafficEvents = 30_000 })
	dir := t.TempDir()
	db := filepath.Join(dir, "s.db")
	cfg, err := config.Load([]string{"--addr", "127.0.0.1:0", "--database-url", db, "--journal-dir", filepath.Join(dir, "journal")}, func(string) string { return "" }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- serve(ctx, cfg, slog.New(slog.DiscardHandler), nil) }()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	// serve creates and migrates the database; the store opens it once
	// the file exists, and reads through WAL alongside the server.
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		if _, err := os.Stat(db); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("steward serve did not create its database")
		}
	}
	store, err := models.Open(db, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	return store
}
