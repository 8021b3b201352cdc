package cli

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/steward-governance/steward/catalog"
	"github.com/steward-governance/steward/lifecycle"
	"github.com/steward-governance/steward/models"
)

// corpusDoc reads a spec of the shared corpus as a JSON object, skipping
// the test when the corpus is not checked out.
func corpusDoc(t *testing.T, name string) map[string]any {
	t.Helper()
	path := filepath.Join("..", "..", "shared", "corpus", "specs", name)
	raw, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		t.Skipf("corpus spec %s is absent", path)
	}
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	return doc
}

// TestImportMeetsTheBreakingChangePolicy imports two real specs into
// production versions, then imports edits of them: a breaking edit stops
// the whole import, naming the API, the version and the change, whatever
// stage the import would move the version to, until the version is at a
// stage that allows breaking changes.
func TestImportMeetsTheBreakingChangePolicy(t *testing.T) {
	petstore := corpusDoc(t, "readme-oas30__petstore.json") // Swagger Petstore 1.0.0: swagger-petstore v1
	forge := corpusDoc(t, "1forge.com.json")                // 1Forge Finance APIs 0.0.1: 1forge-finance-apis v0
	dir := t.TempDir()
	db := filepath.Join(t.TempDir(), "import.db")
	ctx := context.Background()
	store, err := models.Open(db, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	if err := store.Migrate(); err != nil {
		t.Fatal(err)
	}
	if _, err := store.CreateTeam(ctx, catalog.SystemActor("test"), catalog.TeamInput{Slug: "zoo", Name: "Zoo"}); err != nil {
		t.Fatal(err)
	}
	write := func(name string, doc map[string]any, stage string) {
		t.Helper()
		doc["x-owner"], doc["x-lifecycle"] = "zoo", stage
		b, err := json.MarshalIndent(doc, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	revisions := func(api, version string) int {
		t.Helper()
		v, err := store.GetVersion(ctx, api, version)
		if err != nil {
			t.Fatal(err)
		}
		return len(v.Revisions)
	}
	write("petstore.json", petstore, "production")
	write("forge.json", forge, "production")
	if code, out, errOut := run("import", "--specs", "--database-url", db, dir); code != 0 || !strings.Contains(out, "2 spec revisions stored") {
		t.Fatalf("first import: exit %d\n%s%s", code, out, errOut)
	}

	// Breaking: an operation removed from the petstore. Compatible: a new
	// operation in 1Forge.
	delete(petstore["paths"].(map[string]any)["/store/order/{orderId}"].(map[string]any), "get")
	forge["paths"].(map[string]any)["/health"] = map[string]any{"get": map[string]any{"responses": map[string]any{"200": map[string]any{"description": "up"}}}}
	write("forge.json", forge, "production")

	tests := []struct {
		name   string
		stage  string // the petstore's x-lifecycle in the import
		before func()
		code   int
		want   []string // in stderr
		absent []string
		stored map[string]int // revisions after, by API
	}{
		{name: "a breaking spec for a production version is refused, and so is the import",
			stage: "production", code: 1,
			want: []string{"api swagger-petstore version v1", "1 breaking change", "holds breaking changes to production versions",
				"GET /store/order/{orderId}: API removed without deprecation", "nothing was imported", "request an exception"},
			stored: map[string]int{"swagger-petstore": 1, "1forge-finance-apis": 1}},
		{name: "moving the version to an earlier stage in the same import does not lift the policy",
			stage: "design", code: 1,
			want:   []string{"api swagger-petstore version v1", "its stage now: moving it to design in the same import does not lift that"},
			stored: map[string]int{"swagger-petstore": 1, "1forge-finance-apis": 1}},
		{name: "a deprecated version refuses them, with no exception to ask for",
			stage: "deprecated", code: 1,
			want:   []string{"refuses breaking changes to deprecated versions", "the stage this import gives it, from production", "Publish the changes as a new version."},
			absent: []string{"request an exception"},
			stored: map[string]int{"swagger-petstore": 1, "1forge-finance-apis": 1}},
		{name: "at a stage that allows breaking changes the import goes through",
			stage: "development", code: 0,
			before: func() {
				if _, err := store.TransitionVersion(ctx, catalog.SystemActor("test"), "swagger-petstore", "v1",
					models.TransitionInput{To: catalog.StageDevelopment, Reason: "back to a stage that allows breaking changes"}, lifecycle.DefaultGates); err != nil {
					t.Fatal(err)
				}
			},
			stored: map[string]int{"swagger-petstore": 2, "1forge-finance-apis": 2}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.before != nil {
				tc.before()
			}
			write("petstore.json", petstore, tc.stage)
			code, out, errOut := run("import", "--specs", "--database-url", db, dir)
			if code != tc.code {
				t.Fatalf("exit %d, want %d\n%s%s", code, tc.code, out, errOut)
			}
			for _, w := range tc.want {
				if !strings.Contains(errOut, w) {
					t.Errorf("stderr lacks %q:\n%s", w, errOut)
				}
			}
			for _, a := range tc.absent {
				if strings.Contains(errOut, a) {
					t.Errorf("stderr has %q:\n%s", a, errOut)
				}
			}
			for api, n := range tc.stored {
				version := map[string]string{"swagger-petstore": "v1", "1forge-finance-apis": "v0"}[api]
				if got := revisions(api, version); got != n {
					t.Errorf("%s has %d revisions, want %d", api, got, n)
				}
			}
		})
	}
	// The revision the import let through keeps its changes for the
	// changelog, as an upload's would.
	v, err := store.GetVersion(ctx, "swagger-petstore", "v1")
	if err != nil {
		t.Fatal(err)
	}
	if v.Current == nil || v.Current.BreakingCount != 1 || !strings.Contains(v.Current.Changes, "api-removed-without-deprecation") {
		t.Errorf("current revision after the import: %+v", v.Current)
	}
}
