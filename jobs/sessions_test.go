package jobs_test

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/steward-governance/steward/jobs"
	"github.com/steward-governance/steward/models"
	"github.com/steward-governance/steward/models/storetest"
)

func TestSessionCleanupDeletesOnlyExpiredSessions(t *testing.T) {
	for _, engine := range storetest.Engines {
		t.Run(engine, func(t *testing.T) {
			st := storetest.New(t, engine)
			ctx := context.Background()
			u, err := st.UpsertUser(ctx, models.Identity{Issuer: "t", Subject: "s", Email: "s@example.com"})
			if err != nil {
				t.Fatal(err)
			}
			if err := st.CreateSession(ctx, "live", u.ID, time.Now().Add(time.Hour), "", "", ""); err != nil {
				t.Fatal(err)
			}
			if err := st.CreateSession(ctx, "past-absolute", u.ID, time.Now().Add(-time.Minute), "", "", ""); err != nil {
				t.Fatal(err)
			}
			job := &jobs.SessionCleanup{Store: st, Idle: time.Hour, Log: slog.New(slog.DiscardHandler)}
			if err := job.Run(ctx); err != nil {
				t.Fatal(err)
			}
			if _, _, err := st.SessionUser(ctx, "live", time.Hour); err != nil {
				t.Errorf("live session deleted: %v", err)
			}
			var n int64
			st.DB().Table("sessions").Count(&n)
			if n != 1 {
				t.Errorf("%d sessions left, want 1", n)
			}
		})
	}
}
