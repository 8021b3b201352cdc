package breaking

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/getkin/kin-openapi/openapi2"
	"github.com/getkin/kin-openapi/openapi2conv"
	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3conv"
	"github.com/oasdiff/oasdiff/checker"
	"github.com/oasdiff/oasdiff/diff"
	"github.com/oasdiff/oasdiff/load"
	"go.yaml.in/yaml/v3"
)

// Sides of a comparison, as named in errors and on the command line.
const (
	SideOld = "OLD"
	SideNew = "NEW"
)

// LoadError is returned by Compare when one of the two revisions cannot be
// read, so callers can tell the user which one to fix.
type LoadError struct {
	Side string // SideOld or SideNew
	Err  error
}

// Error names the side, so the message stands alone.
func (e *LoadError) Error() string {
	return "breaking: load " + e.Side + " spec: " + e.Err.Error()
}

// Unwrap returns the cause.
func (e *LoadError) Unwrap() error { return e.Err }

// revision is one loaded side of a comparison.
type revision struct {
	spec  *load.SpecInfo
	index *documentIndex // nil when the text could not be indexed
}

// Compare classifies every change from oldSpec to newSpec. Each side may be
// JSON or YAML, OpenAPI 2.0 (converted to 3.0 first), 3.0 or 3.1; $refs must
// stay inside the document. A side that cannot be loaded yields a *LoadError.
func Compare(ctx context.Context, oldSpec, newSpec []byte) (report Report, err error) {
	// The library walks arbitrary user documents; a panic in it must not take
	// the server down with it.
	defer func() {
		if p := recover(); p != nil {
			report, err = Report{}, fmt.Errorf("breaking: compare failed on an unexpected document shape: %v", p)
		}
	}()

	oldRev, err := loadRevision(ctx, SideOld, oldSpec)
	if err != nil {
		return Report{}, err
	}
	newRev, err := loadRevision(ctx, SideNew, newSpec)
	if err != nil {
		return Report{}, err
	}
	// A 3.0 revision next to a 3.1 one differs in how it spells nullable,
	// exclusive bounds and examples; bring both to one dialect so only real
	// changes are reported.
	if oldRev.spec.Spec.IsOpenAPI31OrLater() != newRev.spec.Spec.IsOpenAPI31OrLater() {
		openapi3conv.Upgrade(oldRev.spec.Spec)
		openapi3conv.Upgrade(newRev.spec.Spec)
	}
	if err := ctx.Err(); err != nil {
		return Report{}, fmt.Errorf("breaking: %w", err)
	}

	// Endpoints are matched ignoring path parameter names, so renaming
	// {id} to {petId} is no change. A spec with both /a/{x} and /a/{y}
	// cannot be matched that way; for it, names count.
	cfg := diff.NewConfig()
	d, sources, err := diff.GetWithOperationsSourcesMap(cfg, oldRev.spec, newRev.spec)
	if dup, ok := errors.AsType[*diff.DuplicateEndpointError](err); ok && dup.Path1 != dup.Path2 {
		cfg.IncludePathParams = true
		d, sources, err = diff.GetWithOperationsSourcesMap(cfg, oldRev.spec, newRev.spec)
	}
	if err != nil {
		return Report{}, fmt.Errorf("breaking: diff: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return Report{}, fmt.Errorf("breaking: %w", err)
	}
	found := checker.CheckBackwardCompatibilityUntilLevel(
		checker.NewConfig(checker.GetAllChecks()), d, sources, checker.INFO)

	localizer := checker.NewDefaultLocalizer()
	report.Changes = make([]Change, 0, len(found))
	for _, c := range found {
		report.Changes = append(report.Changes, convert(c, localizer, oldRev.index, newRev.index))
	}
	if d != nil { // nil when the revisions are the same
		report.Changes = append(report.Changes, quietRemovals(d.PathsDiff, report.Changes, oldRev.index)...)
	}
	sortChanges(report.Changes)
	return report, nil
}

// Ids of the changes Steward reports itself; see quietRemovals.
const (
	removedAfterSunsetID = "api-removed-after-sunset"
	removedUnstableID    = "api-removed-unstable"
)

// quietRemovals reports, as compatible, the removed operations that oasdiff
// deliberately leaves out: those removed after their sunset date and those
// still at alpha or draft stability. Steward shows every revision's changes,
// and a retirement done by the book is one of them.
func quietRemovals(paths *diff.PathsDiff, reported []Change, oldIdx *documentIndex) []Change {
	if paths == nil || paths.Base == nil {
		return nil
	}
	seen := map[string]bool{}
	for _, c := range reported {
		seen[c.Operation] = true
	}
	var out []Change
	add := func(path, method string, op *openapi3.Operation) {
		operation := method + " " + path
		if op == nil || seen[operation] {
			return
		}
		seen[operation] = true
		c := Change{ID: removedUnstableID, Level: Info, Operation: operation,
			Text: "API removed before it was declared stable", Old: oldIdx.operation(method, path)}
		if op.Deprecated {
			c.ID, c.Text = removedAfterSunsetID, "API removed after its sunset date"
		}
		out = append(out, c)
	}
	for _, path := range paths.Deleted {
		if item := paths.Base.Value(path); item != nil {
			for method, op := range item.Operations() {
				add(path, method, op)
			}
		}
	}
	for path, modified := range paths.Modified {
		if modified == nil || modified.OperationsDiff == nil || modified.Base == nil {
			continue
		}
		for _, method := range modified.OperationsDiff.Deleted {
			add(path, method, modified.Base.GetOperation(method))
		}
	}
	return out
}

// convert turns one oasdiff change into a Change.
func convert(c checker.Change, localizer checker.Localizer, oldIdx, newIdx *documentIndex) Change {
	method, path := c.GetOperation(), c.GetPath()
	operation := strings.TrimSpace(method + " " + path)
	if method == "" {
		operation = "" // a component or document change carries no operation
	}
	return Change{
		ID:        c.GetId(),
		Level:     levelOf(c.GetLevel()),
		Operation: operation,
		Text:      c.GetUncolorizedText(localizer),
		Old:       locationOf(c.GetBaseSource(), oldIdx, method, path),
		New:       locationOf(c.GetRevisionSource(), newIdx, method, path),
	}
}

// locationOf places a change in one revision: at the changed element when
// the library knows its position, else at the enclosing operation when that
// revision has it (an added parameter is then shown in the old revision at
// the operation that gained it).
func locationOf(src *checker.Source, idx *documentIndex, method, path string) Location {
	if src != nil && src.Line > 0 {
		return idx.locate(src.Line, src.Column)
	}
	return idx.operation(method, path)
}

func levelOf(l checker.Level) Level {
	switch {
	case l >= checker.ERR:
		return Breaking
	case l == checker.WARN:
		return Warning
	default:
		return Info
	}
}

// loadRevision parses one side. Swagger 2.0 goes through kin-openapi's
// converter, because oasdiff compares OpenAPI 3 models only.
func loadRevision(ctx context.Context, side string, data []byte) (*revision, error) {
	fail := func(err error) (*revision, error) { return nil, &LoadError{Side: side, Err: err} }
	if err := ctx.Err(); err != nil {
		return fail(err)
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return fail(errors.New("the document is empty"))
	}
	hdr, root, err := parseDocument(data)
	if err != nil {
		return fail(err)
	}
	name := strings.ToLower(side)
	loader := openapi3.NewLoader()
	loader.Context = ctx
	loader.IncludeOrigin = true // gives each change its line and column

	var spec *load.SpecInfo
	switch {
	case strings.HasPrefix(hdr.Swagger, "2."):
		var doc2 openapi2.T
		if err := openapi2.UnmarshalFromData(data, &doc2); err != nil {
			return fail(fmt.Errorf("parse Swagger %s: %w", hdr.Swagger, err))
		}
		doc3, err := openapi2conv.ToV3WithLoader(&doc2, loader, &url.URL{Path: name})
		if err != nil {
			return fail(fmt.Errorf("convert Swagger %s to OpenAPI 3: %w", hdr.Swagger, err))
		}
		spec = &load.SpecInfo{Url: name, Spec: doc3}
		if doc3.Info != nil {
			spec.Version = doc3.Info.Version
		}
	case strings.HasPrefix(hdr.OpenAPI, "3."):
		spec, err = load.NewSpecInfoFromData(loader, data, name)
		if err != nil {
			return fail(fmt.Errorf("parse OpenAPI %s: %w", hdr.OpenAPI, err))
		}
	case hdr.Swagger != "" || hdr.OpenAPI != "":
		return fail(fmt.Errorf("unsupported version (swagger %q, openapi %q): want 2.0, 3.0 or 3.1", hdr.Swagger, hdr.OpenAPI))
	default:
		return fail(errors.New("not an OpenAPI description: no top-level openapi or swagger field"))
	}
	// Header names are case-insensitive in HTTP, so renaming X-Rate-Limit to
	// x-rate-limit is no change.
	if _, err := load.WithLowercaseHeaders()(loader, []*load.SpecInfo{spec}); err != nil {
		return fail(err)
	}
	return &revision{spec: spec, index: newDocumentIndex(root)}, nil
}

// header is the part of a document that says which dialect it is written in.
type header struct {
	Swagger string
	OpenAPI string
}

// parseDocument reads the version fields and, when the text parses as YAML
// (JSON almost always does), returns its node tree for locating changes. JSON
// that YAML rejects, such as text indented with tabs, still loads, only
// without pointers in its locations.
func parseDocument(data []byte) (header, *yaml.Node, error) {
	var doc yaml.Node
	yamlErr := yaml.Unmarshal(data, &doc)
	if yamlErr != nil || len(doc.Content) == 0 {
		var fields map[string]any
		if err := json.Unmarshal(data, &fields); err != nil {
			if yamlErr == nil {
				yamlErr = errors.New("no document")
			}
			return header{}, nil, fmt.Errorf("neither YAML nor JSON: %w", yamlErr)
		}
		str := func(key string) string {
			switch v := fields[key].(type) {
			case nil:
				return ""
			case string:
				return v
			default:
				return fmt.Sprint(v)
			}
		}
		return header{Swagger: str("swagger"), OpenAPI: str("openapi")}, nil, nil
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return header{}, nil, errors.New("not an OpenAPI description: the document is not a mapping")
	}
	var hdr header
	for i := 0; i+1 < len(root.Content); i += 2 {
		switch key, value := root.Content[i].Value, root.Content[i+1]; key {
		case "swagger":
			hdr.Swagger = value.Value
		case "openapi":
			hdr.OpenAPI = value.Value
		}
	}
	return hdr, root, nil
}
