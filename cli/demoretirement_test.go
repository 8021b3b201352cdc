package cli

import (
	"context"
	"testing"
	"time"

	"github.com/steward-governance/steward/models"
	"github.com/steward-governance/steward/retirement"
)

// On first start, once the demo traffic is rolled up, the zombie job has
// judged the demo organisation and a retirement case waits for the first
// team's owners, whom the owner persona joins.
func TestFirstStartSetsUpDemoRetirements(t *testing.T) {
	ctx := context.Background()
	store := startDemo(t)
	for deadline := time.Now().Add(120 * time.Second); time.Now().Before(deadline); time.Sleep(250 * time.Millisecond) {
		runs, err := store.JobRuns(ctx, "zombies", 1)
		if err != nil || len(runs) == 0 || runs[0].Status != "succeeded" {
			continue
		}
		teams, err := store.ListTeams(ctx)
		if err != nil || len(teams) == 0 {
			t.Fatalf("teams: %v", err)
		}
		cases, err := store.ListCases(ctx, models.CaseFilter{States: []retirement.State{retirement.Proposed}})
		if err != nil {
			t.Fatal(err)
		}
		owners := 0
		for _, c := range cases {
			if c.TeamSlug == teams[0].Slug {
				owners++
			}
		}
		if owners == 0 {
			continue // the demo case follows the zombie run
		}
		verdicts, err := store.ZombieVerdicts(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		count := map[string]int{}
		for _, v := range verdicts {
			count[v.Verdict]++
		}
		if count["zombie"] == 0 || count["active"] == 0 {
			t.Errorf("verdicts: %v; want the silent versions as zombies and the rest active", count)
		}
		zombieCases := 0
		for _, c := range cases {
			if c.OpenedBySystem && c.OpenedBy == "system:zombies" {
				zombieCases++
			}
		}
		if zombieCases != count["zombie"] {
			t.Errorf("%d zombie proposals for %d zombies", zombieCases, count["zombie"])
		}
		set, _ := store.RetirementSettings(ctx)
		if set.ZombieDays != demoZombieDays {
			t.Errorf("demo zombie window: %d", set.ZombieDays)
		}
		return
	}
	t.Fatal("the demo retirements were not set up within 120 s")
}
