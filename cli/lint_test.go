package cli

import (
	"encoding/json"
	"encoding/xml"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// petsSpec has no contact (an error under lintRuleset) and an operation
// without an operationId (a warning).
const petsSpec = `openapi: 3.0.3
info:
  title: Pets
  version: "1.0"
paths:
  /pets:
    get:
      responses:
        "200":
          description: ok
`

const lintRuleset = `rules:
  info-contact:
    description: Info object must have a contact.
    severity: error
    given: $.info
    then:
      field: contact
      function: truthy
  operation-id:
    description: Operations must have an operationId.
    severity: warn
    given: $.paths.*[get,put,post,delete]
    then:
      field: operationId
      function: truthy
`

// lintDir makes a working folder holding the given files and moves into
// it, so paths in arguments and reports are short.
func lintDir(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Chdir(dir)
	dir, err := os.Getwd() // resolved, as reports write it
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestLintFormats(t *testing.T) {
	dir := lintDir(t, map[string]string{"pets.yaml": petsSpec, "ruleset.yaml": lintRuleset})
	source := filepath.ToSlash(filepath.Join(dir, "pets.yaml"))

	t.Run("text", func(t *testing.T) {
		code, out, errOut := run("lint", "--ruleset", "ruleset.yaml", "pets.yaml")
		if code != 1 {
			t.Fatalf("exit %d, want 1 (an error-level finding)\n%s", code, errOut)
		}
		for _, want := range []string{
			source + "\n",
			"2:6  error    info-contact  Info object must have a contact.      info\n",
			"7:9  warning  operation-id  Operations must have an operationId.  paths./pets.get\n",
			"✖ 2 problems (1 error, 1 warning, 0 infos, 0 hints)\n",
		} {
			if !strings.Contains(out, want) {
				t.Errorf("text report lacks %q:\n%s", want, out)
			}
		}
	})

	t.Run("json, flags after the spec", func(t *testing.T) {
		code, out, errOut := run("lint", "pets.yaml", "--format", "json", "--ruleset", "ruleset.yaml")
		if code != 1 {
			t.Fatalf("exit %d, want 1\n%s", code, errOut)
		}
		type pos struct{ Line, Character int }
		var got []struct {
			Code     string
			Path     []string
			Message  string
			Severity int
			Range    struct{ Start, End pos }
			Source   string
		}
		if err := json.Unmarshal([]byte(out), &got); err != nil {
			t.Fatalf("not JSON: %v\n%s", err, out)
		}
		if len(got) != 2 {
			t.Fatalf("%d findings, want 2:\n%s", len(got), out)
		}
		f := got[0]
		if f.Code != "info-contact" || !reflect.DeepEqual(f.Path, []string{"info"}) || f.Severity != 0 || f.Source != source {
			t.Errorf("first finding %+v", f)
		}
		// Spectral counts from 0 and starts the info object after "info:".
		if f.Range.Start != (pos{1, 5}) || f.Range.End != (pos{3, 16}) {
			t.Errorf("range %+v, want 1:5-3:16", f.Range)
		}
		if got[1].Code != "operation-id" || got[1].Severity != 1 {
			t.Errorf("second finding %+v", got[1])
		}
		// Spectral's key order, so line-oriented tools read it unchanged.
		keys := []string{`"code"`, `"path"`, `"message"`, `"severity"`, `"range"`, `"source"`}
		last := -1
		for _, k := range keys {
			i := strings.Index(out, k)
			if i < last {
				t.Errorf("key %s out of Spectral's order:\n%s", k, out)
			}
			last = i
		}
	})

	t.Run("sarif", func(t *testing.T) {
		code, out, errOut := run("lint", "-r", "ruleset.yaml", "-f", "sarif", "pets.yaml")
		if code != 1 {
			t.Fatalf("exit %d, want 1\n%s", code, errOut)
		}
		var log struct {
			Version string
			Runs    []struct {
				Tool    struct{ Driver struct{ Name string } }
				Results []struct {
					RuleID    string
					Level     string
					Locations []struct {
						PhysicalLocation struct {
							ArtifactLocation struct{ URI, URIBaseID string }
							Region           struct{ StartLine, StartColumn int }
						}
					}
				}
			}
		}
		if err := json.Unmarshal([]byte(out), &log); err != nil {
			t.Fatalf("not JSON: %v\n%s", err, out)
		}
		if log.Version != "2.1.0" || len(log.Runs) != 1 || log.Runs[0].Tool.Driver.Name != "Steward" || len(log.Runs[0].Results) != 2 {
			t.Fatalf("SARIF log:\n%s", out)
		}
		r := log.Runs[0].Results[0]
		loc := r.Locations[0].PhysicalLocation
		if r.RuleID != "info-contact" || r.Level != "error" || loc.ArtifactLocation.URI != "pets.yaml" || loc.ArtifactLocation.URIBaseID != "%SRCROOT%" || loc.Region.StartLine != 2 || loc.Region.StartColumn != 6 {
			t.Errorf("first result %+v", r)
		}
	})

	t.Run("junit", func(t *testing.T) {
		code, out, errOut := run("lint", "--ruleset=ruleset.yaml", "--format=junit", "pets.yaml")
		if code != 1 {
			t.Fatalf("exit %d, want 1\n%s", code, errOut)
		}
		var suites struct {
			Tests    int `xml:"tests,attr"`
			Failures int `xml:"failures,attr"`
			Suites   []struct {
				Name  string `xml:"name,attr"`
				Cases []struct {
					Name    string `xml:"name,attr"`
					Failure *struct {
						Message string `xml:"message,attr"`
					} `xml:"failure"`
				} `xml:"testcase"`
			} `xml:"testsuite"`
		}
		if err := xml.Unmarshal([]byte(out), &suites); err != nil {
			t.Fatalf("not XML: %v\n%s", err, out)
		}
		// Only the error is at or above the default --fail-severity.
		if suites.Tests != 1 || suites.Failures != 1 || len(suites.Suites) != 1 || suites.Suites[0].Name != source {
			t.Fatalf("JUnit report:\n%s", out)
		}
		c := suites.Suites[0].Cases[0]
		if c.Name != "info-contact(#/info)" || c.Failure == nil || c.Failure.Message != "Info object must have a contact." {
			t.Errorf("test case %+v", c)
		}
	})
}

func TestLintFailSeverity(t *testing.T) {
	withContact := strings.Replace(petsSpec, "  version: \"1.0\"\n", "  version: \"1.0\"\n  contact: {email: a@example.com}\n", 1)
	lintDir(t, map[string]string{"pets.yaml": withContact, "ruleset.yaml": lintRuleset})
	for _, tc := range []struct {
		args    []string
		code    int
		outHas  string
		outLack string
	}{
		{nil, 0, "operation-id", ""}, // a warning alone passes by default
		{[]string{"--fail-severity", "warn"}, 1, "operation-id", ""},
		{[]string{"-F", "hint"}, 1, "operation-id", ""},
		{[]string{"--display-only-failures"}, 0, "No results with a severity of 'error' found!", "operation-id"},
		{[]string{"-D", "--fail-severity", "warn"}, 1, "operation-id", ""},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			args := append([]string{"lint", "--ruleset", "ruleset.yaml", "pets.yaml"}, tc.args...)
			code, out, errOut := run(args...)
			if code != tc.code {
				t.Fatalf("exit %d, want %d\n%s%s", code, tc.code, out, errOut)
			}
			if !strings.Contains(out, tc.outHas) || tc.outLack != "" && strings.Contains(out, tc.outLack) {
				t.Errorf("report:\n%s", out)
			}
		})
	}
}

func TestLintBadRuleset(t *testing.T) {
	files := map[string]string{
		"pets.yaml": petsSpec,
		"unknown-function.yaml": `rules:
  r1:
    given: $.info
    then:
      function: frobnicate
`,
		"bad-regex.yaml": `rules:
  r1:
    given: $.info
    then:
      field: title
      function: pattern
      functionOptions:
        match: "([a-z"
`,
		"bad-jsonpath.yaml": `rules:
  r1:
    given: $.info[?(@.x ==
    then:
      function: truthy
`,
		"self.yaml":         "extends: [./self.yaml]\nrules: {}\n",
		"nested/loop.yaml":  "extends: ../self.yaml\n",
		"not-a-ruleset.txt": "rules: [unclosed\n",
	}
	lintDir(t, files)
	for _, tc := range []struct{ ruleset, want string }{
		{"unknown-function.yaml", `steward lint: invalid ruleset: unknown-function.yaml:5:17: rules.r1.then.function: unknown function "frobnicate"`},
		{"bad-regex.yaml", `steward lint: invalid ruleset: bad-regex.yaml:8:9: rules.r1.then.functionOptions: function pattern: option match: regular expression /([a-z/: unterminated character class`},
		{"bad-jsonpath.yaml", `steward lint: invalid ruleset: bad-jsonpath.yaml:3:12: rules.r1.given: invalid JSONPath "$.info[?(@.x ==": unexpected end of filter at offset 15`},
		{"self.yaml", `steward lint: invalid ruleset: self.yaml:1:11: extends.0: circular extends: self.yaml -> self.yaml`},
		{"nested/loop.yaml", `circular extends: ` + filepath.Join("nested", "loop.yaml") + ` -> self.yaml -> self.yaml`},
		{"not-a-ruleset.txt", `steward lint: invalid ruleset: not-a-ruleset.txt:`},
		{"missing.yaml", `steward lint: cannot read ruleset missing.yaml: no such file or directory`},
		{"nested", `steward lint: ruleset nested is a folder, not a file`},
	} {
		t.Run(tc.ruleset, func(t *testing.T) {
			code, out, errOut := run("lint", "--ruleset", tc.ruleset, "pets.yaml")
			if code != 2 {
				t.Fatalf("exit %d, want 2\n%s%s", code, out, errOut)
			}
			if !strings.Contains(errOut, tc.want) {
				t.Errorf("stderr %q\nwant it to contain %q", errOut, tc.want)
			}
			if out != "" {
				t.Errorf("a failed run wrote a report:\n%s", out)
			}
		})
	}
}

func TestLintBadSpecs(t *testing.T) {
	lintDir(t, map[string]string{
		"pets.yaml":    petsSpec,
		"broken.yaml":  "openapi: [\n",
		"specs/a.yaml": petsSpec,
	})
	for _, tc := range []struct {
		args []string
		want []string
	}{
		{[]string{"missing.yaml"}, []string{"steward lint: cannot read spec missing.yaml: no such file or directory"}},
		// Every bad file is named, and nothing is linted.
		{[]string{"pets.yaml", "missing.yaml", "broken.yaml"}, []string{"cannot read spec missing.yaml", "spec broken.yaml is not valid JSON or YAML"}},
		{[]string{"specs"}, []string{"spec specs is a folder"}},
		{[]string{"nothing/*.yaml"}, []string{"no spec file matches nothing/*.yaml"}},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			code, out, errOut := run(append([]string{"lint"}, tc.args...)...)
			if code != 2 || out != "" {
				t.Fatalf("exit %d, want 2 and no report\n%s%s", code, out, errOut)
			}
			for _, w := range tc.want {
				if !strings.Contains(errOut, w) {
					t.Errorf("stderr %q lacks %q", errOut, w)
				}
			}
		})
	}
}

func TestLintUsageErrors(t *testing.T) {
	lintDir(t, map[string]string{"pets.yaml": petsSpec, "ruleset.yaml": lintRuleset})
	for _, tc := range []struct {
		args []string
		want string
	}{
		{nil, "no spec files given"},
		{[]string{"--format", "html", "pets.yaml"}, `--format: unknown format "html"`},
		{[]string{"--fail-severity", "fatal", "pets.yaml"}, `--fail-severity: unknown level "fatal"`},
		{[]string{"--ruleset", "ruleset.yaml", "--standard", "spectral:oas", "pets.yaml"}, "give --ruleset or --standard, not both"},
		{[]string{"--standard", "spectral:nope", "pets.yaml"}, `unknown --standard "spectral:nope"`},
		{[]string{"--timeout", "-1s", "pets.yaml"}, "--timeout must not be negative"},
		{[]string{"--no-such-flag", "pets.yaml"}, "flag provided but not defined"},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			code, _, errOut := run(append([]string{"lint"}, tc.args...)...)
			if code != 2 || !strings.Contains(errOut, tc.want) {
				t.Errorf("exit %d, stderr %q; want 2 and %q", code, errOut, tc.want)
			}
		})
	}
	if code, _, errOut := run("lint", "--help"); code != 0 || !strings.Contains(errOut, "usage: steward lint") {
		t.Errorf("--help: exit %d\n%s", code, errOut)
	}
}

func TestLintTimeoutIsNeverAPass(t *testing.T) {
	lintDir(t, map[string]string{"pets.yaml": petsSpec})
	code, out, errOut := run("lint", "--timeout", "1ns", "pets.yaml")
	if code != 2 || !strings.Contains(errOut, "pets.yaml: evaluation timed out after 1ns") || out != "" {
		t.Errorf("exit %d, stdout %q, stderr %q; want 2, no report and a timeout message", code, out, errOut)
	}
}

func TestLintStandards(t *testing.T) {
	lintDir(t, map[string]string{"pets.yaml": petsSpec})
	codes := func(args ...string) map[string]bool {
		t.Helper()
		code, out, errOut := run(append([]string{"lint", "--format", "json", "pets.yaml"}, args...)...)
		if code == 2 {
			t.Fatalf("%v: exit 2\n%s", args, errOut)
		}
		var findings []struct{ Code string }
		if err := json.Unmarshal([]byte(out), &findings); err != nil {
			t.Fatalf("%v: %v", args, err)
		}
		seen := map[string]bool{}
		for _, f := range findings {
			seen[f.Code] = true
		}
		return seen
	}
	if def := codes(); !def["steward-owner"] || !def["info-contact"] {
		t.Errorf("the default standard is not steward:recommended: %v", def)
	}
	if oas := codes("--standard", "spectral:oas"); !oas["info-contact"] || oas["steward-owner"] {
		t.Errorf("spectral:oas: %v", oas)
	}
	for _, name := range []string{"spectral:owasp", "@stoplight/spectral-owasp-ruleset"} {
		for c := range codes("--standard", name) {
			if !strings.HasPrefix(c, "owasp:") {
				t.Errorf("%s reported %s", name, c)
			}
		}
	}
}

func TestLintSeveralSpecsAndOverrides(t *testing.T) {
	ruleset := lintRuleset + `overrides:
  - files: ["specs/legacy/*.yaml"]
    rules:
      info-contact: "off"
`
	dir := lintDir(t, map[string]string{
		"ruleset.yaml":         ruleset,
		"specs/pets.yaml":      petsSpec,
		"specs/legacy/v1.yaml": petsSpec,
		"package.json":         `{"name": "not-a-spec"}`,
	})
	code, out, errOut := run("lint", "--ruleset", "ruleset.yaml", "--format", "json", "specs/legacy/v1.yaml", "specs/*.yaml", "package.json")
	if code != 1 {
		t.Fatalf("exit %d\n%s", code, errOut)
	}
	var findings []struct{ Code, Source string }
	if err := json.Unmarshal([]byte(out), &findings); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range findings {
		got = append(got, strings.TrimPrefix(f.Source, filepath.ToSlash(dir)+"/")+" "+f.Code)
	}
	// Sorted by file; the override (its glob is relative to the ruleset,
	// as in Spectral) turns info-contact off under legacy/;
	// a file that is not OpenAPI is flagged, not silently passed.
	want := []string{
		"package.json unrecognized-format",
		"specs/legacy/v1.yaml operation-id",
		"specs/pets.yaml info-contact",
		"specs/pets.yaml operation-id",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("findings\n got %q\nwant %q", got, want)
	}
	code, out, _ = run("lint", "--ruleset", "ruleset.yaml", "--ignore-unknown-format", "package.json")
	if code != 0 || !strings.Contains(out, "No results") {
		t.Errorf("--ignore-unknown-format: exit %d\n%s", code, out)
	}
}

// TestLintJSONMatchesSpectralOnCorpus runs the command end to end on a
// corpus spec where the engine agrees with Spectral, and compares its json
// output with what Spectral 6.16.3 wrote, source paths aside (Spectral's
// are absolute; the corpus stores them relative to itself).
func TestLintJSONMatchesSpectralOnCorpus(t *testing.T) {
	corpus, err := filepath.Abs(filepath.Join("..", "..", "shared", "corpus"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(corpus, "specs")); err != nil {
		t.Skipf("corpus not available at %s: %v", corpus, err)
	}
	t.Chdir(corpus)
	// Spectral's findings on this spec are all warnings: exit 0.
	code, out, errOut := run("lint", "-r", "rulesets/oas-all.yaml", "-f", "json", "specs/clever.com.yaml")
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, errOut)
	}
	want, err := os.ReadFile(filepath.Join("spectral", "oas", "clever.com.json"))
	if err != nil {
		t.Fatal(err)
	}
	var g, w []map[string]any
	if err := json.Unmarshal([]byte(out), &g); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(want, &w); err != nil {
		t.Fatal(err)
	}
	cwd, _ := os.Getwd()
	for _, f := range g {
		f["source"] = strings.TrimPrefix(f["source"].(string), filepath.ToSlash(cwd)+"/")
	}
	if len(g) != len(w) {
		t.Fatalf("%d findings, Spectral has %d", len(g), len(w))
	}
	for i := range g {
		if !reflect.DeepEqual(g[i], w[i]) {
			t.Fatalf("finding %d:\n got %v\nwant %v", i, g[i], w[i])
		}
	}
}

func TestHelpListsLint(t *testing.T) {
	_, out, _ := run("--help")
	if !strings.Contains(out, "  lint ") {
		t.Errorf("help does not list lint:\n%s", out)
	}
}
