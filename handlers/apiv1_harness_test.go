package handlers_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/steward-governance/steward/config"
)

// apiSite is a running Steward driven through its JSON API. Every response
// is checked against the OpenAPI document the server publishes, so the
// document cannot drift from what the handlers send.
type apiSite struct {
	*site
	contract *contract
	// token is the admin-scoped API token every call sends; the calls use
	// no cookies, as a script would not.
	token string
}

func newAPISite(t *testing.T, engine string, tweak ...func(*config.Config)) *apiSite {
	t.Helper()
	s := newSite(t, engine, tweak...)
	res, err := http.Get(s.srv.URL + "/api/v1/openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET /api/v1/openapi.json: status %d", res.StatusCode)
	}
	return &apiSite{site: s, contract: newContract(t, raw), token: s.createToken("api tests", "admin", "")}
}

// apiStep is one request and what its answer must hold. Paths in expect
// and contains are dotted ("items.0.team.slug", "error.fields.team").
type apiStep struct {
	name        string
	method      string
	path        string
	body        string
	contentType string // defaults to application/json when there is a body
	status      int
	expect      map[string]any    // dotted path → value, compared as printed
	contains    map[string]string // dotted path → substring of the value
	header      map[string]string // header → exact value
	check       func(t *testing.T, r *apiResponse)
	// undocumented marks a request the document rightly does not describe
	// (the catch-all for unknown endpoints).
	undocumented bool
}

// apiResponse is an answer with its JSON body decoded (numbers as
// json.Number, so they print as sent).
type apiResponse struct {
	status int
	header http.Header
	raw    []byte
	body   any
}

func (s *apiSite) run(t *testing.T, steps []apiStep) {
	t.Helper()
	for _, st := range steps {
		ok := t.Run(st.name, func(t *testing.T) {
			r := s.call(t, st)
			if r.status != st.status {
				t.Fatalf("%s %s: status %d, want %d; body: %s", st.method, st.path, r.status, st.status, r.raw)
			}
			for k, want := range st.expect {
				if got := r.get(k); fmt.Sprint(got) != fmt.Sprint(want) {
					t.Errorf("%s = %v, want %v; body: %s", k, got, want, r.raw)
				}
			}
			for k, sub := range st.contains {
				if got := fmt.Sprint(r.get(k)); !strings.Contains(got, sub) {
					t.Errorf("%s = %q, want it to contain %q", k, got, sub)
				}
			}
			for k, want := range st.header {
				if got := r.header.Get(k); got != want {
					t.Errorf("header %s = %q, want %q", k, got, want)
				}
			}
			if st.check != nil {
				st.check(t, r)
			}
		})
		if !ok {
			t.FailNow() // later steps build on this one
		}
	}
}

func (s *apiSite) call(t *testing.T, st apiStep) *apiResponse {
	t.Helper()
	var body io.Reader
	if st.body != "" {
		body = strings.NewReader(st.body)
	}
	req, err := http.NewRequest(st.method, s.srv.URL+st.path, body)
	if err != nil {
		t.Fatal(err)
	}
	switch {
	case st.contentType == "-":
	case st.contentType != "":
		req.Header.Set("Content-Type", st.contentType)
	case st.body != "":
		req.Header.Set("Content-Type", "application/json")
	}
	if s.token != "" {
		req.Header.Set("Authorization", "Bearer "+s.token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	r := &apiResponse{status: res.StatusCode, header: res.Header}
	r.raw, _ = io.ReadAll(res.Body)
	mt, _, _ := mime.ParseMediaType(res.Header.Get("Content-Type"))
	if mt == "application/json" {
		dec := json.NewDecoder(bytes.NewReader(r.raw))
		dec.UseNumber()
		if err := dec.Decode(&r.body); err != nil {
			t.Fatalf("%s %s: the answer is not JSON: %v\n%s", st.method, st.path, err, r.raw)
		}
	}
	if !st.undocumented {
		s.contract.check(t, st.method, req.URL.Path, r)
	}
	return r
}

// get walks a dotted path through the decoded body; nil when absent.
func (r *apiResponse) get(path string) any {
	cur := r.body
	for _, part := range strings.Split(path, ".") {
		switch v := cur.(type) {
		case map[string]any:
			cur = v[part]
		case []any:
			i, err := strconv.Atoi(part)
			if err != nil || i < 0 || i >= len(v) {
				return nil
			}
			cur = v[i]
		default:
			return nil
		}
	}
	return cur
}

// list returns the value at path as a slice, failing when it is not one.
func (r *apiResponse) list(t *testing.T, path string) []any {
	t.Helper()
	v, ok := r.get(path).([]any)
	if !ok {
		t.Fatalf("%s is not an array in %s", path, r.raw)
	}
	return v
}

// contract is the published OpenAPI document, ready to check answers with.
type contract struct {
	doc       map[string]any
	templates []pathTemplate
	compiler  *jsonschema.Compiler
	schemas   map[string]*jsonschema.Schema
}

type pathTemplate struct {
	template string
	re       *regexp.Regexp
}

const contractURL = "https://steward.invalid/api/v1/openapi.json"

func newContract(t *testing.T, raw []byte) *contract {
	t.Helper()
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("the OpenAPI document is not JSON: %v", err)
	}
	k := &contract{doc: doc.(map[string]any), compiler: jsonschema.NewCompiler(), schemas: map[string]*jsonschema.Schema{}}
	if err := k.compiler.AddResource(contractURL, doc); err != nil {
		t.Fatal(err)
	}
	for tmpl := range k.doc["paths"].(map[string]any) {
		segs := strings.Split(tmpl, "/")
		for i, seg := range segs {
			if strings.HasPrefix(seg, "{") && strings.HasSuffix(seg, "}") {
				segs[i] = `[^/]+`
			} else {
				segs[i] = regexp.QuoteMeta(seg)
			}
		}
		k.templates = append(k.templates, pathTemplate{template: tmpl, re: regexp.MustCompile("^" + strings.Join(segs, "/") + "$")})
	}
	return k
}

// check fails t unless the document describes this answer: the operation,
// the status, the media type and, for JSON, the body's schema.
func (k *contract) check(t *testing.T, method, urlPath string, r *apiResponse) {
	t.Helper()
	rel, ok := strings.CutPrefix(urlPath, "/api/v1")
	if !ok {
		t.Fatalf("%s is not under /api/v1", urlPath)
	}
	var tmpl string
	for _, pt := range k.templates {
		// A literal path wins over a templated one, as in the router.
		if pt.re.MatchString(rel) && (tmpl == "" || !strings.Contains(pt.template, "{")) {
			tmpl = pt.template
		}
	}
	if tmpl == "" {
		t.Errorf("the OpenAPI document has no path for %s", rel)
		return
	}
	op, ok := k.doc["paths"].(map[string]any)[tmpl].(map[string]any)[strings.ToLower(method)].(map[string]any)
	if !ok {
		t.Errorf("the OpenAPI document has no %s %s", method, tmpl)
		return
	}
	where := "/paths/" + pointerEscape(tmpl) + "/" + strings.ToLower(method) + "/responses/"
	responses := op["responses"].(map[string]any)
	code := strconv.Itoa(r.status)
	resp, ok := responses[code].(map[string]any)
	if !ok && r.status >= 500 {
		code = "default"
		resp, ok = responses[code].(map[string]any)
	}
	if !ok {
		t.Errorf("%s %s answered %d, which the OpenAPI document does not list; body: %s", method, tmpl, r.status, r.raw)
		return
	}
	where += code
	if ref, isRef := resp["$ref"].(string); isRef {
		where = strings.TrimPrefix(ref, "#")
		resp = k.resolve(t, where)
	}
	content, _ := resp["content"].(map[string]any)
	if len(content) == 0 {
		if len(r.raw) != 0 {
			t.Errorf("%s %s %d: documented without a body, but got %q", method, tmpl, r.status, r.raw)
		}
		return
	}
	mt, _, _ := mime.ParseMediaType(r.header.Get("Content-Type"))
	media, ok := content[mt].(map[string]any)
	if !ok {
		t.Errorf("%s %s %d: content type %q is not documented", method, tmpl, r.status, mt)
		return
	}
	if mt != "application/json" || media["schema"] == nil {
		return
	}
	loc := contractURL + "#" + where + "/content/" + pointerEscape(mt) + "/schema"
	sch, ok := k.schemas[loc]
	if !ok {
		var err error
		sch, err = k.compiler.Compile(loc)
		if err != nil {
			t.Fatalf("compile %s: %v", loc, err)
		}
		k.schemas[loc] = sch
	}
	if err := sch.Validate(r.body); err != nil {
		t.Errorf("%s %s %d: the body does not match the OpenAPI document: %v\nbody: %s", method, tmpl, r.status, err, r.raw)
	}
}

func (k *contract) resolve(t *testing.T, pointer string) map[string]any {
	t.Helper()
	var cur any = k.doc
	for _, part := range strings.Split(strings.TrimPrefix(pointer, "/"), "/") {
		part = strings.NewReplacer("~1", "/", "~0", "~").Replace(part)
		m, ok := cur.(map[string]any)
		if !ok {
			t.Fatalf("cannot resolve %s", pointer)
		}
		cur = m[part]
	}
	m, ok := cur.(map[string]any)
	if !ok {
		t.Fatalf("cannot resolve %s", pointer)
	}
	return m
}

func pointerEscape(s string) string {
	return strings.NewReplacer("~", "~0", "/", "~1").Replace(s)
}
