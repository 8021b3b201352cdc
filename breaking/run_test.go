package breaking

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeRevisions writes the corpus Petstore and edits of it with a known
// worst level into a temporary folder, and returns their paths by name.
func writeRevisions(t *testing.T) map[string]string {
	t.Helper()
	base := decodeCorpus(t, "readme-oas30__petstore.json")
	edits := map[string]func(s spec){
		"base.json": func(spec) {},
		"breaking.json": func(s spec) { // worst: breaking
			delete(s.obj(t, "paths", "/store/order/{orderId}"), "get")
		},
		"warning.json": func(s spec) { // worst: warning
			delete(s.obj(t, "components", "schemas", "Pet", "properties"), "tags")
		},
		"info.json": func(s spec) { // worst: info
			s.obj(t, "paths")["/pet/count"] = map[string]any{
				"get": map[string]any{"responses": map[string]any{"200": map[string]any{"description": "count"}}},
			}
		},
	}
	dir := t.TempDir()
	paths := map[string]string{}
	for name, edit := range edits {
		s := base.clone(t)
		edit(s)
		paths[name] = filepath.Join(dir, name)
		if err := os.WriteFile(paths[name], s.bytes(t), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	paths["broken.yaml"] = filepath.Join(dir, "broken.yaml")
	if err := os.WriteFile(paths["broken.yaml"], []byte("openapi: [3.0\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	paths["missing.json"] = filepath.Join(dir, "missing.json")
	return paths
}

func TestRun(t *testing.T) {
	f := writeRevisions(t)
	tests := []struct {
		name   string
		args   []string
		code   int
		stdout string // must contain
		stderr string // must contain
	}{
		{"breaking fails by default", []string{f["base.json"], f["breaking.json"]}, ExitChanges, "api-removed-without-deprecation", ""},
		{"breaking fails on warning", []string{f["base.json"], f["breaking.json"], "--fail-on", "warning"}, ExitChanges, "", ""},
		{"warning passes by default", []string{f["base.json"], f["warning.json"]}, ExitOK, "warning ", ""},
		{"warning passes on breaking", []string{"--fail-on=breaking", f["base.json"], f["warning.json"]}, ExitOK, "", ""},
		{"warning fails on warning", []string{f["base.json"], f["warning.json"], "--fail-on=warning"}, ExitChanges, "", ""},
		{"info passes on warning", []string{f["base.json"], f["info.json"], "--fail-on", "warning"}, ExitOK, "endpoint-added", ""},
		{"no changes", []string{f["base.json"], f["base.json"]}, ExitOK, "No changes", ""},
		{"flag between files", []string{f["base.json"], "--format", "markdown", f["breaking.json"]}, ExitChanges, "| Level |", ""},
		{"leading diff tolerated", []string{"diff", f["base.json"], f["breaking.json"]}, ExitChanges, "", ""},
		{"files after --", []string{"--format=json", "--", f["base.json"], f["info.json"]}, ExitOK, `"worst": "info"`, ""},
		{"help", []string{"-h"}, ExitOK, "", "usage: steward diff OLD NEW"},
		{"one file", []string{f["base.json"]}, ExitUsage, "", "want two spec files"},
		{"three files", []string{f["base.json"], f["info.json"], f["warning.json"]}, ExitUsage, "", "got 3"},
		{"unknown format", []string{f["base.json"], f["info.json"], "--format", "html"}, ExitUsage, "", `unknown --format "html"`},
		{"unknown fail-on", []string{f["base.json"], f["info.json"], "--fail-on", "info"}, ExitUsage, "", `unknown --fail-on "info"`},
		{"unknown flag", []string{"--strict", f["base.json"], f["info.json"]}, ExitUsage, "", "flag provided but not defined"},
		{"missing file", []string{f["base.json"], f["missing.json"]}, ExitUsage, "", "read NEW spec"},
		{"unparseable old", []string{f["broken.yaml"], f["base.json"]}, ExitUsage, "", "OLD spec " + f["broken.yaml"]},
		{"unparseable new", []string{f["base.json"], f["broken.yaml"]}, ExitUsage, "", "NEW spec " + f["broken.yaml"]},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := Run(tc.args, &stdout, &stderr)
			if code != tc.code {
				t.Errorf("exit status = %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tc.code, stdout.String(), stderr.String())
			}
			if !strings.Contains(stdout.String(), tc.stdout) {
				t.Errorf("stdout lacks %q:\n%s", tc.stdout, stdout.String())
			}
			if !strings.Contains(stderr.String(), tc.stderr) {
				t.Errorf("stderr lacks %q:\n%s", tc.stderr, stderr.String())
			}
			if tc.code == ExitUsage && stdout.Len() > 0 {
				t.Errorf("a failed run wrote a report:\n%s", stdout.String())
			}
		})
	}
}

// TestRunFormats checks each --format on a real comparison.
func TestRunFormats(t *testing.T) {
	f := writeRevisions(t)
	tests := []struct {
		format string
		check  func(t *testing.T, out string)
	}{
		{"text", func(t *testing.T, out string) {
			if !strings.Contains(out, "breaking  GET /store/order/{orderId}  ") {
				t.Errorf("no breaking line naming the operation:\n%s", out)
			}
		}},
		{"json", func(t *testing.T, out string) {
			var got Report
			if err := json.Unmarshal([]byte(out), &got); err != nil {
				t.Fatalf("not JSON: %v\n%s", err, out)
			}
			c, ok := findChange(got, "api-removed-without-deprecation", "GET /store/order/{orderId}")
			if !ok || c.Level != Breaking || c.Old.Line == 0 {
				t.Errorf("removed operation not reported as breaking with its old line: %+v", got.Changes)
			}
		}},
		{"markdown", func(t *testing.T, out string) {
			if !strings.Contains(out, "|---|") || !strings.Contains(out, "| breaking | GET /store/order/{orderId} |") {
				t.Errorf("no table row for the removed operation:\n%s", out)
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.format, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			if code := Run([]string{f["base.json"], f["breaking.json"], "--format", tc.format}, &stdout, &stderr); code != ExitChanges {
				t.Fatalf("exit status = %d, want %d; stderr: %s", code, ExitChanges, stderr.String())
			}
			tc.check(t, stdout.String())
		})
	}
}
