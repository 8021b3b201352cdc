package demo

import (
	"io/fs"
	"reflect"
	"testing"

	"github.com/steward-governance/steward/catalog"
)

func organisation(t *testing.T) catalog.Plan {
	t.Helper()
	plan, err := Organisation()
	if err != nil {
		t.Fatalf("Organisation: %v", err)
	}
	return plan
}

func TestOrganisationShape(t *testing.T) {
	plan := organisation(t)
	if plan.Source != "demo" {
		t.Errorf("Source = %q, want demo", plan.Source)
	}
	if len(plan.Teams) != 8 {
		t.Errorf("%d teams, want 8", len(plan.Teams))
	}
	if len(plan.APIs) < 100 {
		t.Errorf("%d APIs, want at least 100", len(plan.APIs))
	}
}

// TestOrganisationValidates checks that every input passes the catalogue's
// own validation and is already normalized, so applying the plan stores
// exactly what the demo describes.
func TestOrganisationValidates(t *testing.T) {
	plan := organisation(t)
	teamSlugs := map[string]bool{}
	for _, team := range plan.Teams {
		n := team
		n.Normalize()
		if !reflect.DeepEqual(n, team) {
			t.Errorf("team %q changes when normalized: %+v", team.Slug, n)
		}
		if err := n.Validate(); err != nil {
			t.Errorf("team %q: %v", team.Slug, err)
		}
		if teamSlugs[team.Slug] {
			t.Errorf("team slug %q used twice", team.Slug)
		}
		teamSlugs[team.Slug] = true
	}

	slugs, names := map[string]bool{}, map[string]bool{}
	for _, p := range plan.APIs {
		api := p.API
		n := api
		n.Normalize()
		if !reflect.DeepEqual(n, api) {
			t.Errorf("API %q changes when normalized:\n got %+v\nwant %+v", api.Slug, n, api)
		}
		if err := n.Validate(); err != nil {
			t.Errorf("API %q: %v", api.Slug, err)
		}
		if slugs[api.Slug] {
			t.Errorf("API slug %q used twice", api.Slug)
		}
		slugs[api.Slug] = true
		if names[api.Name] {
			t.Errorf("API name %q used twice", api.Name)
		}
		names[api.Name] = true
		if !teamSlugs[api.TeamSlug] {
			t.Errorf("API %q is owned by %q, which is not in the plan", api.Slug, api.TeamSlug)
		}
		if len(api.Tags) < 2 || len(api.Tags) > 5 {
			t.Errorf("API %q has %d tags %v, want 2 to 5", api.Slug, len(api.Tags), api.Tags)
		}
		if api.Kind != catalog.KindREST {
			t.Errorf("API %q kind = %q, want rest", api.Slug, api.Kind)
		}
		if api.Description == "" || len([]rune(api.Description)) > maxDescription+4 {
			t.Errorf("API %q description has %d runes", api.Slug, len([]rune(api.Description)))
		}

		if len(p.Versions) < 1 || len(p.Versions) > 3 {
			t.Errorf("API %q has %d versions, want 1 to 3", api.Slug, len(p.Versions))
		}
		versions := map[string]bool{}
		for _, v := range p.Versions {
			vi := v.Version
			vi.Normalize()
			if err := vi.Validate(); err != nil {
				t.Errorf("API %q version %q: %v", api.Slug, v.Version.Name, err)
			}
			if versions[vi.Name] {
				t.Errorf("API %q has version %q twice", api.Slug, vi.Name)
			}
			versions[vi.Name] = true
			for _, d := range v.Deployments {
				d.Normalize()
				if err := d.Validate(); err != nil {
					t.Errorf("API %q version %q deployment %q: %v", api.Slug, vi.Name, d.Environment, err)
				}
			}
			live := vi.Stage == catalog.StageProduction || vi.Stage == catalog.StageDeprecated
			if live && !hasEnvironment(v.Deployments, "production") {
				t.Errorf("API %q version %q is %s but has no production deployment", api.Slug, vi.Name, vi.Stage)
			}
			if vi.Stage == catalog.StageRetired && len(v.Deployments) > 0 {
				t.Errorf("API %q version %q is retired but still deployed", api.Slug, vi.Name)
			}
			if (v.Spec == nil) != (v.SpecName == "") {
				t.Errorf("API %q version %q: spec and spec name disagree (%d bytes, %q)", api.Slug, vi.Name, len(v.Spec), v.SpecName)
			}
		}
		last := p.Versions[len(p.Versions)-1]
		if last.Spec == nil {
			t.Errorf("API %q: newest version %q has no spec", api.Slug, last.Version.Name)
		}
	}
}

func hasEnvironment(ds []catalog.DeploymentInput, env string) bool {
	for _, d := range ds {
		if d.Environment == env {
			return true
		}
	}
	return false
}

func TestOrganisationSpread(t *testing.T) {
	plan := organisation(t)
	stages := map[catalog.Stage]int{}
	visibilities := map[catalog.Visibility]int{}
	perTeam := map[string]int{}
	multi := 0
	for _, p := range plan.APIs {
		visibilities[p.API.Visibility]++
		perTeam[p.API.TeamSlug]++
		if len(p.Versions) > 1 {
			multi++
		}
		for _, v := range p.Versions {
			stages[v.Version.Stage]++
		}
	}
	for _, s := range catalog.Stages {
		if stages[s] == 0 {
			t.Errorf("no version is at stage %s", s)
		}
	}
	if stages[catalog.StageProduction] < len(plan.APIs)/2 {
		t.Errorf("%d production versions for %d APIs; most should be in production", stages[catalog.StageProduction], len(plan.APIs))
	}
	for _, v := range catalog.Visibilities {
		if visibilities[v] == 0 {
			t.Errorf("no API is %s", v)
		}
	}
	if visibilities[catalog.VisibilityInternal] < len(plan.APIs)/2 {
		t.Errorf("visibilities %v: most APIs should be internal", visibilities)
	}
	for _, team := range plan.Teams {
		if perTeam[team.Slug] < 5 {
			t.Errorf("team %q owns %d APIs, want at least 5", team.Slug, perTeam[team.Slug])
		}
	}
	if multi < 10 {
		t.Errorf("%d APIs have more than one version, want at least 10", multi)
	}
}

// TestEverySpecUsed guards against a spec that is shipped but never seeded.
func TestEverySpecUsed(t *testing.T) {
	plan := organisation(t)
	used := map[string]bool{}
	for _, p := range plan.APIs {
		for _, v := range p.Versions {
			used[v.SpecName] = true
		}
	}
	entries, err := fs.ReadDir(specFS, specDir)
	if err != nil {
		t.Fatal(err)
	}
	specs := 0
	for _, e := range entries {
		if !isSpecFile(e.Name()) {
			continue
		}
		specs++
		if !used[e.Name()] {
			t.Errorf("spec %s is shipped but no version uses it", e.Name())
		}
	}
	if specs < 110 {
		t.Errorf("%d specs shipped, want at least 110", specs)
	}
}

func TestEmbeddedSize(t *testing.T) {
	var total int64
	err := fs.WalkDir(specFS, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		total += info.Size()
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if total >= 15<<20 {
		t.Errorf("embedded specs take %d bytes, want under 15 MB", total)
	}
	t.Logf("embedded specs: %d bytes", total)
}

func TestOrganisationDeterministic(t *testing.T) {
	a, b := organisation(t), organisation(t)
	if !reflect.DeepEqual(a, b) {
		t.Error("two calls to Organisation returned different plans")
	}
}

func TestSummarize(t *testing.T) {
	tests := []struct {
		name, in, want string
		max            int
	}{
		{"short text kept", "  Hello world.  ", "Hello world.", 50},
		{"whole paragraphs kept", "First part.\n\nSecond part is longer.", "First part.", 20},
		{"cut at a sentence", "One sentence here. Another sentence follows and goes on.", "One sentence here.", 30},
		{"cut at a word", "averyveryverylongword another word here", "averyveryverylongword…", 30},
		{"intro ends at a heading", "Intro.\n\n## Details\n\nMore text that makes it long enough to cut.", "Intro.", 40},
		{"open fence closed", "Intro\n```\ncode", "Intro\n```\ncode", 40},
		{"fence cut closed", "```\nline one\n\nline two is long enough", "```\nline one\n```", 20},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := summarize(tt.in, tt.max); got != tt.want {
				t.Errorf("summarize(%q, %d) = %q, want %q", tt.in, tt.max, got, tt.want)
			}
		})
	}
}

func TestBaseURLs(t *testing.T) {
	si := specInfo{Servers: []server{
		{URL: "http://api.{region}.example.org/", Variables: map[string]serverVariable{"region": {Default: "eu"}}},
		{URL: "https://api.eu.example.org"},
		{URL: "https://sandbox.example.org//v1"},
		{URL: "/relative"},
		{URL: "https://{tenant}.example.org"},
	}}
	prod, sandbox := si.baseURLs()
	if prod != "https://api.eu.example.org" || sandbox != "https://sandbox.example.org/v1" {
		t.Errorf("baseURLs = %q, %q", prod, sandbox)
	}

	swagger := specInfo{Host: "petstore.example.org", BasePath: "/v2", Schemes: []string{"http"}}
	if prod, _ := swagger.baseURLs(); prod != "http://petstore.example.org/v2" {
		t.Errorf("Swagger 2.0 baseURLs = %q", prod)
	}
	placeholder := specInfo{Servers: []server{{URL: "https://apache.local"}}}
	if prod, _ := placeholder.baseURLs(); prod != "" {
		t.Errorf("placeholder host gave %q", prod)
	}
}
