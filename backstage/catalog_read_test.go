package backstage

import (
	"errors"
	"os"
	"reflect"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/steward-governance/steward/catalog"
)

func file(s string) *fstest.MapFile { return &fstest.MapFile{Data: []byte(s)} }

const petsSpec = `{"openapi": "3.0.0", "info": {"title": "Pets", "version": "1.0.0"}, "paths": {}}`

// tree is a realistic catalogue: groups in one multi-document file, APIs
// with inline and $text definitions, a Component that owns an API, and a
// Location that reaches a file in a hidden folder the walk does not enter.
var tree = fstest.MapFS{
	"catalog/catalog-info.yaml": file(`apiVersion: backstage.io/v1alpha1
kind: Location
metadata:
  name: root
spec:
  targets:
    - ./.backstage/extra.yaml
`),
	"catalog/org.yaml": file(`# Teams
apiVersion: backstage.io/v1alpha1
kind: Group
metadata:
  name: payments
  title: Payments Team
  description: Money in, money out.
spec:
  type: team
  profile:
    displayName: Payments
    email: payments@example.com
  children: []
---
apiVersion: backstage.io/v1beta1
kind: Group
metadata:
  name: data_platform
spec:
  type: business-unit
  children: []
---
apiVersion: backstage.io/v1alpha1
kind: User
metadata:
  name: jdoe
spec:
  memberOf: [payments]
`),
	"catalog/apis/pets.yaml": file(`apiVersion: backstage.io/v1alpha1
kind: API
metadata:
  name: pets-api
  title: Pets API
  description: Every pet we sell.
  tags: [Pets, commerce]
  links:
    - url: https://wiki.example.com/pets
      title: Wiki
  annotations:
    steward.io/version: v2
    steward.io/visibility: public
spec:
  type: openapi
  lifecycle: production
  owner: group:default/payments
  definition:
    $text: ./specs/pets.json
`),
	"catalog/apis/specs/pets.json": file(petsSpec),
	"catalog/apis/ledger.yaml": file(`apiVersion: backstage.io/v1alpha1
kind: API
metadata:
  name: ledger
spec:
  type: openapi
  lifecycle: experimental
  definition: |
    openapi: 3.1.0
    info: {title: Ledger, version: 0.1.0}
    paths: {}
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: ledger-service
spec:
  type: service
  lifecycle: production
  owner: data_platform
  providesApis: [api:default/ledger]
`),
	"catalog/.backstage/extra.yaml": file(`apiVersion: backstage.io/v1alpha1
kind: API
metadata:
  name: search
  title: Search
spec:
  type: graphql
  lifecycle: deprecated
  owner: payments
  definition: "type Query { hello: String }"
`),
	"catalog/README.md":         file("not a catalogue"),
	"catalog/chart/values.yaml": file("replicas: 2\n"),
}

func TestReadCatalogTree(t *testing.T) {
	plan, warnings, err := ReadCatalog(tree, "catalog")
	if err != nil {
		t.Fatal(err)
	}
	if len(warnings) != 0 {
		t.Errorf("unexpected warnings: %v", warnings)
	}
	want := catalog.Plan{
		Source: "import catalog",
		Teams: []catalog.TeamInput{
			{Slug: "data-platform", Name: "data_platform"},
			{Slug: "payments", Name: "Payments", Description: "Money in, money out.", Contact: "payments@example.com"},
		},
		APIs: []catalog.PlannedAPI{
			{
				API: catalog.APIInput{Slug: "ledger", Name: "ledger", TeamSlug: "data-platform", Kind: catalog.KindREST, Visibility: catalog.VisibilityInternal, Tags: []string{}},
				Versions: []catalog.PlannedVersion{{
					Version:  catalog.VersionInput{Name: "v1", Stage: catalog.StageDevelopment},
					Spec:     []byte("openapi: 3.1.0\ninfo: {title: Ledger, version: 0.1.0}\npaths: {}\n"),
					SpecName: "catalog/apis/ledger.yaml",
				}},
			},
			{
				API: catalog.APIInput{
					Slug: "pets-api", Name: "Pets API", Description: "Every pet we sell.", TeamSlug: "payments",
					Kind: catalog.KindREST, Visibility: catalog.VisibilityPublic, Tags: []string{"commerce", "pets"},
					Links: []catalog.Link{{Title: "Wiki", URL: "https://wiki.example.com/pets"}},
				},
				Versions: []catalog.PlannedVersion{{
					Version:  catalog.VersionInput{Name: "v2", Stage: catalog.StageProduction},
					Spec:     []byte(petsSpec),
					SpecName: "catalog/apis/specs/pets.json",
				}},
			},
			{
				API:      catalog.APIInput{Slug: "search", Name: "Search", TeamSlug: "payments", Kind: catalog.KindGraphQL, Visibility: catalog.VisibilityInternal, Tags: []string{}},
				Versions: []catalog.PlannedVersion{{Version: catalog.VersionInput{Name: "v1", Stage: catalog.StageDeprecated}}},
			},
		},
	}
	if !reflect.DeepEqual(plan, want) {
		t.Errorf("plan:\n got %+v\nwant %+v", plan, want)
	}
}

// TestReadCatalogExample reads the sample catalogue the README points to.
func TestReadCatalogExample(t *testing.T) {
	plan, warnings, err := ReadCatalog(os.DirFS("testdata/example"), ".")
	if err != nil {
		t.Fatal(err)
	}
	if len(warnings) != 0 {
		t.Errorf("unexpected warnings: %v", warnings)
	}
	var teams []string
	for _, team := range plan.Teams {
		teams = append(teams, team.Slug+"="+team.Name)
	}
	if want := []string{"identity=Identity & Access", "messaging=messaging", "payments=Payments"}; !reflect.DeepEqual(teams, want) {
		t.Errorf("teams = %v, want %v", teams, want)
	}
	type summary struct {
		slug, team, kind, vis, version, stage, specName string
	}
	var got []summary
	for _, a := range plan.APIs {
		v := a.Versions[0]
		got = append(got, summary{a.API.Slug, a.API.TeamSlug, string(a.API.Kind), string(a.API.Visibility), v.Version.Name, string(v.Version.Stage), v.SpecName})
	}
	want := []summary{
		{"customer-accounts", "identity", "rest", "internal", "v2", "development", "apis/identity.yaml"},
		{"order-events", "messaging", "asyncapi", "internal", "v1", "production", ""},
		{"payment-data-protection", "payments", "rest", "partner", "v1", "production", "apis/specs/adyen.com__DataProtectionService.json"},
		{"staff-directory", "identity", "graphql", "internal", "v1", "deprecated", ""},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("APIs:\n got %+v\nwant %+v", got, want)
	}
	for _, a := range plan.APIs {
		if err := a.API.Validate(); err != nil {
			t.Errorf("API %s: %v", a.API.Slug, err)
		}
		if a.API.Kind == catalog.KindREST && len(a.Versions[0].Spec) == 0 {
			t.Errorf("API %s has no spec", a.API.Slug)
		}
	}

	// The same catalogue read from further up keeps its paths under the root.
	again, _, err := ReadCatalog(os.DirFS("testdata"), "example")
	if err != nil {
		t.Fatal(err)
	}
	if len(again.APIs) != 4 || again.APIs[2].Versions[0].SpecName != "example/apis/specs/adyen.com__DataProtectionService.json" {
		t.Errorf("read from testdata: %+v", again.APIs)
	}
}

// hasWarning reports whether some warning is about file and contains text.
func hasWarning(ws []Warning, file, text string) bool {
	for _, w := range ws {
		if w.File == file && strings.Contains(w.Message, text) {
			return true
		}
	}
	return false
}

func apiBySlug(t *testing.T, plan catalog.Plan, slug string) catalog.PlannedAPI {
	t.Helper()
	for _, a := range plan.APIs {
		if a.API.Slug == slug {
			return a
		}
	}
	t.Fatalf("no API %s in %+v", slug, plan.APIs)
	return catalog.PlannedAPI{}
}

func apiDoc(name, owner, definition string) string {
	return `apiVersion: backstage.io/v1alpha1
kind: API
metadata:
  name: ` + name + `
spec:
  type: openapi
  lifecycle: production
  owner: ` + owner + `
  definition:
` + definition + "\n"
}

func TestTextReferencesStayInsideRoot(t *testing.T) {
	fsys := fstest.MapFS{
		"secret.json":         file(petsSpec),
		"catalog/secret.json": file(petsSpec),
		"catalog/apis/a.yaml": file(apiDoc("escapes", "payments", "    $text: ../../secret.json")),
		"catalog/apis/b.yaml": file(apiDoc("absolute", "payments", "    $text: /secret.json")),
		"catalog/apis/c.yaml": file(apiDoc("remote", "payments", "    $text: https://example.com/openapi.json")),
		"catalog/apis/d.yaml": file(apiDoc("sibling", "payments", "    $text: ../secret.json")),
		"catalog/apis/e.yaml": file(apiDoc("missing", "payments", "    $text: ./nowhere.json")),
	}
	plan, warnings, err := ReadCatalog(fsys, "catalog")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ slug, file, warning string }{
		{"escapes", "catalog/apis/a.yaml", "outside the import root"},
		{"absolute", "catalog/apis/b.yaml", "outside the import root"},
		{"remote", "catalog/apis/c.yaml", "remote $text not fetched"},
		{"missing", "catalog/apis/e.yaml", "cannot be read"},
	} {
		if a := apiBySlug(t, plan, tc.slug); a.Versions[0].Spec != nil {
			t.Errorf("%s: spec read: %q", tc.slug, a.Versions[0].Spec)
		}
		if !hasWarning(warnings, tc.file, tc.warning) {
			t.Errorf("%s: no warning containing %q in %v", tc.slug, tc.warning, warnings)
		}
	}
	if a := apiBySlug(t, plan, "sibling"); string(a.Versions[0].Spec) != petsSpec || a.Versions[0].SpecName != "catalog/secret.json" {
		t.Errorf("a $text inside the root was not read: %+v", a.Versions[0])
	}
	if len(warnings) != 4 {
		t.Errorf("%d warnings, want 4: %v", len(warnings), warnings)
	}
}

func TestOwnerTeam(t *testing.T) {
	tests := []struct {
		ref, slug string
		problem   bool
		user      bool
	}{
		{"payments", "payments", false, false},
		{"group:payments", "payments", false, false},
		{"group:default/payments", "payments", false, false},
		{"Group:Default/Data_Platform", "data-platform", false, false},
		{"default/payments", "payments", false, false},
		{"user:jdoe", "", true, true},
		{"user:default/jdoe", "", true, true},
		{"component:checkout", "", true, false},
		{"group:", "", true, false},
		{"group:a/b/c", "", true, false},
	}
	for _, tt := range tests {
		slug, problem, user := ownerTeam(tt.ref)
		if slug != tt.slug || (problem != "") != tt.problem || user != tt.user {
			t.Errorf("ownerTeam(%q) = %q, %q, %v; want %q, problem %v, user %v", tt.ref, slug, problem, user, tt.slug, tt.problem, tt.user)
		}
	}
}

func TestOwnersWarned(t *testing.T) {
	fsys := fstest.MapFS{
		"a.yaml": file(apiDoc("by-user", "user:jdoe", `    "openapi: 3.0.0"`)),
		"b.yaml": file(apiDoc("by-component", "component:checkout", `    "openapi: 3.0.0"`)),
		"c.yaml": file(apiDoc("unknown-team", "group:growth", `    "openapi: 3.0.0"`)),
		"d.yaml": file(`apiVersion: backstage.io/v1alpha1
kind: API
metadata: {name: orphan}
spec: {type: openapi, lifecycle: production, definition: "openapi: 3.0.0"}
`),
	}
	plan, warnings, err := ReadCatalog(fsys, ".")
	if err != nil {
		t.Fatal(err)
	}
	if a := apiBySlug(t, plan, "unknown-team"); a.API.TeamSlug != "growth" {
		t.Errorf("a group outside the catalogue should still own the API: %+v", a.API)
	}
	for _, tc := range []struct{ slug, team, file, warning string }{
		{"by-user", "", "a.yaml", "is a user"},
		{"by-component", "", "b.yaml", "not a group reference"},
		{"orphan", "", "d.yaml", "has no owner"},
	} {
		if a := apiBySlug(t, plan, tc.slug); a.API.TeamSlug != tc.team {
			t.Errorf("%s: team %q, want %q", tc.slug, a.API.TeamSlug, tc.team)
		}
		if !hasWarning(warnings, tc.file, tc.warning) {
			t.Errorf("%s: no warning containing %q in %v", tc.slug, tc.warning, warnings)
		}
	}
	for _, w := range warnings {
		if w.File == "a.yaml" && w.Line != 8 {
			t.Errorf("user-owner warning on line %d, want 8 (spec.owner)", w.Line)
		}
	}
}

func TestLifecycleAndTypeMapping(t *testing.T) {
	doc := func(name, typ, lifecycle string) string {
		return `apiVersion: backstage.io/v1alpha1
kind: API
metadata: {name: ` + name + `}
spec:
  type: ` + typ + `
  lifecycle: ` + lifecycle + `
  owner: payments
  definition: "x"
---
`
	}
	fsys := fstest.MapFS{"apis.yaml": file(
		doc("a", "openapi", "experimental") + doc("b", "graphql", "production") + doc("c", "grpc", "deprecated") +
			doc("d", "asyncapi", "sunset") + doc("e", "trpc", "preview"),
	)}
	plan, warnings, err := ReadCatalog(fsys, ".")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][2]string{
		"a": {"rest", "development"}, "b": {"graphql", "production"}, "c": {"grpc", "deprecated"},
		"d": {"asyncapi", "design"}, "e": {"rest", "preview"},
	}
	for slug, w := range want {
		a := apiBySlug(t, plan, slug)
		if string(a.API.Kind) != w[0] || string(a.Versions[0].Version.Stage) != w[1] {
			t.Errorf("%s: %s/%s, want %s/%s", slug, a.API.Kind, a.Versions[0].Version.Stage, w[0], w[1])
		}
	}
	if !hasWarning(warnings, "apis.yaml", `lifecycle "sunset"`) || !hasWarning(warnings, "apis.yaml", `type "trpc"`) {
		t.Errorf("warnings: %v", warnings)
	}
	if len(warnings) != 2 {
		t.Errorf("%d warnings, want 2: %v", len(warnings), warnings)
	}
}

func TestMultiDocumentAndDuplicates(t *testing.T) {
	fsys := fstest.MapFS{
		"a.yaml": file(`---
apiVersion: backstage.io/v1alpha1
kind: Group
metadata: {name: payments}
spec: {type: team}
---
# A comment-only document is skipped.
---
apiVersion: backstage.io/v1alpha1
kind: Group
metadata: {name: identity}
spec: {type: team}
---
apiVersion: other.example.com/v1
kind: Group
metadata: {name: not-backstage}
`),
		"b.yaml": file(`apiVersion: backstage.io/v1alpha1
kind: Group
metadata: {name: Payments}
spec: {type: team}
`),
	}
	plan, warnings, err := ReadCatalog(fsys, ".")
	if err != nil {
		t.Fatal(err)
	}
	if len(plan.Teams) != 2 || plan.Teams[0].Slug != "identity" || plan.Teams[1].Slug != "payments" {
		t.Errorf("teams = %+v", plan.Teams)
	}
	if len(warnings) != 1 || warnings[0].File != "b.yaml" || warnings[0].Line != 1 || !strings.Contains(warnings[0].Message, "already defined in a.yaml:2") {
		t.Errorf("warnings = %v", warnings)
	}
}

func TestYAMLErrorsNameFileAndLine(t *testing.T) {
	fsys := fstest.MapFS{
		"good.yaml": file(apiDoc("fine", "payments", `    "openapi: 3.0.0"`)),
		"teams/broken.yaml": file(`apiVersion: backstage.io/v1alpha1
kind: Group
metadata: {name: a}
---
apiVersion: backstage.io/v1alpha1
kind: Group
metadata:
  name: b
  tags: [unclosed
`),
		// Not a Backstage file: broken YAML there is someone else's problem.
		"chart/values.yaml": file("a: b: c\n"),
	}
	_, _, err := ReadCatalog(fsys, ".")
	var fe *FileError
	if !errors.As(err, &fe) {
		t.Fatalf("err = %v, want a *FileError", err)
	}
	if fe.File != "teams/broken.yaml" || fe.Line != 9 {
		t.Errorf("FileError at %s:%d, want teams/broken.yaml:9 (%v)", fe.File, fe.Line, err)
	}
	if !strings.HasPrefix(err.Error(), "teams/broken.yaml:9: ") {
		t.Errorf("message %q does not start with file and line", err)
	}
	if !errors.Is(err, catalog.ErrInvalid) {
		t.Error("a FileError should match catalog.ErrInvalid")
	}
}

// bomb is a "billion laughs" document: nine levels of nine aliases.
const bomb = `lol: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
`

func TestAliasBombIsAnError(t *testing.T) {
	// Tucked under a field Steward never reads, where a plain decode would
	// not expand it.
	nested := "  " + strings.ReplaceAll(strings.TrimSpace(bomb), "\n", "\n  ")
	fsys := fstest.MapFS{"bomb.yaml": file(`apiVersion: backstage.io/v1alpha1
kind: API
metadata: {name: bomb}
spec:
  type: openapi
  owner: payments
  x-unused:
` + "  " + nested + "\n")}
	_, _, err := ReadCatalog(fsys, ".")
	if err == nil || !strings.Contains(err.Error(), "bomb.yaml") || !strings.Contains(err.Error(), "excessive aliasing") {
		t.Errorf("err = %v, want an excessive-aliasing error naming bomb.yaml", err)
	}
}

func TestLimits(t *testing.T) {
	t.Run("large file skipped", func(t *testing.T) {
		big := make([]byte, MaxFileSize+1)
		copy(big, "apiVersion: backstage.io/v1alpha1\n")
		fsys := fstest.MapFS{
			"big.yaml":  &fstest.MapFile{Data: big},
			"fine.yaml": file(apiDoc("fine", "payments", `    "openapi: 3.0.0"`)),
		}
		plan, warnings, err := ReadCatalog(fsys, ".")
		if err != nil {
			t.Fatal(err)
		}
		if len(plan.APIs) != 1 || !hasWarning(warnings, "big.yaml", "over the 25 MB limit") {
			t.Errorf("APIs %d, warnings %v", len(plan.APIs), warnings)
		}
	})
	t.Run("too many files", func(t *testing.T) {
		fsys := fstest.MapFS{}
		for i := 0; i <= MaxFiles; i++ {
			fsys["docs/d"+itoa(i%7)+"/"+itoa(i)+".md"] = file("")
		}
		if _, _, err := ReadCatalog(fsys, "."); err == nil || !strings.Contains(err.Error(), "more than 10000 files") {
			t.Errorf("err = %v", err)
		}
		if _, _, err := ReadSpecFolder(fsys, ".", "payments"); err == nil {
			t.Error("ReadSpecFolder walked past the file limit")
		}
	})
	t.Run("root outside the file system", func(t *testing.T) {
		if _, _, err := ReadCatalog(fstest.MapFS{}, "../etc"); err == nil {
			t.Error("want an error for a root escaping the file system")
		}
	})
}

func itoa(i int) string {
	const digits = "0123456789"
	if i < 10 {
		return digits[i : i+1]
	}
	return itoa(i/10) + digits[i%10:i%10+1]
}

func TestLocationTargets(t *testing.T) {
	fsys := fstest.MapFS{
		"catalog/catalog-info.yaml": file(`apiVersion: backstage.io/v1alpha1
kind: Location
metadata: {name: root}
spec:
  type: file
  target: ./.hidden/one.yaml
  targets:
    - ./.hidden/many-*.yaml
    - ../outside.yaml
    - https://github.com/acme/catalog/blob/main/all.yaml
    - ./.hidden/missing.yaml
    - ./.hidden/plain.yaml
`),
		"catalog/.hidden/one.yaml":    file("apiVersion: backstage.io/v1alpha1\nkind: Group\nmetadata: {name: one}\nspec: {type: team}\n"),
		"catalog/.hidden/many-a.yaml": file("apiVersion: backstage.io/v1alpha1\nkind: Group\nmetadata: {name: two}\nspec: {type: team}\n"),
		"catalog/.hidden/plain.yaml":  file("key: value\n"),
		"outside.yaml":                file("apiVersion: backstage.io/v1alpha1\nkind: Group\nmetadata: {name: outside}\nspec: {type: team}\n"),
	}
	plan, warnings, err := ReadCatalog(fsys, "catalog")
	if err != nil {
		t.Fatal(err)
	}
	if len(plan.Teams) != 2 || plan.Teams[0].Slug != "one" || plan.Teams[1].Slug != "two" {
		t.Errorf("teams = %+v", plan.Teams)
	}
	for _, want := range []string{"outside the import root", "remote location", "is not a file"} {
		if !hasWarning(warnings, "catalog/catalog-info.yaml", want) {
			t.Errorf("no warning containing %q in %v", want, warnings)
		}
	}
	if !hasWarning(warnings, "catalog/.hidden/plain.yaml", "declares no Backstage entity") {
		t.Errorf("no warning for a target without entities: %v", warnings)
	}
}

func TestVersionAnnotationAndLinks(t *testing.T) {
	fsys := fstest.MapFS{"a.yaml": file(`apiVersion: backstage.io/v1alpha1
kind: API
metadata:
  name: a
  annotations:
    steward.io/version: "not valid!"
    steward.io/visibility: galaxy
  links:
    - url: https://ok.example.com
    - url: not-a-url
      title: Broken
spec: {type: openapi, lifecycle: production, owner: payments, definition: "x"}
`)}
	plan, warnings, err := ReadCatalog(fsys, ".")
	if err != nil {
		t.Fatal(err)
	}
	a := apiBySlug(t, plan, "a")
	if a.Versions[0].Version.Name != "v1" || a.API.Visibility != catalog.VisibilityInternal || len(a.API.Links) != 1 {
		t.Errorf("API = %+v", a)
	}
	wantLines := map[string]int{"version": 6, "visibility": 7, "link": 10}
	for text, line := range wantLines {
		found := false
		for _, w := range warnings {
			if strings.Contains(w.Message, text) && w.Line == line {
				found = true
			}
		}
		if !found {
			t.Errorf("no %s warning on line %d: %v", text, line, warnings)
		}
	}
}
