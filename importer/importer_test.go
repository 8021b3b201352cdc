package importer_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/steward-governance/steward/catalog"
	"github.com/steward-governance/steward/demo"
	"github.com/steward-governance/steward/importer"
	"github.com/steward-governance/steward/models/storetest"
	"github.com/steward-governance/steward/specs"
)

// TestDemoOrganisationImports seeds the demo on both engines: every shipped
// spec must parse, and seeding twice must change nothing.
func TestDemoOrganisationImports(t *testing.T) {
	for _, engine := range storetest.Engines {
		t.Run(engine, func(t *testing.T) {
			store := storetest.New(t, engine)
			plan, err := demo.Organisation()
			if err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			res, err := importer.Apply(ctx, store, catalog.SystemActor("demo"), plan, specs.DefaultLimits(), true)
			if err != nil {
				t.Fatal(err)
			}
			if res.TeamsCreated != len(plan.Teams) || res.APIsCreated != len(plan.APIs) || res.APIsCreated < 100 {
				t.Errorf("demo seeded %+v", res)
			}
			again, _ := demo.Organisation()
			res, err = importer.Apply(ctx, store, catalog.SystemActor("demo"), again, specs.DefaultLimits(), true)
			if err != nil {
				t.Fatal(err)
			}
			if res.APIsCreated+res.APIsUpdated+res.SpecsStored+res.TeamsCreated+res.VersionsCreated != 0 {
				t.Errorf("seeding twice changed something: %+v", res)
			}
			if demoData, _ := store.HasDemoData(ctx); !demoData {
				t.Error("demo APIs are not marked as demo data")
			}
		})
	}
}

func TestApplyReportsEveryProblemAndWritesNothing(t *testing.T) {
	store := storetest.New(t, "sqlite")
	plan := catalog.Plan{
		Teams: []catalog.TeamInput{{Name: "Good Team"}, {Slug: "Bad Slug", Name: "x"}},
		APIs: []catalog.PlannedAPI{
			{API: catalog.APIInput{Name: "Orders", TeamSlug: "good-team"}, Versions: []catalog.PlannedVersion{{
				Version: catalog.VersionInput{Name: "v1"}, Spec: []byte("not: openapi"), SpecName: "orders.yaml",
			}}},
			{API: catalog.APIInput{Name: "Orders", TeamSlug: "good-team"}},
		},
	}
	_, err := importer.Apply(context.Background(), store, catalog.Actor{Name: "t"}, plan, specs.DefaultLimits(), false)
	var ie *importer.Error
	if !errors.As(err, &ie) || !errors.Is(err, catalog.ErrInvalid) {
		t.Fatalf("got %v", err)
	}
	msg := err.Error()
	for _, want := range []string{"team Bad Slug", "orders.yaml", "appears twice"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error does not mention %q:\n%s", want, msg)
		}
	}
	if n, _ := store.CountAPIs(context.Background()); n != 0 {
		t.Errorf("%d APIs written by a failed import", n)
	}
}
