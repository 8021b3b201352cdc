package handlers_test

import (
	"bytes"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/steward-governance/steward/config"
)

const petsV1 = `openapi: 3.0.3
info:
  title: Pets
  version: "1.0"
  description: Adopt **pets**.
tags:
  - name: pets
    description: Everything about pets
paths:
  /pets:
    get:
      tags: [pets]
      operationId: listPets
      summary: List pets
      parameters:
        - name: limit
          in: query
          schema: {type: integer}
      responses:
        "200":
          description: A page of pets
          content:
            application/json:
              schema:
                type: array
                items: {$ref: '#/components/schemas/Pet'}
  /pets/{petId}:
    get:
      tags: [pets]
      operationId: getPetById
      summary: One pet
      parameters:
        - name: petId
          in: path
          required: true
          schema: {type: string, format: uuid}
      responses:
        "200": {description: The pet}
components:
  schemas:
    Pet:
      type: object
      properties:
        name: {type: string}
`

// petsV2 drops one operation and adds another, for revision diffs.
var petsV2 = strings.Replace(strings.Replace(petsV1, "  /pets/{petId}:\n    get:\n      tags: [pets]\n      operationId: getPetById", "  /pets/{petId}:\n    delete:\n      tags: [pets]\n      operationId: deletePet", 1), "summary: One pet", "summary: Remove a pet\n      deprecated: true", 1)

// upload posts a spec file through the version page's form.
func (s *site) upload(versionPage, name string, content []byte) *page {
	s.t.Helper()
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	_ = w.WriteField("_csrf", s.csrf(versionPage))
	fw, _ := w.CreateFormFile("spec", name)
	fw.Write(content)
	w.Close()
	req, _ := http.NewRequest(http.MethodPost, s.srv.URL+versionPage+"/spec", &body)
	req.Header.Set("Content-Type", w.FormDataContentType())
	return s.do(req)
}

// seedPets registers team "zoo" and API "pets" with version v1 through the forms.
func (s *site) seedPets() {
	s.t.Helper()
	if p := s.post("/teams/new", "/teams", url.Values{"name": {"Zoo Keepers"}, "slug": {"zoo"}, "contact": {"#zoo"}}); p.status != http.StatusSeeOther {
		s.t.Fatalf("create team: %d %s", p.status, p.text("[data-testid=form-error]"))
	}
	p := s.post("/apis/new", "/apis", url.Values{
		"name": {"Pets"}, "slug": {"pets"}, "team": {"zoo"}, "kind": {"rest"}, "visibility": {"public"}, "tags": {"Animals, adoption"},
		"description": {"Adopt **pets**. <script>alert(1)</script> [docs](javascript:alert(2))"},
		"link_title":  {"Runbook", ""}, "link_url": {"https://runbooks.example.com/pets", ""},
	})
	if p.status != http.StatusSeeOther || p.location != "/apis/pets?done=created" {
		s.t.Fatalf("create api: %d %q %s", p.status, p.location, p.body)
	}
	if p := s.post("/apis/pets/versions/new", "/apis/pets/versions", url.Values{"name": {"v1"}, "stage": {"production"}}); p.status != http.StatusSeeOther {
		s.t.Fatalf("create version: %d", p.status)
	}
}

func TestCatalogueJourney(t *testing.T) {
	forEngines(t, func(t *testing.T, engine string) {
		s := newSite(t, engine)
		if p := s.get("/apis"); p.count("[data-testid=catalog-empty]") != 1 {
			t.Fatalf("an empty catalogue should say so: %s", p.body)
		}
		s.seedPets()

		api := s.get("/apis/pets")
		if got := api.text("[data-testid=api-name]"); got != "Pets" {
			t.Errorf("API page title %q", got)
		}
		if got := api.text("[data-testid=api-owner]"); got != "Zoo Keepers" {
			t.Errorf("owner %q", got)
		}
		desc, _ := api.doc.Find("[data-testid=api-description]").Html()
		if !strings.Contains(desc, "<strong>pets</strong>") || strings.Contains(desc, "<script") || strings.Contains(desc, "javascript:") {
			t.Errorf("description must be rendered markdown with scripts removed: %s", desc)
		}
		if api.count(`a.tag[href="/apis?tag=animals"]`) != 1 {
			t.Error("tags are normalised and link to the filtered catalogue")
		}
		if api.count("[data-testid=versions] tbody tr") != 1 {
			t.Error("the version is listed")
		}

		// Upload a spec: endpoints appear, the spec view groups them by tag.
		up := s.upload("/apis/pets/versions/v1", "pets.yaml", []byte(petsV1))
		if up.status != http.StatusSeeOther || !strings.HasSuffix(up.location, "done=spec-stored") {
			t.Fatalf("upload: %d %q %s", up.status, up.location, up.text("[data-testid=upload-error]"))
		}
		v := s.get("/apis/pets/versions/v1")
		if n := v.count("[data-testid=endpoints] tbody tr"); n != 2 {
			t.Errorf("%d endpoints listed, want 2", n)
		}
		if !strings.Contains(v.text("[data-testid=current-spec]"), "OpenAPI 3.0.3") {
			t.Errorf("current spec line: %q", v.text("[data-testid=current-spec]"))
		}
		if n := s.get("/apis/pets").count("[data-testid=endpoints] tbody tr"); n != 2 {
			t.Errorf("the API page lists %d endpoints of its production version, want 2", n)
		}
		same := s.upload("/apis/pets/versions/v1", "pets.yaml", []byte(petsV1))
		if !strings.HasSuffix(same.location, "done=spec-unchanged") {
			t.Errorf("identical re-upload should be a no-op: %q", same.location)
		}
		spec := s.get("/apis/pets/versions/v1/spec")
		if spec.status != http.StatusOK || spec.text("[data-testid=spec-tag] h2") != "pets" || spec.count("[data-testid=operation]") != 2 {
			t.Errorf("spec view: status %d, tag %q, %d operations", spec.status, spec.text("[data-testid=spec-tag] h2"), spec.count("[data-testid=operation]"))
		}
		if !strings.Contains(spec.body, "uuid") {
			t.Error("parameter types are shown")
		}
		raw := s.get("/apis/pets/versions/v1/revisions/1")
		if raw.count("[data-testid=raw-spec] .ln") != strings.Count(petsV1, "\n")+1 {
			t.Errorf("raw view has %d lines", raw.count("[data-testid=raw-spec] .ln"))
		}
		dl := s.get("/apis/pets/versions/v1/revisions/1/raw")
		if dl.body != petsV1 || !strings.HasPrefix(dl.header.Get("Content-Type"), "application/yaml") || !strings.Contains(dl.header.Get("Content-Disposition"), "attachment") {
			t.Errorf("download: %q %q", dl.header.Get("Content-Type"), dl.header.Get("Content-Disposition"))
		}

		// A second revision, then the diff between them.
		// It removes an operation from a production version: held, then
		// let through by an exception (breaking_policy_test.go).
		s.acceptHeld(s.upload("/apis/pets/versions/v1", "pets.yaml", []byte(petsV2)))
		diff := s.get("/apis/pets/versions/v1/diff?from=1&to=2")
		if diff.count("[data-testid=diff] tr.diff-add") == 0 || diff.count("[data-testid=diff] tr.diff-del") == 0 {
			t.Errorf("diff shows no added or removed lines: %s", diff.body)
		}
		// getPetById went away: a breaking change, named, with its line in the old revision.
		if diff.count("[data-testid=changes] tr.change-breaking") == 0 || !strings.Contains(diff.text("[data-testid=changes]"), "/pets/{petId}") {
			t.Errorf("classified changes: %q", diff.text("[data-testid=classified-changes]"))
		}
		if diff.count(`[data-testid=changes] a[href^="/apis/pets/versions/v1/revisions/1#L"]`) == 0 {
			t.Error("a breaking change links to its line in the old revision")
		}
		if !strings.Contains(diff.text("[data-testid=diff] tr.diff-add"), "deletePet") && !strings.Contains(diff.doc.Find("[data-testid=diff] tr.diff-add").Text(), "deletePet") {
			t.Error("diff names the added operation")
		}
		v = s.get("/apis/pets/versions/v1")
		if v.count("[data-testid=revisions] tbody tr") != 2 || v.count("tr.deprecated") != 1 {
			t.Errorf("revision history %d rows, deprecated endpoints %d", v.count("[data-testid=revisions] tbody tr"), v.count("tr.deprecated"))
		}

		// The catalogue finds it by endpoint words, filters and facets.
		cat := s.get("/apis?q=deletePet")
		if cat.count("[data-testid=api-item]") != 1 || cat.text("[data-testid=result-count]") != "Showing 1–1 of 1 APIs" {
			t.Errorf("search by operationId: %q", cat.text("[data-testid=result-count]"))
		}
		if cat := s.get("/apis?q=getPetById"); cat.count("[data-testid=no-results]") != 1 {
			t.Error("replaced endpoints must no longer match")
		}
		cat = s.get("/apis?stage=production&team=zoo")
		if cat.count("[data-testid=api-item]") != 1 || cat.count(`[data-testid=facet-stage] a.active`) != 1 {
			t.Error("stage and team filters")
		}
		if cat := s.get("/apis?stage=nonsense"); cat.status != http.StatusBadRequest || !strings.Contains(cat.text("[data-testid=query-error]"), "unknown stage") {
			t.Errorf("unknown filter value: %d %q", cat.status, cat.text("[data-testid=query-error]"))
		}

		// History shows who did what.
		if h := s.get("/apis/pets/versions/v1"); !strings.Contains(h.text("[data-testid=history]"), "uploaded a spec revision") {
			t.Errorf("history: %q", h.text("[data-testid=history]"))
		}

		// Deleting asks first, then removes everything.
		if c := s.get("/apis/pets/delete"); c.count("[data-testid=confirm-delete]") != 1 {
			t.Error("delete asks for confirmation")
		}
		if p := s.post("/apis/pets/delete", "/apis/pets/delete", nil); p.status != http.StatusSeeOther {
			t.Fatalf("delete: %d", p.status)
		}
		if p := s.get("/apis/pets"); p.status != http.StatusNotFound || p.count("[data-testid=error-page]") != 1 {
			t.Errorf("deleted API: %d", p.status)
		}
	})
}

func TestFormsShowFieldErrorsAndKeepInput(t *testing.T) {
	s := newSite(t, "sqlite")
	s.seedPets()
	cases := []struct {
		name, form, action string
		values             url.Values
		field, want        string
	}{
		{"api without a name", "/apis/new", "/apis", url.Values{"description": {"kept text"}, "team": {"zoo"}}, "name", "is required"},
		{"api with a taken slug", "/apis/new", "/apis", url.Values{"name": {"Pets"}, "slug": {"pets"}, "team": {"zoo"}}, "slug", "already taken"},
		{"api with an unknown team", "/apis/new", "/apis", url.Values{"name": {"Birds"}, "team": {"aviary"}}, "team", "no team"},
		{"api with a bad link", "/apis/new", "/apis", url.Values{"name": {"Birds"}, "team": {"zoo"}, "link_title": {"x"}, "link_url": {"ftp://x"}}, "links", "http"},
		{"team with a bad slug", "/teams/new", "/teams", url.Values{"name": {"X"}, "slug": {"Bad Slug"}}, "slug", "lower-case"},
		{"version name taken", "/apis/pets/versions/new", "/apis/pets/versions", url.Values{"name": {"v1"}, "stage": {"design"}}, "name", "already has a version"},
		{"version with a bad stage", "/apis/pets/versions/new", "/apis/pets/versions", url.Values{"name": {"v9"}, "stage": {"beta"}}, "stage", "must be one of"},
		{"deployment without URL", "/apis/pets/versions/v1", "/apis/pets/versions/v1/deployments", url.Values{"environment": {"prod"}}, "base_url", "URL is required"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := s.post(c.form, c.action, c.values)
			if p.status != http.StatusUnprocessableEntity {
				t.Fatalf("status %d, want 422", p.status)
			}
			if got := p.text("[data-testid=error-" + c.field + "]"); !strings.Contains(got, c.want) {
				t.Errorf("error next to %s: %q, want it to mention %q", c.field, got, c.want)
			}
			if d := c.values.Get("description"); d != "" && p.text("textarea#description") != d {
				t.Errorf("typed description lost: %q", p.text("textarea#description"))
			}
		})
	}
}

func TestSpecUploadRejectsBadInput(t *testing.T) {
	s := newSite(t, "sqlite", func(c *config.Config) { c.MaxSpecBytes = 4096 })
	s.seedPets()
	cases := []struct {
		name    string
		content []byte
		status  int
		want    string
	}{
		{"not OpenAPI", []byte("apiVersion: backstage.io/v1alpha1\nkind: Component\n"), 422, "OpenAPI"},
		{"invalid YAML", []byte("openapi: 3.0.0\ninfo: [unclosed\n"), 422, "line"},
		{"invalid JSON", []byte(`{"openapi": "3.0.0",, }`), 422, "line 1"},
		{"invalid UTF-8", []byte("openapi: 3.0.0\ninfo:\n  title: \xff\xfe\n"), 422, "UTF-8"},
		{"over the size limit", bytes.Repeat([]byte("#"), 5000), 413, "4 KB"},
		{"YAML alias bomb", []byte(aliasBomb), 422, "alias bomb"},
		{"10,000-deep nesting", []byte(strings.Repeat("[", 10000) + strings.Repeat("]", 10000))[:4000], 422, "nesting deeper than 200"},
		{"circular $ref with no schema", []byte(circularRefs), 422, "$ref loop"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := s.upload("/apis/pets/versions/v1", "spec.yaml", c.content)
			if p.status != c.status {
				t.Fatalf("status %d, want %d: %s", p.status, c.status, p.text("[data-testid=upload-error]"))
			}
			if got := p.text("[data-testid=upload-error]"); !strings.Contains(got, c.want) {
				t.Errorf("message %q, want it to mention %q", got, c.want)
			}
			if p.count("[data-testid=no-spec]") != 1 {
				t.Error("a rejected spec must not become the current revision")
			}
		})
	}
}

func TestCSRFIsRequired(t *testing.T) {
	s := newSite(t, "sqlite")
	req, _ := http.NewRequest(http.MethodPost, s.srv.URL+"/teams", strings.NewReader("name=Sneaky"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	p := s.do(req)
	if p.status != http.StatusForbidden || !strings.Contains(p.text(".error-message"), "expired") {
		t.Errorf("post without a token: %d %q", p.status, p.text(".error-message"))
	}
	if teams := s.get("/teams"); teams.count("[data-testid=no-teams]") != 1 {
		t.Error("the forged post created a team")
	}
}

func TestErrorsProbesAndHeaders(t *testing.T) {
	s := newSite(t, "sqlite")
	if p := s.get("/apis/nope"); p.status != 404 || p.count("[data-testid=error-page]") != 1 || p.header.Get("X-Request-Id") == "" {
		t.Errorf("missing API page: %d", p.status)
	}
	if p := s.get("/api/v1/apis/nope"); p.status != 404 || !strings.Contains(p.body, `"message"`) || !strings.HasPrefix(p.header.Get("Content-Type"), "application/json") {
		t.Errorf("missing API in JSON: %d %s", p.status, p.body)
	}
	if p := s.get("/healthz"); p.status != 200 {
		t.Errorf("healthz %d", p.status)
	}
	if p := s.get("/readyz"); p.status != 200 {
		t.Errorf("readyz %d", p.status)
	}
	p := s.get("/apis")
	for h, want := range map[string]string{
		"Content-Security-Policy": "frame-ancestors 'none'",
		"X-Content-Type-Options":  "nosniff",
		"X-Frame-Options":         "DENY",
		"Referrer-Policy":         "same-origin",
	} {
		if !strings.Contains(p.header.Get(h), want) {
			t.Errorf("%s: %q", h, p.header.Get(h))
		}
	}
	css, _ := p.doc.Find(`link[rel=stylesheet]`).Attr("href")
	st := s.get(css)
	if st.status != 200 || !strings.Contains(st.header.Get("Cache-Control"), "immutable") {
		t.Errorf("hashed asset %s: %d %q", css, st.status, st.header.Get("Cache-Control"))
	}
	if st := s.get("/static/app.css?v=old"); strings.Contains(st.header.Get("Cache-Control"), "immutable") {
		t.Error("a stale asset URL must not be cached for a year")
	}
}

// aliasBomb is a "billion laughs" YAML: a few lines that expand to 9^8 copies.
const aliasBomb = `openapi: 3.0.0
a: &a ["x","x","x","x","x","x","x","x","x"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
`

// circularRefs has two schemas that only point at each other.
const circularRefs = `{"openapi":"3.0.3","info":{"title":"x","version":"1"},"paths":{"/a":{"get":{"responses":{"200":{"description":"ok","content":{"application/json":{"schema":{"$ref":"#/components/schemas/A"}}}}}}}},"components":{"schemas":{"A":{"$ref":"#/components/schemas/B"},"B":{"$ref":"#/components/schemas/A"}}}}`

// TestAPIRefusesHostileSpecsAtFullSize sends the hostile inputs at their
// real size through the JSON API with the default limits, and checks each
// is refused quickly with its reason and nothing stored.
func TestAPIRefusesHostileSpecsAtFullSize(t *testing.T) {
	s := newSite(t, "sqlite")
	s.seedPets()
	token := s.createToken("ci", "write-specs", "")
	cases := map[string]struct {
		body, want string
	}{
		"10,000-deep JSON": {strings.Repeat(`{"a":`, 10000) + "1" + strings.Repeat("}", 10000), "nesting deeper than 200"},
		"10,000-deep YAML": {strings.Repeat("- ", 10000) + "x\n", "nesting deeper than 200"},
		"alias bomb":       {aliasBomb, "alias bomb"},
		"circular $refs":   {circularRefs, "$ref loop"},
		"invalid UTF-8":    {"openapi: 3.0.0\ninfo:\n  title: \xc3\x28\n", "UTF-8"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			p := s.call(http.MethodPut, "/api/v1/apis/pets/versions/v1/spec", token, c.body)
			if p.status != http.StatusUnprocessableEntity || !strings.Contains(p.body, c.want) {
				t.Errorf("status %d, body %.300s; want 422 mentioning %q", p.status, p.body, c.want)
			}
		})
	}
	if p := s.call(http.MethodGet, "/api/v1/apis/pets/versions/v1/revisions", token, ""); !strings.Contains(p.body, `"items":[]`) {
		t.Errorf("a refused spec was stored: %s", p.body)
	}
}
