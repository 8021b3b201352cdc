package lintreport

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/steward-governance/steward/rules"
	"github.com/steward-governance/steward/rules/doc"
)

// corpusDir is the shared corpus: real specs and what Spectral 6.16.3
// reported on them with `spectral lint -f json`.
const corpusDir = "../../shared/corpus"

// lint runs rs on src and draws the ranges as steward lint does.
func lint(t *testing.T, rs *rules.Ruleset, src []byte, source string) []rules.Finding {
	t.Helper()
	d, err := doc.ParseDocument(src)
	if err != nil {
		t.Fatalf("parse %s: %v", source, err)
	}
	rep, err := rs.Lint(context.Background(), d, rules.LintOptions{Source: source})
	if err != nil {
		t.Fatalf("lint %s: %v", source, err)
	}
	if len(rep.RuleErrors) > 0 {
		t.Fatalf("lint %s: %v", source, rep.RuleErrors)
	}
	return SpectralRanges(src, d, rep.Findings)
}

func write(t *testing.T, f Format, results []FileResult, opts Options) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := Write(&buf, f, results, opts); err != nil {
		t.Fatalf("Write %s: %v", f, err)
	}
	return buf.Bytes()
}

// TestJSONMatchesSpectral lints two corpus specs (one JSON, one YAML) on
// which the engine agrees with Spectral finding for finding, and checks that
// the json format reproduces Spectral's output: the same keys in the same
// order, and the same values (code, path, message, severity, 0-based range,
// source) in the same order.
func TestJSONMatchesSpectral(t *testing.T) {
	if _, err := os.Stat(filepath.Join(corpusDir, "specs")); err != nil {
		t.Skipf("corpus not available at %s: %v", corpusDir, err)
	}
	rs, err := rules.Load(os.DirFS(filepath.Join(corpusDir, "rulesets")), "oas-all.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, spec := range []string{"readme-oas30__http-status-codes.json", "clever.com.yaml"} {
		t.Run(spec, func(t *testing.T) {
			src, err := os.ReadFile(filepath.Join(corpusDir, "specs", spec))
			if err != nil {
				t.Fatal(err)
			}
			// The corpus writes source as the path inside the corpus.
			source := "specs/" + spec
			got := write(t, JSON, []FileResult{{Source: source, Findings: lint(t, rs, src, source)}}, Options{})
			want, err := os.ReadFile(filepath.Join(corpusDir, "spectral", "oas", strings.TrimSuffix(spec, filepath.Ext(spec))+".json"))
			if err != nil {
				t.Fatal(err)
			}
			gotKeys, wantKeys := keyOrders(t, got), keyOrders(t, want)
			if !reflect.DeepEqual(gotKeys, wantKeys) {
				t.Errorf("key order differs:\n got %v\nwant %v", first(gotKeys), first(wantKeys))
			}
			var g, w []map[string]any
			if err := json.Unmarshal(got, &g); err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(want, &w); err != nil {
				t.Fatal(err)
			}
			if len(g) != len(w) {
				t.Errorf("%d findings, Spectral has %d", len(g), len(w))
			}
			for i := range min(len(g), len(w)) {
				if !reflect.DeepEqual(g[i], w[i]) {
					t.Errorf("finding %d:\n got %v\nwant %v", i, g[i], w[i])
					break
				}
			}
		})
	}
}

// keyOrders lists the keys of every object in the document, in the order
// they are written.
func keyOrders(t *testing.T, b []byte) [][]string {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(b))
	var out [][]string
	var stack []*[]string
	expectKey := []bool{}
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatalf("read JSON: %v", err)
		}
		switch v := tok.(type) {
		case json.Delim:
			switch v {
			case '{':
				out = append(out, nil)
				stack = append(stack, &out[len(out)-1])
				expectKey = append(expectKey, true)
				continue
			case '[':
				stack = append(stack, nil)
				expectKey = append(expectKey, false)
				continue
			default:
				stack, expectKey = stack[:len(stack)-1], expectKey[:len(expectKey)-1]
			}
		case string:
			if n := len(stack); n > 0 && stack[n-1] != nil && expectKey[n-1] {
				*stack[n-1] = append(*stack[n-1], v)
				expectKey[n-1] = false
				continue
			}
		}
		if n := len(stack); n > 0 && stack[n-1] != nil {
			expectKey[n-1] = true
		}
	}
}

func first(keys [][]string) [][]string { return keys[:min(len(keys), 4)] }

// sample is a small spec with a finding of every severity.
const sample = `openapi: 3.0.3
info:
  title: Pets
  version: "1.0"
paths:
  /pets:
    get:
      tags: [pets]
      responses:
        "200":
          description: ok
`

// sampleRuleset has one rule per severity; its rules say what they check
// in descriptions, so SARIF has text to show.
const sampleRuleset = `rules:
  info-contact:
    description: Info object must have a contact.
    documentationUrl: https://example.com/rules/info-contact
    severity: error
    given: $.info
    then:
      field: contact
      function: truthy
    x-steward-category: documentation
  operation-id:
    description: Operations must have an operationId.
    severity: warn
    given: $.paths.*[get,put,post,delete]
    then:
      field: operationId
      function: truthy
  tag-lowercase:
    description: Tags should be lower case.
    severity: info
    given: $.paths.*.*.tags[*]
    then:
      function: pattern
      functionOptions:
        match: "^[A-Z]"
  title-hint:
    description: Titles may say what the API is for.
    severity: hint
    given: $.info.title
    then:
      function: length
      functionOptions:
        min: 10
`

func sampleResults(t *testing.T) ([]FileResult, *rules.Ruleset) {
	t.Helper()
	rs, err := rules.Parse([]byte(sampleRuleset), "ruleset.yaml", nil)
	if err != nil {
		t.Fatal(err)
	}
	src := []byte(sample)
	return []FileResult{
		{Source: "/work/api/pets.yaml", Findings: lint(t, rs, src, "pets.yaml")},
		{Source: "/work/api/empty.yaml"},
	}, rs
}

func TestText(t *testing.T) {
	results, _ := sampleResults(t)
	got := string(write(t, Text, results, Options{}))
	want := `/work/api/pets.yaml
2:6   error        info-contact   Info object must have a contact.      info
3:10  hint         title-hint     Titles may say what the API is for.   info.title
7:9   warning      operation-id   Operations must have an operationId.  paths./pets.get
8:14  information  tag-lowercase  Tags should be lower case.            paths./pets.get.tags[0]

✖ 4 problems (1 error, 1 warning, 1 info, 1 hint)
`
	if got != want {
		t.Errorf("text report:\n%s\nwant:\n%s", got, want)
	}
	got = string(write(t, Text, []FileResult{{Source: "a.yaml"}}, Options{FailSeverity: rules.Warn}))
	if got != "No results with a severity of 'warn' found!\n" {
		t.Errorf("text report with no findings: %q", got)
	}
}

func TestSARIFValidatesAgainstSchema(t *testing.T) {
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	f, err := os.Open("testdata/sarif-2.1.0.json")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	schemaDoc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.AddResource("sarif-2.1.0.json", schemaDoc); err != nil {
		t.Fatal(err)
	}
	schema, err := c.Compile("sarif-2.1.0.json")
	if err != nil {
		t.Fatal(err)
	}
	results, rs := sampleResults(t)
	for name, opts := range map[string]Options{
		"with ruleset and base": {Ruleset: rs, BaseDir: "/work", Version: "1.2.3"},
		"bare":                  {},
	} {
		t.Run(name, func(t *testing.T) {
			out := write(t, SARIF, results, opts)
			inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(out))
			if err != nil {
				t.Fatal(err)
			}
			if err := schema.Validate(inst); err != nil {
				t.Fatalf("SARIF does not validate: %v\n%s", err, out)
			}
			var log struct {
				Runs []struct {
					Tool struct {
						Driver struct {
							Name  string
							Rules []struct {
								ID         string
								HelpURI    string
								Properties struct{ Category string }
							}
						}
					}
					Results []struct {
						RuleID    string
						RuleIndex int
						Level     string
						Locations []struct {
							PhysicalLocation struct {
								ArtifactLocation struct{ URI, URIBaseID string }
								Region           struct{ StartLine, StartColumn, EndLine, EndColumn int }
							}
						}
					}
				}
			}
			if err := json.Unmarshal(out, &log); err != nil {
				t.Fatal(err)
			}
			run := log.Runs[0]
			if run.Tool.Driver.Name != "Steward" {
				t.Errorf("driver name %q", run.Tool.Driver.Name)
			}
			levels := map[string]string{}
			for _, r := range run.Results {
				if got := run.Tool.Driver.Rules[r.RuleIndex].ID; got != r.RuleID {
					t.Errorf("result %s points at rule %s", r.RuleID, got)
				}
				levels[r.RuleID] = r.Level
			}
			wantLevels := map[string]string{"info-contact": "error", "operation-id": "warning", "tag-lowercase": "note", "title-hint": "note"}
			if !reflect.DeepEqual(levels, wantLevels) {
				t.Errorf("levels %v, want %v", levels, wantLevels)
			}
			loc := run.Results[0].Locations[0].PhysicalLocation
			if opts.BaseDir != "" {
				if loc.ArtifactLocation.URI != "api/pets.yaml" || loc.ArtifactLocation.URIBaseID != "%SRCROOT%" {
					t.Errorf("artifact %+v, want api/pets.yaml relative to %%SRCROOT%%", loc.ArtifactLocation)
				}
				rule := run.Tool.Driver.Rules[run.Results[0].RuleIndex]
				if rule.HelpURI != "https://example.com/rules/info-contact" || rule.Properties.Category != "documentation" {
					t.Errorf("rule %+v lacks its documentation URL or category", rule)
				}
			} else if loc.ArtifactLocation.URI != "file:///work/api/pets.yaml" {
				t.Errorf("artifact %+v, want an absolute file URI", loc.ArtifactLocation)
			}
			// info-contact: the info object, from after "info:" (line 2,
			// column 6) to the end of its last value.
			if r := loc.Region; r.StartLine != 2 || r.StartColumn != 6 || r.EndLine != 4 || r.EndColumn != 17 {
				t.Errorf("region %+v", r)
			}
		})
	}
}

func TestJUnit(t *testing.T) {
	results, _ := sampleResults(t)
	for _, tc := range []struct {
		fail           rules.Severity
		tests, failing int
	}{
		{rules.Error, 2, 1}, // one failing case, and a passing one for empty.yaml
		{rules.Warn, 3, 2},
		{rules.Hint, 5, 4},
	} {
		t.Run(tc.fail.String(), func(t *testing.T) {
			out := write(t, JUnit, results, Options{FailSeverity: tc.fail})
			var suites junitSuites
			if err := xml.Unmarshal(out, &suites); err != nil {
				t.Fatalf("not XML: %v\n%s", err, out)
			}
			if suites.Tests != tc.tests || suites.Failures != tc.failing || len(suites.Suites) != 2 {
				t.Errorf("tests=%d failures=%d suites=%d, want %d, %d, 2\n%s", suites.Tests, suites.Failures, len(suites.Suites), tc.tests, tc.failing, out)
			}
			failures := 0
			for _, s := range suites.Suites {
				for _, c := range s.Cases {
					if c.Failure != nil {
						failures++
					}
				}
			}
			if failures != tc.failing {
				t.Errorf("%d failure elements, want %d", failures, tc.failing)
			}
			if !bytes.Contains(out, []byte(`<testcase name="info-contact(#/info)" classname="/work/api/pets" time="0">`)) {
				t.Errorf("no test case for info-contact:\n%s", out)
			}
		})
	}
}

func TestJSONEmptyIsAnArray(t *testing.T) {
	got := write(t, JSON, []FileResult{{Source: "a.yaml"}}, Options{})
	if string(got) != "[]\n" {
		t.Errorf("got %q, want an empty array", got)
	}
}

func TestSpectralRanges(t *testing.T) {
	// Spectral starts an object or array held under a key just after the
	// key's colon, ends it with its last scalar, and leaves scalars alone.
	for _, tc := range []struct {
		name, src string
		path      []string
		want      string
	}{
		{"json object", "{\n  \"info\": {\n    \"title\": \"x\"\n  }\n}\n", []string{"info"}, "2:10-3:17"},
		{"json scalar", "{\n  \"info\": {\n    \"title\": \"x\"\n  }\n}\n", []string{"info", "title"}, "3:14-3:17"},
		{"json root", "{\n  \"a\": [1, 2]\n}\n", nil, "1:1-2:13"},
		{"json escaped key", "{\"a\\\":b\" : {\"c\": 1}}", []string{"a\":b"}, "1:11-1:19"},
		{"yaml block", "info:\n  title: x\n  version: '1'\n", []string{"info"}, "1:6-3:15"},
		{"yaml quoted key", "'a: b':\n  - 1\n", []string{"a: b"}, "1:8-2:6"},
		{"yaml plain key with colon", "x:y: [1]\n", []string{"x:y"}, "1:5-1:8"},
		{"yaml item", "tags:\n  - a\n  - name: b\n", []string{"tags", "1"}, "3:5-3:12"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d, err := doc.ParseDocument([]byte(tc.src))
			if err != nil {
				t.Fatal(err)
			}
			n, _ := d.Lookup(tc.path, false)
			got := SpectralRanges([]byte(tc.src), d, []rules.Finding{{Path: tc.path, Range: n.Range}})[0].Range
			if s := fmt.Sprintf("%d:%d-%d:%d", got.Start.Line, got.Start.Column, got.End.Line, got.End.Column); s != tc.want {
				t.Errorf("range %s, want %s (engine's was %v)", s, tc.want, n.Range)
			}
		})
	}
}

func TestOrderFollowsSpectral(t *testing.T) {
	at := func(line int32, code string, path ...string) rules.Finding {
		return rules.Finding{Code: code, Path: path, Range: doc.Range{Start: doc.Pos{Line: line, Column: 1}}}
	}
	in := []FileResult{
		{Source: "b.yaml", Findings: []rules.Finding{at(1, "x")}},
		{Source: "a.yaml", Findings: []rules.Finding{
			at(2, "a"), at(1, "owasp:api10"), at(1, "owasp:api2", "p", "10"), at(1, "owasp:api2", "p", "9"),
		}},
	}
	var got []string
	for _, r := range sortedResults(in) {
		for _, f := range r.Findings {
			got = append(got, r.Source+" "+f.Code+" "+strings.Join(f.Path, "/"))
		}
	}
	want := []string{"a.yaml owasp:api2 p/9", "a.yaml owasp:api2 p/10", "a.yaml owasp:api10 ", "a.yaml a ", "b.yaml x "}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("order\n got %q\nwant %q", got, want)
	}
	if in[1].Findings[0].Code != "a" {
		t.Error("Write reordered the caller's findings")
	}
}

func TestDotPath(t *testing.T) {
	for path, want := range map[string]string{
		"":                       "",
		"paths|/pets|get|tags|0": "paths./pets.get.tags[0]",
		"components|x.y|a b|":    "components['x.y']['a b']['']",
		"responses|200|content":  "responses[200].content",
	} {
		var segs []string
		if path != "" {
			segs = strings.Split(path, "|")
		}
		if got := dotPath(segs); got != want {
			t.Errorf("dotPath(%q) = %q, want %q", path, got, want)
		}
	}
}
