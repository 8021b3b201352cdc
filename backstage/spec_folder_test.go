package backstage

import (
	"strings"
	"testing"
	"testing/fstest"

	"github.com/steward-governance/steward/catalog"
)

func TestReadSpecFolder(t *testing.T) {
	fsys := fstest.MapFS{
		// Owner at the top level, stage from x-lifecycle.
		"specs/payments.yaml": file(`openapi: 3.0.3
x-owner: group:default/payments
x-lifecycle: production
info:
  title: Payments API
  version: 2.4.1
  description: Take money.
paths: {}
`),
		// Owner inside info, as JSON, a Backstage lifecycle word as the stage.
		"specs/ledger.json": file(`{"swagger": "2.0", "info": {"title": "Ledger", "version": "v3", "x-owner": "finance", "x-stage": "experimental"}, "paths": {}}`),
		// No owner: the default applies; no title: the file name names it.
		"specs/nested/orders.yml": file("openapi: 3.1.0\ninfo:\n  version: 1.0.0\npaths: {}\n"),
		// A user as owner falls back to the default owner with a warning.
		"specs/users.yaml": file("openapi: 3.0.0\nx-owner: user:jdoe\ninfo: {title: Users, version: '1'}\npaths: {}\n"),
		// A second major version of the Payments API joins the same API.
		"specs/payments-v1.yaml": file("openapi: 3.0.0\nx-owner: payments\nx-stage: retired\ninfo: {title: Payments API, version: 1.9.0}\npaths: {}\n"),
		// An unknown stage is warned about and becomes design.
		"specs/search.yaml": file("openapi: 3.0.0\ninfo: {title: Search, version: 0.1.0, x-lifecycle: someday}\npaths: {}\n"),
		// Not specs: ignored without a word.
		"specs/package.json":   file(`{"name": "tooling"}`),
		"specs/docs/notes.txt": file("openapi: 3.0.0"),
		"specs/chart.yaml":     file("name: chart\n"),
	}
	plan, warnings, err := ReadSpecFolder(fsys, "specs", "platform")
	if err != nil {
		t.Fatal(err)
	}
	if plan.Source != "import specs" || len(plan.Teams) != 0 {
		t.Errorf("plan = %+v", plan)
	}
	type row struct{ slug, name, team, versions string }
	var got []row
	for _, a := range plan.APIs {
		var vs []string
		for _, v := range a.Versions {
			vs = append(vs, v.Version.Name+":"+string(v.Version.Stage)+":"+v.SpecName)
		}
		got = append(got, row{a.API.Slug, a.API.Name, a.API.TeamSlug, strings.Join(vs, " ")})
	}
	want := []row{
		{"ledger", "Ledger", "finance", "v3:development:specs/ledger.json"},
		{"orders", "orders", "platform", "v1:design:specs/nested/orders.yml"},
		{"payments-api", "Payments API", "payments", "v1:retired:specs/payments-v1.yaml v2:production:specs/payments.yaml"},
		{"search", "Search", "platform", "v0:design:specs/search.yaml"},
		{"users", "Users", "platform", "v1:design:specs/users.yaml"},
	}
	if len(got) != len(want) {
		t.Fatalf("APIs:\n got %+v\nwant %+v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("API %d:\n got %+v\nwant %+v", i, got[i], want[i])
		}
	}
	for _, a := range plan.APIs {
		if err := a.API.Validate(); err != nil {
			t.Errorf("API %s: %v", a.API.Slug, err)
		}
		for _, v := range a.Versions {
			if len(v.Spec) == 0 {
				t.Errorf("API %s version %s has no spec", a.API.Slug, v.Version.Name)
			}
		}
	}
	if !hasWarning(warnings, "specs/users.yaml", "is a user") || !hasWarning(warnings, "specs/search.yaml", `"someday"`) {
		t.Errorf("warnings = %v", warnings)
	}
	if len(warnings) != 2 {
		t.Errorf("%d warnings, want 2: %v", len(warnings), warnings)
	}
	for _, w := range warnings {
		if w.File == "specs/users.yaml" && w.Line != 2 {
			t.Errorf("user-owner warning on line %d, want 2", w.Line)
		}
	}
}

func TestReadSpecFolderWithoutOwner(t *testing.T) {
	fsys := fstest.MapFS{
		"a.yaml": file("openapi: 3.0.0\ninfo: {title: A, version: 1.0.0}\npaths: {}\n"),
		"b.yaml": file("openapi: 3.0.0\nx-owner: payments\ninfo: {title: B, version: 1.0.0}\npaths: {}\n"),
		"c.yaml": file("openapi: 3.0.0\nx-owner: payments\ninfo: {title: B, version: 1.2.0}\npaths: {}\n"),
	}
	plan, warnings, err := ReadSpecFolder(fsys, ".", "")
	if err != nil {
		t.Fatal(err)
	}
	if len(plan.APIs) != 1 || plan.APIs[0].API.Slug != "b" || len(plan.APIs[0].Versions) != 1 {
		t.Errorf("APIs = %+v", plan.APIs)
	}
	if !hasWarning(warnings, "a.yaml", "no owner") || !hasWarning(warnings, "c.yaml", "same API") || len(warnings) != 2 {
		t.Errorf("warnings = %v", warnings)
	}
}

func TestReadSpecFolderBadInput(t *testing.T) {
	t.Run("invalid default owner", func(t *testing.T) {
		if _, _, err := ReadSpecFolder(fstest.MapFS{}, ".", "user:jdoe"); err == nil {
			t.Error("want an error for a user as default owner")
		}
	})
	t.Run("broken spec warned with its line", func(t *testing.T) {
		fsys := fstest.MapFS{"broken.yaml": file("openapi: 3.0.0\ninfo:\n  title: [Broken\n  version: 1\n")}
		plan, warnings, err := ReadSpecFolder(fsys, ".", "payments")
		if err != nil {
			t.Fatal(err)
		}
		if len(plan.APIs) != 0 || len(warnings) != 1 || warnings[0].Line != 3 || !strings.Contains(warnings[0].Message, "not valid JSON or YAML") {
			t.Errorf("APIs %d, warnings %v", len(plan.APIs), warnings)
		}
	})
	t.Run("alias bomb is an error", func(t *testing.T) {
		fsys := fstest.MapFS{"bomb.yaml": file("openapi: 3.0.0\ninfo: {title: Bomb, version: 1.0.0}\nx-junk:\n  " +
			strings.ReplaceAll(strings.TrimSpace(bomb), "\n", "\n  ") + "\n")}
		_, _, err := ReadSpecFolder(fsys, ".", "payments")
		if err == nil || !strings.Contains(err.Error(), "bomb.yaml") || !strings.Contains(err.Error(), "excessive aliasing") {
			t.Errorf("err = %v", err)
		}
	})
}

func TestVersionName(t *testing.T) {
	tests := map[string]string{
		"1.2.3":      "v1",
		"2.0":        "v2",
		"v3":         "v3",
		"V4.1":       "v4",
		"0.9.0":      "v0",
		"10":         "v10",
		"2024-06-01": "2024-06-01",
		"":           "v1",
		"latest":     "v1",
		"Live":       "v1",
	}
	for in, want := range tests {
		if got := versionName(in); got != want {
			t.Errorf("versionName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestStageFor(t *testing.T) {
	tests := []struct {
		in    string
		stage catalog.Stage
		known bool
	}{
		{"experimental", catalog.StageDevelopment, true},
		{"production", catalog.StageProduction, true},
		{"Deprecated", catalog.StageDeprecated, true},
		{"preview", catalog.StagePreview, true},
		{"retired", catalog.StageRetired, true},
		{"sunset", catalog.StageDesign, false},
		{"", catalog.StageDesign, false},
	}
	for _, tt := range tests {
		if stage, known := stageFor(tt.in); stage != tt.stage || known != tt.known {
			t.Errorf("stageFor(%q) = %s, %v; want %s, %v", tt.in, stage, known, tt.stage, tt.known)
		}
	}
}
