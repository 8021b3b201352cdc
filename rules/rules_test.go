package rules

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/steward-governance/steward/rules/doc"
)

const petstore = `openapi: 3.0.3
info:
  title: Pets
  version: "1"
servers:
  - url: http://pets.example.com/
paths:
  /pets/:
    get:
      operationId: list_pets
      tags: [pets]
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema:
                $ref: "#/components/schemas/Pets"
  /pets/{petId}:
    get:
      responses:
        "404":
          description: missing
components:
  schemas:
    Pets:
      type: array
      items:
        $ref: "#/components/schemas/Pet"
    Pet:
      type: object
      properties:
        name: {type: string, example: 12}
        parent: {$ref: "#/components/schemas/Pet"}
    Unused:
      type: string
`

func lint(t *testing.T, ruleset string, files map[string]string) *Report {
	t.Helper()
	fsys := fstest.MapFS{}
	for k, v := range files {
		fsys[k] = &fstest.MapFile{Data: []byte(v)}
	}
	rs, err := Parse([]byte(ruleset), "ruleset.yaml", fsys)
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	rep, err := rs.LintBytes(context.Background(), []byte(petstore), LintOptions{Source: "apis/pets.yaml"})
	if err != nil {
		t.Fatalf("lint: %v", err)
	}
	for _, e := range rep.RuleErrors {
		t.Errorf("rule error: %v", e)
	}
	return rep
}

func codesAt(rep *Report) []string {
	var out []string
	for _, f := range rep.Findings {
		out = append(out, f.Code+"@"+strings.Join(f.Path, "/"))
	}
	return out
}

func TestLintCustomRules(t *testing.T) {
	tests := []struct {
		name    string
		ruleset string
		files   map[string]string
		want    []string
	}{
		{
			name: "truthy with field and description message",
			ruleset: `rules:
  op-desc:
    description: Operations need a description.
    given: $.paths[*][get]
    then: {field: description, function: truthy}`,
			want: []string{"op-desc@paths//pets//get", "op-desc@paths//pets/{petId}/get"},
		},
		{
			name: "pattern on keys with @key",
			ruleset: `rules:
  no-slash:
    given: $.paths
    then: {field: "@key", function: pattern, functionOptions: {notMatch: "/$"}}`,
			want: []string{"no-slash@paths//pets/"},
		},
		{
			name: "casing on operationIds",
			ruleset: `rules:
  camel-ids:
    given: $..operationId
    then: {function: casing, functionOptions: {type: camel}}`,
			want: []string{"camel-ids@paths//pets//get/operationId"},
		},
		{
			name: "resolved finding points at the definition, reported once",
			ruleset: `rules:
  string-max:
    given: $.paths..[?(@ && @.type == 'string')]
    then: {field: maxLength, function: defined}`,
			want: []string{"string-max@components/schemas/Pet/properties/name"},
		},
		{
			name: "unresolved rule sees the $ref",
			ruleset: `rules:
  refs:
    resolved: false
    given: $.paths..schema
    then: {field: $ref, function: undefined}`,
			want: []string{"refs@paths//pets//get/responses/200/content/application/json/schema/$ref"},
		},
		{
			name: "plain and scoped aliases",
			ruleset: `aliases:
  Op: ["$.paths[*][get]"]
  Servers:
    targets:
      - formats: [oas2]
        given: [$.host]
      - formats: [oas3]
        given: ["$.servers[*].url"]
rules:
  op-id:
    given: "#Op"
    then: {field: operationId, function: truthy}
  https:
    given: "#Servers"
    then: {function: pattern, functionOptions: {match: "^https:"}}`,
			want: []string{"https@servers/0/url", "op-id@paths//pets/{petId}/get"},
		},
		{
			name: "extends a local file, then turns one rule off and changes another",
			ruleset: `extends: ./base.yaml
rules:
  a: off
  b: error`,
			files: map[string]string{"base.yaml": `rules:
  a: {given: $.info, then: {field: contact, function: truthy}}
  b: {given: $.info, then: {field: license, function: truthy}}`},
			want: []string{"b@info"},
		},
		{
			name: "overrides turn a rule off for matching files",
			ruleset: `rules:
  lic: {given: $.info, then: {field: license, function: truthy}}
overrides:
  - files: ["apis/**/*.yaml"]
    rules: {lic: off}`,
			want: nil,
		},
		{
			name: "schema function and xor",
			ruleset: `rules:
  tags-array:
    given: $
    then: {field: tags, function: schema, functionOptions: {schema: {type: array}}}
  value-xor:
    given: $.info
    then: {function: xor, functionOptions: {properties: [title, summary]}}`,
			want: []string{"tags-array@"},
		},
		{
			name: "unused component",
			ruleset: `rules:
  unused:
    resolved: false
    given: $.components.schemas
    then: {function: unreferencedReusableObject, functionOptions: {reusableObjectsLocation: "#/components/schemas"}}`,
			want: []string{"unused@components/schemas/Unused"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep := lint(t, tt.ruleset, tt.files)
			got := codesAt(rep)
			if strings.Join(got, " ") != strings.Join(tt.want, " ") {
				t.Errorf("findings = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestMessageTemplate(t *testing.T) {
	rep := lint(t, `rules:
  r:
    message: "{{property}} missing at {{path}}: {{error}}"
    description: d
    given: $.paths[*].get.responses
    then: {field: "500.content", function: truthy}`, nil)
	if len(rep.Findings) == 0 {
		t.Fatal("no findings")
	}
	got := rep.Findings[0].Message
	want := `responses[500].content missing at /paths/~1pets~1/get/responses: "content" property must be truthy`
	if got != want {
		t.Errorf("message = %q, want %q", got, want)
	}
}

func TestStewardExtensions(t *testing.T) {
	rs, err := Parse([]byte(`rules:
  r:
    given: $
    then: {field: info, function: truthy}
    severity: 3
    x-steward-category: governance
    x-steward-weight: 2.5
    x-steward-how-to-fix: Add it.`), "r.yaml", nil)
	if err != nil {
		t.Fatal(err)
	}
	r := rs.Rule("r")
	if r.Category != Governance || r.Weight != 2.5 || r.HowToFix != "Add it." || r.Severity != Hint {
		t.Errorf("rule = %+v", r)
	}
}

func TestLoadErrors(t *testing.T) {
	tests := []struct {
		name, ruleset string
		want          string
		line          int32
	}{
		{"unknown function", "rules:\n  r:\n    given: $\n    then: {function: nope}\n", `unknown function "nope"`, 4},
		{"bad jsonpath", "rules:\n  r:\n    given: $.a[?(@.x =~ /y/)]\n    then: {function: truthy}\n", "offset 10", 3},
		{"schema option not a schema", "rules:\n  r:\n    given: $\n    then:\n      function: schema\n      functionOptions: {schema: 5}\n", "must be a JSON Schema", 6},
		{"invalid schema", "rules:\n  r:\n    given: $\n    then:\n      function: schema\n      functionOptions: {schema: {type: 5}}\n", "not a valid JSON Schema", 6},
		{"bad severity", "rules:\n  r:\n    given: $\n    severity: loud\n    then: {function: truthy}\n", "invalid severity", 4},
		{"severity for unknown rule", "rules:\n  r: warn\n", "needs a full definition", 2},
		{"unknown alias", "rules:\n  r:\n    given: '#Nope.x'\n    then: {function: truthy}\n", `alias "Nope" is not defined`, 3},
		{"unknown extends", "extends: spectral:asyncapi\n", "unknown ruleset", 1},
		{"untranslatable regex", "rules:\n  r:\n    given: $\n    then: {function: pattern, functionOptions: {match: '(?=a)'}}\n", "lookahead", 4},
		{"bad category", "rules:\n  r:\n    given: $\n    then: {function: truthy}\n    x-steward-category: fun\n", "x-steward-category", 5},
		{"missing then", "rules:\n  r:\n    given: $\n", "has no then", 3},
		{"bad extends mode", "extends: [[spectral:oas, most]]\n", "unknown extends mode", 1},
		{"category weights not an object", "x-steward-category-weights: 2\n", "x-steward-category-weights must be an object from categories to weights", 1},
		{"unknown category weight", "x-steward-category-weights:\n  security: 2\n  fun: 1\n", `unknown category "fun": want security, design, documentation, performance, governance`, 3},
		{"zero category weight", "x-steward-category-weights:\n  design: 0\n", "the weight of category design must be a positive number, got 0", 2},
		{"negative category weight", "x-steward-category-weights: {governance: -1}\n", "the weight of category governance must be a positive number, got -1", 1},
		{"text category weight", "x-steward-category-weights: {security: high}\n", `the weight of category security must be a positive number, got "high"`, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.ruleset), "r.yaml", nil)
			var le *LoadError
			if !errors.As(err, &le) {
				t.Fatalf("err = %v, want *LoadError", err)
			}
			if !strings.Contains(le.Msg, tt.want) {
				t.Errorf("msg = %q, want it to contain %q", le.Msg, tt.want)
			}
			if le.Pos.Line != tt.line {
				t.Errorf("line = %d, want %d (%v)", le.Pos.Line, tt.line, err)
			}
		})
	}
}

func TestExtendsModes(t *testing.T) {
	count := func(src string) int {
		rs, err := Parse([]byte(src), "r.yaml", nil)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, r := range rs.Rules {
			if r.Enabled() {
				n++
			}
		}
		return n
	}
	all, rec, off := count("extends: [[spectral:oas, all]]"), count("extends: spectral:oas"), count("extends: [[spectral:oas, off]]")
	if !(all > rec && rec > 0 && off == 0) {
		t.Errorf("enabled rules: all=%d recommended=%d off=%d", all, rec, off)
	}
	if n := count(`extends: ["@stoplight/spectral-owasp-ruleset"]`); n < 30 {
		t.Errorf("owasp enables %d rules", n)
	}
}

func TestBuiltinsHaveStewardMetadata(t *testing.T) {
	for _, name := range BuiltinNames() {
		rs, err := Builtin(name)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for _, r := range rs.Rules {
			if r.Category == "" || r.HowToFix == "" || r.Weight <= 0 {
				t.Errorf("%s: rule %s lacks category, weight or how-to-fix", name, r.Name)
			}
		}
	}
}

func TestTimeoutIsReported(t *testing.T) {
	rs, err := Builtin("spectral:oas")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer cancel()
	rep, err := rs.LintBytes(ctx, []byte(petstore), LintOptions{})
	if !errors.Is(err, ErrTimeout) {
		t.Fatalf("err = %v, want ErrTimeout", err)
	}
	if rep == nil || !rep.Incomplete {
		t.Fatalf("report = %+v, want Incomplete", rep)
	}
}

func TestTooManyNodesIsARuleError(t *testing.T) {
	rs, err := Parse([]byte("rules:\n  all:\n    given: $..*\n    then: {function: defined}\n"), "r.yaml", nil)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := rs.LintBytes(context.Background(), []byte(petstore), LintOptions{MaxResults: 10})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.RuleErrors) != 1 || !strings.Contains(rep.RuleErrors[0].Error(), "more than 10") {
		t.Fatalf("rule errors = %v", rep.RuleErrors)
	}
}

func TestCircularRefsTerminate(t *testing.T) {
	src := `{"openapi":"3.0.0","info":{"title":"x","version":"1"},"paths":{},
"components":{"schemas":{"A":{"$ref":"#/components/schemas/B"},"B":{"$ref":"#/components/schemas/A"},
"Node":{"type":"object","properties":{"next":{"$ref":"#/components/schemas/Node"}},"example":{"next":{}}}}}}`
	rs, err := Parse([]byte("extends: [[spectral:oas, all]]"), "r.yaml", nil)
	if err != nil {
		t.Fatal(err)
	}
	d, err := doc.ParseDocument([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	rep, err := rs.Lint(ctx, d, LintOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range rep.RuleErrors {
		t.Error(e)
	}
}

func TestFindingRange(t *testing.T) {
	rep := lint(t, "rules:\n  r:\n    given: $.info.title\n    then: {function: pattern, functionOptions: {match: '^x'}}\n", nil)
	if len(rep.Findings) != 1 {
		t.Fatalf("findings = %v", codesAt(rep))
	}
	got := rep.Findings[0].Range
	want := doc.Range{Start: doc.Pos{Line: 3, Column: 10}, End: doc.Pos{Line: 3, Column: 14}}
	if got != want {
		t.Errorf("range = %+v, want %+v", got, want)
	}
}

func TestRuleStats(t *testing.T) {
	const ruleset = `rules:
  op-id:
    given: $.paths[*].get
    then: {field: operationId, function: truthy}
  op-id-and-tags:
    given: $.paths[*].get
    then:
      - {field: operationId, function: truthy}
      - {field: tags, function: truthy}
  two-givens-one-target:
    given: ["$.paths[*].get", "$.paths['/pets/'].get"]
    then: {field: operationId, function: truthy}
  path-key:
    given: $.paths
    then: {field: "@key", function: pattern, functionOptions: {notMatch: "/$"}}
  path-key-tilde:
    given: $.paths[*]~
    then: {function: pattern, functionOptions: {notMatch: "/$"}}
  jsonpath-field:
    given: $.components.schemas.Pet
    then: {field: "$.properties[*]", function: truthy}
  jsonpath-field-nothing:
    given: $.components.schemas.Pets
    then: {field: "$.properties[*]", function: truthy}
  no-target:
    given: $.webhooks[*]
    then: {function: truthy}
  one-finding-per-key:
    given: $
    then: {field: paths, function: length, functionOptions: {max: 1}}
  turned-off-below:
    given: $.paths[*].get
    then: {field: operationId, function: truthy}
overrides:
  - files: ["apis/pets.yaml#/paths/~1pets~1{petId}"]
    rules:
      turned-off-below: "off"
`
	rep := lint(t, ruleset, nil)
	want := map[string]RuleStats{
		"op-id":                  {Targets: 2, Failed: 1},
		"op-id-and-tags":         {Targets: 2, Failed: 1},
		"two-givens-one-target":  {Targets: 2, Failed: 1},
		"path-key":               {Targets: 2, Failed: 1},
		"path-key-tilde":         {Targets: 2, Failed: 1},
		"jsonpath-field":         {Targets: 2, Failed: 0},
		"jsonpath-field-nothing": {Targets: 1, Failed: 1},
		"no-target":              {Targets: 0, Failed: 0},
		"one-finding-per-key":    {Targets: 1, Failed: 1},
		"turned-off-below":       {Targets: 2, Failed: 0},
	}
	for name, w := range want {
		got, ok := rep.Stats[name]
		if !ok {
			t.Errorf("%s: no stats", name)
			continue
		}
		if got != w {
			t.Errorf("%s: %+v, want %+v", name, got, w)
		}
	}
	if len(rep.Stats) != len(want) {
		t.Errorf("stats for %d rules, want %d: %v", len(rep.Stats), len(want), rep.Stats)
	}
}

// TestRuleStatsFollowWrittenValues: a value reached through several $refs
// is one target, as its finding is one finding; unresolved, each {$ref}
// object is its own target.
func TestRuleStatsFollowWrittenValues(t *testing.T) {
	const src = `openapi: 3.0.3
info: {title: t, version: "1"}
paths:
  /a:
    get:
      responses:
        "200": {$ref: "#/components/responses/Ok"}
  /b:
    get:
      responses:
        "200": {$ref: "#/components/responses/Ok"}
        "404": {description: ""}
components:
  responses:
    Ok: {description: ""}
`
	for _, tc := range []struct {
		resolved bool
		findings int
		want     RuleStats
	}{
		{true, 2, RuleStats{Targets: 2, Failed: 2}},
		{false, 3, RuleStats{Targets: 3, Failed: 3}},
	} {
		rs, err := Parse([]byte(fmt.Sprintf(`rules:
  r:
    given: $.paths[*][*].responses[*]
    resolved: %v
    then: {field: description, function: truthy}
`, tc.resolved)), "r.yaml", nil)
		if err != nil {
			t.Fatal(err)
		}
		rep, err := rs.LintBytes(context.Background(), []byte(src), LintOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if len(rep.Findings) != tc.findings || rep.Stats["r"] != tc.want {
			t.Errorf("resolved %v: findings %v, stats %+v; want %d findings, %+v", tc.resolved, codesAt(rep), rep.Stats["r"], tc.findings, tc.want)
		}
	}
}

func TestRuleErrorHasNoStats(t *testing.T) {
	rs, err := Parse([]byte("rules:\n  all:\n    given: $..*\n    then: {function: defined}\n"), "r.yaml", nil)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := rs.LintBytes(context.Background(), []byte(petstore), LintOptions{MaxResults: 10})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := rep.Stats["all"]; ok || len(rep.RuleErrors) != 1 {
		t.Errorf("stats %v, rule errors %v", rep.Stats, rep.RuleErrors)
	}
}

func TestCategoryWeights(t *testing.T) {
	rs, err := Builtin("steward:recommended")
	if err != nil {
		t.Fatal(err)
	}
	want := map[Category]float64{Security: 2, Design: 1, Documentation: 1, Performance: 1, Governance: 1}
	if fmt.Sprint(rs.CategoryWeights) != fmt.Sprint(want) {
		t.Errorf("steward:recommended weights %v, want %v", rs.CategoryWeights, want)
	}
	// Extending inherits them; the ruleset's own entries replace its
	// parent's one category at a time, whatever the extends mode.
	for _, ext := range []string{"steward:recommended", "[[steward:recommended, off]]"} {
		rs, err = Parse([]byte("extends: "+ext+"\nx-steward-category-weights: {security: 3, performance: 0.5}\n"), "r.yaml", nil)
		if err != nil {
			t.Fatal(err)
		}
		want = map[Category]float64{Security: 3, Design: 1, Documentation: 1, Performance: 0.5, Governance: 1}
		if fmt.Sprint(rs.CategoryWeights) != fmt.Sprint(want) {
			t.Errorf("extends %s: weights %v, want %v", ext, rs.CategoryWeights, want)
		}
	}
	// JSON rulesets say the same; a ruleset without any has none.
	rs, err = Parse([]byte(`{"x-steward-category-weights": {"design": 2}}`), "r.json", nil)
	if err != nil || rs.CategoryWeights[Design] != 2 || len(rs.CategoryWeights) != 1 {
		t.Errorf("json: %v %v", rs, err)
	}
	if rs, err = Builtin("spectral:oas"); err != nil || rs.CategoryWeights != nil {
		t.Errorf("spectral:oas weights %v (%v), want none", rs.CategoryWeights, err)
	}
	// An error names the file, position and path.
	_, err = Parse([]byte("x-steward-category-weights:\n  security: 2\n  fun: 1\n"), "std.yaml", nil)
	if err == nil || err.Error() != `std.yaml:3:3: x-steward-category-weights.fun: unknown category "fun": want security, design, documentation, performance, governance` {
		t.Errorf("error %v", err)
	}
}
