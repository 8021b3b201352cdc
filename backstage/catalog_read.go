package backstage

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"path"
	"regexp"
	"sort"
	"strings"

	"github.com/steward-governance/steward/catalog"
	"gopkg.in/yaml.v3"
)

// Annotations Steward reads from a Backstage API entity.
const (
	// AnnotationVersion names the version the API's definition describes ("v2").
	AnnotationVersion = "steward.io/version"
	// AnnotationVisibility sets the API's visibility: internal, partner or public.
	AnnotationVisibility = "steward.io/visibility"
)

// declaresBackstage finds a Backstage apiVersion line; files without one
// are not Backstage files and are skipped unread.
var declaresBackstage = regexp.MustCompile(`(?m)^\s*(?:-\s+)?apiVersion:\s*["']?backstage\.io/`)

// supportedAPIVersions are the Backstage catalogue model versions read.
var supportedAPIVersions = map[string]bool{
	"backstage.io/v1alpha1": true,
	"backstage.io/v1beta1":  true,
}

// entity is one Backstage catalogue entity; spec is decoded per kind.
type entity struct {
	APIVersion string `yaml:"apiVersion"`
	Kind       string `yaml:"kind"`
	Metadata   struct {
		Name        string            `yaml:"name"`
		Namespace   string            `yaml:"namespace"`
		Title       string            `yaml:"title"`
		Description string            `yaml:"description"`
		Tags        []string          `yaml:"tags"`
		Annotations map[string]string `yaml:"annotations"`
		Links       []struct {
			URL   string `yaml:"url"`
			Title string `yaml:"title"`
		} `yaml:"links"`
	} `yaml:"metadata"`
	Spec yaml.Node `yaml:"spec"`

	file string     // where it was read
	doc  *yaml.Node // its document, for line numbers
}

func (e *entity) line(keys ...string) int { return lineOf(e.doc, keys...) }

// key identifies an entity the way Backstage does: kind, namespace and
// name, compared without case.
func (e *entity) key() string {
	ns := e.Metadata.Namespace
	if ns == "" {
		ns = "default"
	}
	return strings.ToLower(e.Kind + ":" + ns + "/" + e.Metadata.Name)
}

type groupSpec struct {
	Type    string `yaml:"type"`
	Profile struct {
		DisplayName string `yaml:"displayName"`
		Email       string `yaml:"email"`
	} `yaml:"profile"`
}

type apiSpec struct {
	Type       string    `yaml:"type"`
	Lifecycle  string    `yaml:"lifecycle"`
	Owner      string    `yaml:"owner"`
	Definition yaml.Node `yaml:"definition"`
}

type componentSpec struct {
	Lifecycle    string   `yaml:"lifecycle"`
	Owner        string   `yaml:"owner"`
	ProvidesAPIs []string `yaml:"providesApis"`
}

type locationSpec struct {
	Type    string   `yaml:"type"`
	Target  string   `yaml:"target"`
	Targets []string `yaml:"targets"`
}

// catalogReader gathers the entities of a Backstage catalogue.
type catalogReader struct {
	*walker
	read     map[string]bool // files already read
	entities []*entity
}

// ReadCatalog reads the Backstage catalogue under root: every *.yaml and
// *.yml file that declares a backstage.io/v1alpha1 or v1beta1 entity
// (multi-document files included), and the files that Location entities
// target. Groups become teams; APIs become APIs with one version whose spec
// is the API's definition, inline or read from a $text reference next to
// the file; a Component's owner and lifecycle stand in for those of the
// APIs it provides when they have none.
//
// An API whose owner is missing, a user or not a group reference is
// returned with an empty TeamSlug and a Warning: the caller fills in its
// default owner before applying the plan. Only OpenAPI definitions are kept
// as specs; GraphQL, gRPC and AsyncAPI APIs are catalogued without one.
// Teams and APIs are sorted by slug.
func ReadCatalog(fsys fs.FS, root string) (catalog.Plan, []Warning, error) {
	w, err := newWalker(fsys, root)
	if err != nil {
		return catalog.Plan{}, nil, err
	}
	r := &catalogReader{walker: w, read: map[string]bool{}}
	files, err := w.list(func(name string) bool {
		ext := path.Ext(name)
		return ext == ".yaml" || ext == ".yml"
	})
	if err != nil {
		return catalog.Plan{}, nil, err
	}
	// Locations add the files they target to the end of the queue.
	type queued struct {
		file     string
		targeted bool
	}
	queue := make([]queued, 0, len(files))
	for _, f := range files {
		queue = append(queue, queued{file: f})
	}
	for i := 0; i < len(queue); i++ {
		targets, err := r.readFile(queue[i].file, queue[i].targeted)
		if err != nil {
			return catalog.Plan{}, nil, err
		}
		for _, t := range targets {
			queue = append(queue, queued{file: t, targeted: true})
		}
	}
	plan := r.plan()
	return plan, r.warnings, nil
}

// readFile reads the entities of one file and returns the files its
// Locations target. targeted says a Location asked for the file, so a file
// without entities deserves a Warning.
func (r *catalogReader) readFile(file string, targeted bool) ([]string, error) {
	if r.read[file] {
		return nil, nil
	}
	r.read[file] = true
	if targeted {
		// Files outside the walk (in hidden folders, say) count towards the limit too.
		if r.files++; r.files > MaxFiles {
			return nil, errTooManyFiles(r.root)
		}
	}
	data, err := r.walker.read(file)
	if err != nil {
		return nil, fmt.Errorf("backstage: read %s: %w", file, err)
	}
	if data == nil {
		return nil, nil
	}
	if !declaresBackstage.Match(data) {
		if targeted {
			r.warn(file, 0, "a Location targets this file, but it declares no Backstage entity")
		}
		return nil, nil
	}

	var more []string
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for {
		doc := &yaml.Node{}
		err := dec.Decode(doc)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fileError(file, 0, err)
		}
		if len(doc.Content) == 0 {
			continue // an empty document, as a trailing "---" makes
		}
		if err := checkAliases(file, doc); err != nil {
			return nil, err
		}
		if v := find(doc, "apiVersion"); v == nil || !strings.HasPrefix(v.Value, "backstage.io/") {
			continue // another tool's document in the same file
		}
		e := &entity{file: file, doc: doc}
		if err := doc.Decode(e); err != nil {
			if typeErrorLine(err, 0) == 0 {
				return nil, fileError(file, lineOf(doc), err)
			}
			r.warn(file, typeErrorLine(err, lineOf(doc)), "entity skipped: %s", typeErrorMessage(err))
			continue
		}
		if !supportedAPIVersions[e.APIVersion] {
			r.warn(file, e.line("apiVersion"), "entity skipped: apiVersion %s is not one Steward reads (backstage.io/v1alpha1 or v1beta1)", e.APIVersion)
			continue
		}
		switch strings.ToLower(e.Kind) {
		case "group", "api", "component":
			if strings.TrimSpace(e.Metadata.Name) == "" {
				r.warn(file, e.line(), "%s entity skipped: it has no metadata.name", e.Kind)
				continue
			}
			r.entities = append(r.entities, e)
		case "location":
			more = append(more, r.locationTargets(e)...)
		}
	}
	return more, nil
}

// locationTargets resolves a Location's targets to files under the root.
func (r *catalogReader) locationTargets(e *entity) []string {
	var spec locationSpec
	if err := e.Spec.Decode(&spec); err != nil {
		r.warn(e.file, typeErrorLine(err, e.line("spec")), "Location skipped: %s", typeErrorMessage(err))
		return nil
	}
	targets := spec.Targets
	if spec.Target != "" {
		targets = append([]string{spec.Target}, targets...)
	}
	line := e.line("spec")
	if strings.EqualFold(spec.Type, "url") {
		r.warn(e.file, line, "Location of type url not fetched: Steward imports local files only")
		return nil
	}
	var out []string
	for _, t := range targets {
		p, problem := r.resolve(e.file, t)
		switch {
		case problem == "remote":
			r.warn(e.file, line, "remote location %s not fetched", t)
			continue
		case problem != "":
			r.warn(e.file, line, "location target rejected: %s", problem)
			continue
		}
		if strings.ContainsAny(p, "*?[") {
			matches, err := fs.Glob(r.fsys, p)
			if err != nil || len(matches) == 0 {
				r.warn(e.file, line, "location target %s matches no file", t)
			}
			for _, m := range matches {
				if r.within(m) {
					out = append(out, m)
				}
			}
			continue
		}
		if info, err := fs.Stat(r.fsys, p); err != nil || info.IsDir() {
			r.warn(e.file, line, "location target %s is not a file", t)
			continue
		}
		out = append(out, p)
	}
	return out
}

// provided is what a Component says about an API it provides.
type provided struct {
	owner, lifecycle string
	file             string
	line             int
}

// plan turns the gathered entities into a plan.
func (r *catalogReader) plan() catalog.Plan {
	plan := catalog.Plan{Source: "import " + r.root}
	seen := map[string]*entity{}
	var groups, apis, components []*entity
	for _, e := range r.entities {
		if first, dup := seen[e.key()]; dup {
			r.warn(e.file, e.line(), "%s %s skipped: already defined in %s:%d", e.Kind, e.Metadata.Name, first.file, first.line())
			continue
		}
		seen[e.key()] = e
		switch strings.ToLower(e.Kind) {
		case "group":
			groups = append(groups, e)
		case "api":
			apis = append(apis, e)
		case "component":
			components = append(components, e)
		}
	}

	teams := map[string]bool{}
	for _, e := range groups {
		if t, ok := r.team(e); ok {
			if teams[t.Slug] {
				r.warn(e.file, e.line("metadata", "name"), "Group %s skipped: another group already has the team slug %s", e.Metadata.Name, t.Slug)
				continue
			}
			teams[t.Slug] = true
			plan.Teams = append(plan.Teams, t)
		}
	}

	providers := map[string]provided{}
	for _, e := range components {
		var spec componentSpec
		if err := e.Spec.Decode(&spec); err != nil {
			r.warn(e.file, typeErrorLine(err, e.line("spec")), "Component %s skipped: %s", e.Metadata.Name, typeErrorMessage(err))
			continue
		}
		for _, ref := range spec.ProvidesAPIs {
			name := entityName(ref)
			if _, ok := providers[name]; !ok {
				providers[name] = provided{owner: spec.Owner, lifecycle: spec.Lifecycle, file: e.file, line: e.line("spec", "owner")}
			}
		}
	}

	slugs := map[string]bool{}
	for _, e := range apis {
		api, ok := r.api(e, providers[strings.ToLower(e.Metadata.Name)])
		if !ok {
			continue
		}
		if slugs[api.API.Slug] {
			r.warn(e.file, e.line("metadata", "name"), "API %s skipped: another API already has the slug %s", e.Metadata.Name, api.API.Slug)
			continue
		}
		slugs[api.API.Slug] = true
		plan.APIs = append(plan.APIs, api)
	}

	sort.Slice(plan.Teams, func(i, j int) bool { return plan.Teams[i].Slug < plan.Teams[j].Slug })
	sort.Slice(plan.APIs, func(i, j int) bool { return plan.APIs[i].API.Slug < plan.APIs[j].API.Slug })
	return plan
}

// team maps a Group to a team.
func (r *catalogReader) team(e *entity) (catalog.TeamInput, bool) {
	var spec groupSpec
	if err := e.Spec.Decode(&spec); err != nil {
		r.warn(e.file, typeErrorLine(err, e.line("spec")), "Group %s skipped: %s", e.Metadata.Name, typeErrorMessage(err))
		return catalog.TeamInput{}, false
	}
	name := firstNonEmpty(spec.Profile.DisplayName, e.Metadata.Title, e.Metadata.Name)
	t := catalog.TeamInput{
		Slug:        catalog.Slugify(e.Metadata.Name),
		Name:        name,
		Description: e.Metadata.Description,
		Contact:     spec.Profile.Email,
	}
	t.Normalize()
	if err := t.Validate(); err != nil {
		r.warn(e.file, e.line(), "Group %s skipped: %v", e.Metadata.Name, err)
		return catalog.TeamInput{}, false
	}
	return t, true
}

// kinds maps Backstage API types to Steward kinds.
var kinds = map[string]catalog.Kind{
	"openapi":  catalog.KindREST,
	"graphql":  catalog.KindGraphQL,
	"grpc":     catalog.KindGRPC,
	"asyncapi": catalog.KindAsyncAPI,
}

// api maps an API entity, with what a Component said about it, to an API.
func (r *catalogReader) api(e *entity, from provided) (catalog.PlannedAPI, bool) {
	var spec apiSpec
	if err := e.Spec.Decode(&spec); err != nil {
		r.warn(e.file, typeErrorLine(err, e.line("spec")), "API %s skipped: %s", e.Metadata.Name, typeErrorMessage(err))
		return catalog.PlannedAPI{}, false
	}
	name := e.Metadata.Name
	in := catalog.APIInput{
		Slug:        catalog.Slugify(name),
		Name:        firstNonEmpty(e.Metadata.Title, name),
		Description: e.Metadata.Description,
		Tags:        e.Metadata.Tags,
	}

	apiType := strings.ToLower(strings.TrimSpace(spec.Type))
	kind, ok := kinds[apiType]
	switch {
	case !ok && apiType == "":
		kind = catalog.KindREST
		r.warn(e.file, e.line("spec"), "API %s has no spec.type; recorded as REST", name)
	case !ok:
		kind = catalog.KindREST
		r.warn(e.file, e.line("spec", "type"), "API %s has type %q, which Steward does not know; recorded as REST", name, spec.Type)
	}
	in.Kind = kind

	owner, ownerFile, ownerLine := spec.Owner, e.file, e.line("spec", "owner")
	if strings.TrimSpace(owner) == "" && from.owner != "" {
		owner, ownerFile, ownerLine = from.owner, from.file, from.line
	}
	switch {
	case strings.TrimSpace(owner) == "":
		r.warn(e.file, e.line("spec"), "API %s has no owner; the default owner applies", name)
	default:
		// A team that is not a Group here may well exist in Steward already
		// (groups often come from a directory sync), so it is not warned about.
		slug, problem, _ := ownerTeam(owner)
		if problem != "" {
			r.warn(ownerFile, ownerLine, "API %s: %s", name, problem)
		} else {
			in.TeamSlug = slug
		}
	}

	if v, ok := e.Metadata.Annotations[AnnotationVisibility]; ok {
		if vis, ok := catalog.ParseVisibility(v); ok {
			in.Visibility = vis
		} else {
			r.warn(e.file, e.line("metadata", "annotations", AnnotationVisibility), "API %s: visibility %q is not internal, partner or public; internal applies", name, v)
		}
	}

	for i, l := range e.Metadata.Links {
		if u, err := url.Parse(strings.TrimSpace(l.URL)); err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
			r.warn(e.file, linkLine(e, i), "API %s: link %q skipped: not an absolute http(s) URL", name, l.URL)
			continue
		}
		in.Links = append(in.Links, catalog.Link{Title: l.Title, URL: l.URL})
	}

	lifecycle := spec.Lifecycle
	if strings.TrimSpace(lifecycle) == "" {
		lifecycle = from.lifecycle
	}
	stage, known := stageFor(lifecycle)
	switch {
	case strings.TrimSpace(lifecycle) == "":
		r.warn(e.file, e.line("spec"), "API %s has no lifecycle; design applies", name)
	case !known:
		r.warn(e.file, e.line("spec", "lifecycle"), "API %s has lifecycle %q, which maps to no Steward stage; design applies", name, lifecycle)
	}

	version := catalog.VersionInput{Name: "v1", Stage: stage}
	if v, ok := e.Metadata.Annotations[AnnotationVersion]; ok {
		candidate := catalog.VersionInput{Name: v, Stage: stage}
		candidate.Normalize()
		if err := candidate.Validate(); err != nil {
			r.warn(e.file, e.line("metadata", "annotations", AnnotationVersion), "API %s: version %q unusable (%v); v1 applies", name, v, err)
		} else {
			version = candidate
		}
	}
	pv := catalog.PlannedVersion{Version: version}
	if apiType == "openapi" {
		pv.Spec, pv.SpecName = r.definition(e, &spec)
	}

	in.Normalize()
	check := in
	if check.TeamSlug == "" {
		check.TeamSlug = "default-owner" // filled in by the caller
	}
	if err := check.Validate(); err != nil {
		r.warn(e.file, e.line(), "API %s skipped: %v", name, err)
		return catalog.PlannedAPI{}, false
	}
	return catalog.PlannedAPI{API: in, Versions: []catalog.PlannedVersion{pv}}, true
}

func linkLine(e *entity, i int) int {
	if n := find(e.doc, "metadata", "links"); n != nil && n.Kind == yaml.SequenceNode && i < len(n.Content) {
		return n.Content[i].Line
	}
	return e.line("metadata", "links")
}

// placeholders are Backstage's substitutions that read a file next to the
// entity; Steward keeps the file's bytes as they are in all three cases.
var placeholders = []string{"$text", "$json", "$yaml"}

// definition returns an API's definition text and where it came from.
func (r *catalogReader) definition(e *entity, spec *apiSpec) ([]byte, string) {
	d := &spec.Definition
	line := d.Line
	switch d.Kind {
	case 0:
		r.warn(e.file, e.line("spec"), "API %s has no definition", e.Metadata.Name)
		return nil, ""
	case yaml.ScalarNode:
		if strings.TrimSpace(d.Value) == "" {
			r.warn(e.file, line, "API %s has an empty definition", e.Metadata.Name)
			return nil, ""
		}
		return []byte(d.Value), e.file
	case yaml.MappingNode:
		for _, ph := range placeholders {
			ref := find(d, ph)
			if ref == nil {
				continue
			}
			if ref.Kind != yaml.ScalarNode || ref.Value == "" {
				r.warn(e.file, ref.Line, "API %s: %s must be a relative file path", e.Metadata.Name, ph)
				return nil, ""
			}
			p, problem := r.resolve(e.file, ref.Value)
			switch {
			case problem == "remote":
				r.warn(e.file, ref.Line, "API %s: remote %s not fetched: %s", e.Metadata.Name, ph, ref.Value)
				return nil, ""
			case problem != "":
				r.warn(e.file, ref.Line, "API %s: %s rejected: %s", e.Metadata.Name, ph, problem)
				return nil, ""
			}
			data, err := r.walker.read(p)
			if err != nil {
				r.warn(e.file, ref.Line, "API %s: %s %s cannot be read: %v", e.Metadata.Name, ph, ref.Value, reason(err))
				return nil, ""
			}
			if data == nil {
				return nil, "" // too large; read warned
			}
			return data, p
		}
	}
	r.warn(e.file, line, "API %s: definition must be text or a $text reference", e.Metadata.Name)
	return nil, ""
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v = strings.TrimSpace(v); v != "" {
			return v
		}
	}
	return ""
}

// reason is an error without the path a fs.PathError repeats.
func reason(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
