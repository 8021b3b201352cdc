package specs

import (
	"fmt"
	"regexp"
	"strings"
)

const supportedVersions = "Steward reads OpenAPI 2.0, 3.0 and 3.1"

// Family values group spec versions that share a model and rules.
const (
	// FamilyOAS2 is Swagger / OpenAPI 2.0.
	FamilyOAS2 = "oas2"
	// FamilyOAS3_0 is OpenAPI 3.0.x.
	FamilyOAS3_0 = "oas3_0"
	// FamilyOAS3_1 is OpenAPI 3.1.x.
	FamilyOAS3_1 = "oas3_1"
)

var (
	oas30RE = regexp.MustCompile(`^3\.0(\.\d+)?([-+].*)?$`)
	oas31RE = regexp.MustCompile(`^3\.1(\.\d+)?([-+].*)?$`)
)

// identify decides from the root keys alone whether this is an OpenAPI
// description Steward can read, and if not, says what it looks like instead:
// people upload the wrong file far more often than a broken spec.
func identify(top topLevel) (version, family string, perr *ParseError) {
	notOpenAPI := func(line int, format string, args ...any) (string, string, *ParseError) {
		return "", "", reject(ErrNotOpenAPI, line, 0, "%s; %s", fmt.Sprintf(format, args...), supportedVersions)
	}
	switch top.kind {
	case rootEmpty:
		return notOpenAPI(0, "the file has no content (only comments or an empty document)")
	case rootSequence:
		return notOpenAPI(1, "the file is a list, but an OpenAPI description is a mapping with an `openapi` or `swagger` field at the top")
	case rootScalar:
		return notOpenAPI(1, "the file is a single text value (%s), not a mapping; is it the right file?", abbreviate(top.scalar, 40))
	}

	oas3, hasOAS3 := top.get("openapi")
	oas2, hasOAS2 := top.get("swagger")
	switch {
	case hasOAS3 && hasOAS2:
		return "", "", reject(ErrInvalid, oas2.line, 0, "the file has both `openapi` (line %d) and `swagger` (line %d) fields; keep only the one for its version", oas3.line, oas2.line)
	case hasOAS3:
		if !oas3.isScalar || oas3.value == "" {
			return notOpenAPI(oas3.line, "the `openapi` field must be a version string such as \"3.0.3\"")
		}
		v := oas3.value
		switch {
		case oas30RE.MatchString(v):
			return v, FamilyOAS3_0, nil
		case oas31RE.MatchString(v):
			return v, FamilyOAS3_1, nil
		case strings.HasPrefix(v, "2"):
			return notOpenAPI(oas3.line, "`openapi: %s` is not a valid version; OpenAPI 2.0 files use `swagger: \"2.0\"`", v)
		default:
			return notOpenAPI(oas3.line, "OpenAPI version %s is not supported", v)
		}
	case hasOAS2:
		if !oas2.isScalar || oas2.value == "" {
			return notOpenAPI(oas2.line, "the `swagger` field must be the string \"2.0\"")
		}
		if oas2.value == "2.0" || oas2.value == "2" {
			return oas2.value, FamilyOAS2, nil
		}
		return notOpenAPI(oas2.line, "Swagger version %s is not supported (convert it to OpenAPI 3 first)", oas2.value)
	}
	return notOpenAPI(guessKind(top))
}

// guessKind names the kind of document for a rejection message, using the
// root keys other formats are known by.
func guessKind(top topLevel) (int, string) {
	has := func(k string) (topEntry, bool) { return top.get(k) }
	if e, ok := has("asyncapi"); ok {
		return e.line, "this looks like an AsyncAPI document (asyncapi: " + abbreviate(e.value, 20) + ")"
	}
	if e, ok := has("arazzo"); ok {
		return e.line, "this looks like an Arazzo workflow document"
	}
	if e, ok := has("openrpc"); ok {
		return e.line, "this looks like an OpenRPC document"
	}
	if e, ok := has("overlay"); ok {
		return e.line, "this looks like an OpenAPI Overlay, which changes a description but is not one"
	}
	if e, ok := has("apiVersion"); ok {
		kind, _ := has("kind")
		if strings.Contains(e.value, "backstage.io") {
			return e.line, fmt.Sprintf("this looks like a Backstage catalog entity (kind: %s), not an API description; if it describes an API, upload the definition it points to", abbreviate(kind.value, 30))
		}
		if kind.value != "" {
			return e.line, fmt.Sprintf("this looks like a Kubernetes-style manifest (apiVersion: %s, kind: %s)", abbreviate(e.value, 40), abbreviate(kind.value, 30))
		}
	}
	if e, ok := has("info"); ok && (e.hasChild("_postman_id") || hasKey(top, "item")) {
		return e.line, "this looks like a Postman collection; export it as OpenAPI instead"
	}
	if e, ok := has("$schema"); ok {
		return e.line, "this looks like a JSON Schema, not an API description"
	}
	if e, ok := has("name"); ok && (hasKey(top, "dependencies") || hasKey(top, "devDependencies") || hasKey(top, "scripts")) {
		return e.line, "this looks like an npm package.json"
	}
	if e, ok := has("paths"); ok {
		return e.line, "the file has `paths` but no `openapi` or `swagger` version field at the top; add one, e.g. `openapi: 3.0.3`"
	}
	keys := make([]string, 0, 5)
	for i, e := range top.entries {
		if i == 5 {
			keys = append(keys, "…")
			break
		}
		keys = append(keys, e.key)
	}
	if len(keys) == 0 {
		return 1, "the file is an empty mapping with no `openapi` or `swagger` field"
	}
	return 1, fmt.Sprintf("no `openapi` or `swagger` field at the top of the file (found %s)", strings.Join(keys, ", "))
}

func hasKey(top topLevel, k string) bool {
	_, ok := top.get(k)
	return ok
}

// abbreviate keeps user-supplied text in messages short and on one line.
func abbreviate(s string, max int) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > max {
		return string(r[:max]) + "…"
	}
	if s == "" {
		return "?"
	}
	return s
}
