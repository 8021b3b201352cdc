package handlers_test

import (
	"strings"
	"testing"
	"time"

	"github.com/steward-governance/steward/models"
)

// The API page is kept per catalogue generation; a change written straight
// to the database, as another replica would, must show on the next view.
func TestAPIPageFollowsChangesFromAnyReplica(t *testing.T) {
	forEngines(t, func(t *testing.T, engine string) {
		s := newSite(t, engine)
		s.seedPets()
		if p := s.upload("/apis/pets/versions/v1", "pets.yaml", []byte(petsV1)); p.status >= 400 {
			t.Fatalf("upload: %d", p.status)
		}
		before := s.get("/apis/pets")
		versions := before.text("[data-testid=versions]")
		if !strings.Contains(versions, "none") || !strings.Contains(versions, "OpenAPI 3.0") || before.text("[data-testid=api-owner]") != "Zoo Keepers" {
			t.Fatalf("before: versions %q, owner %q", versions, before.text("[data-testid=api-owner]"))
		}

		db := s.store.DB()
		var versionID uint
		if err := db.Table("versions").Select("id").Where("name = ?", "v1").Scan(&versionID).Error; err != nil {
			t.Fatal(err)
		}
		// One change at a time, each viewed, so each table's own trigger
		// is what the page depends on.
		changes := []struct {
			name   string
			change func() error
			sel    string
			want   string
		}{
			{"a deployment added", func() error {
				now := time.Now().UTC()
				return db.Create(&models.Deployment{VersionID: versionID, Environment: "prod", BaseURL: "https://pets.example.com", CreatedAt: now, UpdatedAt: now}).Error
			}, "[data-testid=versions]", "https://pets.example.com"},
			{"a spec revision changed", func() error {
				return db.Exec("UPDATE spec_revisions SET spec_version = '3.1.0'").Error
			}, "[data-testid=versions]", "OpenAPI 3.1.0"},
			{"the team renamed", func() error {
				return db.Exec("UPDATE teams SET name = 'Zoo Staff' WHERE slug = 'zoo'").Error
			}, "[data-testid=api-owner]", "Zoo Staff"},
		}
		for _, c := range changes {
			if err := c.change(); err != nil {
				t.Fatalf("%s: %v", c.name, err)
			}
			if got := s.get("/apis/pets").text(c.sel); !strings.Contains(got, c.want) {
				t.Errorf("after %s: %q, want %q in it", c.name, got, c.want)
			}
		}
	})
}
