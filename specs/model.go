package specs

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/pb33f/libopenapi"
	"github.com/pb33f/libopenapi/datamodel"
	v2high "github.com/pb33f/libopenapi/datamodel/high/v2"
	v3high "github.com/pb33f/libopenapi/datamodel/high/v3"
	"github.com/pb33f/libopenapi/index"
)

// maxWarnings keeps a badly broken spec from producing an unreadable list.
const maxWarnings = 200

// model is what libopenapi built for one document: exactly one of v2 and v3
// is set.
type model struct {
	v2       *v2high.Swagger
	v3       *v3high.Document
	warnings []Problem
}

// buildModel runs libopenapi on input that passed the pre-pass. It must be
// called where a panic can be recovered and a timeout enforced.
func buildModel(data []byte, family string) (*model, *ParseError) {
	cfg := datamodel.NewDocumentConfiguration()
	// libopenapi logs resolver trouble to stdout by default; we report it as
	// warnings instead.
	cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	// The pre-pass has already checked syntax and duplicate keys; skipping
	// libopenapi's repeat of it saves a pass (its duplicate-key check is
	// quadratic per mapping).
	cfg.SkipJSONConversion = true
	// Never read files or URLs named by an uploaded spec: that would let an
	// upload probe the server's disk and network.
	cfg.AllowFileReferences = false
	cfg.AllowRemoteReferences = false

	doc, err := libopenapi.NewDocumentWithConfiguration(data, cfg)
	if err != nil {
		return nil, &ParseError{Kind: ErrInvalid, Problems: problemsFrom(err), Cause: err}
	}
	refs := scanRefs(doc.GetSpecInfo().RootNode)
	if refs.loop != nil {
		return nil, refs.loop
	}

	m := &model{}
	var buildErr error
	if family == FamilyOAS2 {
		dm, err := doc.BuildV2Model()
		buildErr = err
		if dm != nil {
			m.v2 = &dm.Model
		}
	} else {
		dm, err := doc.BuildV3Model()
		buildErr = err
		if dm != nil {
			m.v3 = &dm.Model
		}
	}
	problems := problemsFrom(buildErr)
	if m.v2 == nil && m.v3 == nil {
		if len(problems) == 0 {
			problems = []Problem{{Message: "libopenapi could not build a model of this document"}}
		}
		return nil, &ParseError{Kind: ErrInvalid, Problems: problems, Cause: buildErr}
	}
	// Unresolvable references are warnings, not rejections: the rest of the
	// spec is still worth cataloguing, and the owner can fix the ref later.
	// libopenapi only refuses to build a model for reference trouble it
	// cannot work around, which the branch above reports as invalid.
	m.warnings = mergeWarnings(refs.external, problems)
	return m, nil
}

// problemsFrom flattens libopenapi's joined errors into located problems.
func problemsFrom(err error) []Problem {
	var out []Problem
	for _, e := range flattenErrors(err, 0) {
		out = append(out, problemFrom(e))
	}
	return out
}

func flattenErrors(err error, depth int) []error {
	if err == nil {
		return nil
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok && depth < 8 {
		var out []error
		for _, e := range j.Unwrap() {
			out = append(out, flattenErrors(e, depth+1)...)
		}
		return out
	}
	return []error{err}
}

var atLineRE = regexp.MustCompile(`(?:at )?line (\d+)(?:, col(?:umn)? (\d+))?`)

func problemFrom(err error) Problem {
	var resolving *index.ResolvingError
	var indexing *index.IndexingError
	switch {
	case errors.As(err, &resolving):
		p := Problem{Message: resolving.Error()}
		if resolving.ErrorRef != nil {
			p.Message = resolving.ErrorRef.Error()
		}
		if resolving.Node != nil {
			p.Line, p.Column = resolving.Node.Line, resolving.Node.Column
		}
		if c := resolving.CircularReference; c != nil {
			// libopenapi calls a loop "infinite" when every hop is a required
			// property. Such a schema has no finite instance, but it is
			// still a readable description, so it is only a warning.
			p.Message = fmt.Sprintf("schema loop through required properties (%s): no finite value can satisfy it; make one of the properties optional", c.GenerateJourneyPath())
			// Point at the schema's name rather than wherever the walk
			// happened to notice the loop.
			if c.Start != nil && c.Start.KeyNode != nil {
				p.Line, p.Column = c.Start.KeyNode.Line, c.Start.KeyNode.Column
			} else if c.Start != nil && c.Start.Node != nil {
				p.Line, p.Column = c.Start.Node.Line, c.Start.Node.Column
			}
		}
		return p
	case errors.As(err, &indexing):
		p := Problem{Message: indexing.Error()}
		if indexing.Node != nil {
			p.Line, p.Column = indexing.Node.Line, indexing.Node.Column
		}
		return p
	}
	msg := err.Error()
	p := Problem{Message: msg}
	if m := atLineRE.FindStringSubmatch(msg); m != nil {
		p.Line, _ = strconv.Atoi(m[1])
		if m[2] != "" {
			p.Column, _ = strconv.Atoi(m[2])
		}
	}
	return p
}

// mergeWarnings keeps one warning per line (libopenapi often reports the
// same broken $ref from the index and again from the model builder), lets
// our clearer message about external refs win, and caps the list.
func mergeWarnings(first, rest []Problem) []Problem {
	seenLine := map[int]bool{}
	seenMsg := map[string]bool{}
	var out []Problem
	for _, p := range slices.Concat(first, rest) {
		if p.Line > 0 && seenLine[p.Line] || p.Line == 0 && seenMsg[p.Message] {
			continue
		}
		seenLine[p.Line] = p.Line > 0
		seenMsg[p.Message] = true
		if len(out) == maxWarnings {
			out = append(out, Problem{Message: "more problems were found but are not listed"})
			break
		}
		out = append(out, p)
	}
	// Located problems in file order; unlocated ones last.
	lineKey := func(p Problem) int {
		if p.Line == 0 {
			return math.MaxInt
		}
		return p.Line
	}
	slices.SortStableFunc(out, func(a, b Problem) int { return cmp.Compare(lineKey(a), lineKey(b)) })
	return out
}

// methodOrder is the order operations are listed in, the one the OpenAPI
// specification uses for Path Item fields.
var methodOrder = []string{"GET", "PUT", "POST", "DELETE", "OPTIONS", "HEAD", "PATCH", "TRACE"}

func methodRank(m string) int {
	if i := slices.Index(methodOrder, m); i >= 0 {
		return i
	}
	return len(methodOrder)
}

// v3Operations lists a path item's operations in method order.
func v3Operations(item *v3high.PathItem) []namedOp[*v3high.Operation] {
	if item == nil {
		return nil
	}
	all := []namedOp[*v3high.Operation]{
		{"GET", item.Get}, {"PUT", item.Put}, {"POST", item.Post}, {"DELETE", item.Delete},
		{"OPTIONS", item.Options}, {"HEAD", item.Head}, {"PATCH", item.Patch}, {"TRACE", item.Trace},
	}
	return slices.DeleteFunc(all, func(o namedOp[*v3high.Operation]) bool { return o.op == nil })
}

// v2Operations lists a path item's operations in method order.
func v2Operations(item *v2high.PathItem) []namedOp[*v2high.Operation] {
	if item == nil {
		return nil
	}
	all := []namedOp[*v2high.Operation]{
		{"GET", item.Get}, {"PUT", item.Put}, {"POST", item.Post}, {"DELETE", item.Delete},
		{"OPTIONS", item.Options}, {"HEAD", item.Head}, {"PATCH", item.Patch},
	}
	return slices.DeleteFunc(all, func(o namedOp[*v2high.Operation]) bool { return o.op == nil })
}

type namedOp[T any] struct {
	method string
	op     T
}

// summarize fills the Parsed fields that come from the model.
func summarize(p *Parsed, m *model) {
	p.Warnings = m.warnings
	if d := m.v3; d != nil {
		if d.Info != nil {
			p.Title, p.APIVersion, p.Description = d.Info.Title, d.Info.Version, d.Info.Description
		}
		for _, s := range d.Servers {
			if s != nil && s.URL != "" {
				p.Servers = append(p.Servers, s.URL)
			}
		}
		for _, t := range d.Tags {
			if t != nil {
				p.Tags = append(p.Tags, t.Name)
			}
		}
		if d.Paths != nil && d.Paths.PathItems != nil {
			for path, item := range d.Paths.PathItems.FromOldest() {
				for _, o := range v3Operations(item) {
					p.Endpoints = append(p.Endpoints, Endpoint{
						Method: o.method, Path: path, OperationID: o.op.OperationId, Summary: o.op.Summary,
						Deprecated: o.op.Deprecated != nil && *o.op.Deprecated, Tags: slices.Clone(o.op.Tags),
					})
				}
			}
		}
	}
	if d := m.v2; d != nil {
		if d.Info != nil {
			p.Title, p.APIVersion, p.Description = d.Info.Title, d.Info.Version, d.Info.Description
		}
		p.Servers = swaggerServers(d.Schemes, d.Host, d.BasePath)
		for _, t := range d.Tags {
			if t != nil {
				p.Tags = append(p.Tags, t.Name)
			}
		}
		if d.Paths != nil && d.Paths.PathItems != nil {
			for path, item := range d.Paths.PathItems.FromOldest() {
				for _, o := range v2Operations(item) {
					p.Endpoints = append(p.Endpoints, Endpoint{
						Method: o.method, Path: path, OperationID: o.op.OperationId, Summary: o.op.Summary,
						Deprecated: o.op.Deprecated, Tags: slices.Clone(o.op.Tags),
					})
				}
			}
		}
	}
	slices.SortStableFunc(p.Endpoints, func(a, b Endpoint) int {
		if c := strings.Compare(a.Path, b.Path); c != 0 {
			return c
		}
		return methodRank(a.Method) - methodRank(b.Method)
	})
}

// swaggerServers builds 2.0 server URLs the way 3.0 writes them. Without
// schemes the scheme is whatever served the spec, so the URL stays
// scheme-relative rather than guessing.
func swaggerServers(schemes []string, host, basePath string) []string {
	if host == "" {
		if basePath == "" {
			return nil
		}
		return []string{basePath}
	}
	if len(schemes) == 0 {
		return []string{"//" + host + basePath}
	}
	out := make([]string, 0, len(schemes))
	for _, s := range schemes {
		out = append(out, s+"://"+host+basePath)
	}
	return out
}
