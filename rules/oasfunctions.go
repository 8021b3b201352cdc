package rules

import (
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/steward-governance/steward/rules/doc"
)

// The functions the built-in OpenAPI and OWASP rulesets need beyond the core
// ones. Their names are Spectral's, so rulesets written against Spectral's
// internals keep working.
func init() {
	register(&Function{Name: "oasOpSuccessResponse", prepare: noOptions, run: runOpSuccessResponse})
	register(&Function{Name: "oasOpIdUnique", prepare: noOptions, run: runOpIDUnique})
	register(&Function{Name: "oasOpParams", prepare: noOptions, run: runOpParams})
	register(&Function{Name: "oasOpFormDataConsumeCheck", prepare: noOptions, run: runFormDataConsume})
	register(&Function{Name: "oasTagDefined", prepare: noOptions, run: runTagDefined})
	register(&Function{Name: "oasPathParam", prepare: noOptions, run: runPathParam})
	register(&Function{Name: "refSiblings", prepare: noOptions, run: runRefSiblings})
	register(&Function{Name: "oasUnusedComponent", prepare: noOptions, run: runUnusedComponent})
	register(&Function{Name: "oasDiscriminator", prepare: noOptions, run: runDiscriminator})
	register(&Function{Name: "oasSecurityDefined", prepare: prepareOasVersion, run: runSecurityDefined})
	register(&Function{Name: "oasOpSecurityDefined", prepare: prepareOasVersion, run: runSecurityDefined})
	register(&Function{Name: "uniquenessTags", prepare: noOptions, run: runUniqueTags})
	register(&Function{Name: "serverVariables", prepare: prepareServerVariables, run: runServerVariables})
	register(&Function{Name: "runtimeExpression", prepare: noOptions, run: runRuntimeExpression})
	register(&Function{Name: "oasExample", prepare: prepareOasExample, run: runOasExample})
	register(&Function{Name: "oasSchema", prepare: prepareOasSchema, run: runOasSchema})
	register(&Function{Name: "oasDocumentSchema", prepare: noOptions, run: runDocumentSchema})
	register(&Function{Name: "checkSecurity", prepare: prepareCheckSecurity, run: runCheckSecurity})
	register(&Function{Name: "differentSecuritySchemes", prepare: prepareAdminURL, run: runDifferentSecuritySchemes})
}

var httpMethods = []string{"get", "put", "post", "delete", "options", "head", "patch", "trace"}

func isMethod(k string) bool {
	for _, m := range httpMethods {
		if m == k {
			return true
		}
	}
	return false
}

type operation struct {
	path, method string
	node         *doc.Node
}

// operations lists paths[*][method] objects in document order.
func (c *Call) operations(paths *doc.Node) []operation {
	var out []operation
	if paths == nil || paths.Kind != doc.Object {
		return nil
	}
	for i, p := range paths.Keys {
		item := c.deref(paths.Children[i])
		if item.Kind != doc.Object {
			continue
		}
		for j, m := range item.Keys {
			op := c.deref(item.Children[j])
			if isMethod(m) && op.Kind == doc.Object {
				out = append(out, operation{path: p, method: m, node: op})
			}
		}
	}
	return out
}

func runOpSuccessResponse(c *Call) []Result {
	t := c.Target
	if t == nil || t.Kind != doc.Object {
		return nil
	}
	for _, k := range t.Keys {
		if n, err := strconv.ParseFloat(strings.TrimSpace(k), 64); err == nil && n >= 200 && n < 400 {
			return nil
		}
	}
	return []Result{{Message: "operations must define at least one 2xx or 3xx response"}}
}

func runOpIDUnique(c *Call) []Result {
	seen := map[string]bool{}
	var out []Result
	if c.Target == nil || c.Target.Kind != doc.Object {
		return nil
	}
	for _, op := range c.operations(c.get(c.Target, "paths")) {
		id := c.get(op.node, "operationId")
		if id == nil {
			continue
		}
		key := id.JSString()
		if seen[key] {
			out = append(out, Result{Message: "operationId must be unique.", Path: []string{"paths", op.path, op.method, "operationId"}})
		}
		seen[key] = true
	}
	return out
}

func runOpParams(c *Call) []Result {
	t := c.Target
	if t == nil || t.Kind != doc.Array {
		return nil
	}
	var out []Result
	seen := map[string]bool{}
	bodies, formData := 0, 0
	for i, p := range c.children(t) {
		if p.Kind != doc.Object {
			continue
		}
		name, in := c.get(p, "name"), c.get(p, "in")
		if name == nil || in == nil {
			continue
		}
		key := name.JSString() + "\x00" + in.JSString()
		if seen[key] {
			out = append(out, Result{Message: `A parameter in this operation already exposes the same combination of "name" and "in" values.`, Path: appendPath(c.Path, strconv.Itoa(i))})
		}
		seen[key] = true
		switch in.Value {
		case "body":
			bodies++
			if bodies > 1 {
				out = append(out, Result{Message: `Operation must not have more than a single instance of the "in:body" parameter.`, Path: appendPath(c.Path, strconv.Itoa(i))})
			}
		case "formData":
			formData++
		}
	}
	if bodies > 0 && formData > 0 {
		out = append(out, Result{Message: `Operation cannot have both "in:body" and "in:formData" parameters.`})
	}
	return out
}

func runFormDataConsume(c *Call) []Result {
	t := c.Target
	if t == nil || t.Kind != doc.Object {
		return nil
	}
	params := c.get(t, "parameters")
	if params == nil || params.Kind != doc.Array {
		return nil
	}
	hasForm := false
	for _, p := range c.children(params) {
		if in := c.get(p, "in"); in != nil && in.Value == "formData" {
			hasForm = true
		}
	}
	if !hasForm {
		return nil
	}
	if consumes := c.get(t, "consumes"); consumes != nil && consumes.Kind == doc.Array {
		for _, m := range consumes.Children {
			if strings.Contains(m.Value, "application/x-www-form-urlencoded") || strings.Contains(m.Value, "multipart/form-data") {
				return nil
			}
		}
	}
	return []Result{{Message: "Consumes must include urlencoded, multipart, or form-data media type when using formData parameter."}}
}

func runTagDefined(c *Call) []Result {
	t := c.Target
	if t == nil || t.Kind != doc.Object {
		return nil
	}
	global := map[string]bool{}
	if tags := c.get(t, "tags"); tags != nil && tags.Kind == doc.Array {
		for _, tag := range c.children(tags) {
			if n := c.get(tag, "name"); n != nil && n.Kind == doc.String {
				global[n.Value] = true
			}
		}
	}
	var out []Result
	for _, op := range c.operations(c.get(t, "paths")) {
		tags := c.get(op.node, "tags")
		if tags == nil || tags.Kind != doc.Array {
			continue
		}
		for i, tag := range c.children(tags) {
			if tag.Kind == doc.String && global[tag.Value] {
				continue
			}
			out = append(out, Result{Message: "Operation tags must be defined in global tags.", Path: []string{"paths", op.path, op.method, "tags", strconv.Itoa(i)}})
		}
	}
	return out
}

var pathTemplate = regexp.MustCompile(`\{;?\??[a-zA-Z0-9_-]+\*?\}`)

var templateMarks = strings.NewReplacer("{", "", "}", "", "?", "", "*", "", ";", "")

func runPathParam(c *Call) []Result {
	t := c.Target
	if t == nil || t.Kind != doc.Object {
		return nil
	}
	paths := c.get(t, "paths")
	if paths == nil || paths.Kind != doc.Object {
		return nil
	}
	var out []Result
	uniq := map[string]string{}
	for i, p := range paths.Keys {
		item := c.deref(paths.Children[i])
		if item.Kind != doc.Object {
			continue
		}
		norm := pathTemplate.ReplaceAllString(p, "%")
		if prev, ok := uniq[norm]; ok {
			out = append(out, Result{Message: fmt.Sprintf("Paths %q and %q must not be equivalent.", prev, p), Path: []string{"paths", p}})
		} else {
			uniq[norm] = p
		}
		var elems []string
		for _, m := range pathTemplate.FindAllString(p, -1) {
			name := strings.Trim(m, "{}?*;")
			name = templateMarks.Replace(name)
			if contains(elems, name) {
				out = append(out, Result{Message: fmt.Sprintf("Path %q must not use parameter \"{%s}\" multiple times.", p, name), Path: []string{"paths", p}})
			} else {
				elems = append(elems, name)
			}
		}
		type named struct {
			name string
			path []string
		}
		collect := func(params *doc.Node, base []string) []named {
			var res []named
			if params == nil || params.Kind != doc.Array {
				return nil
			}
			seen := map[string]bool{}
			for j, prm := range c.children(params) {
				if prm.Kind != doc.Object {
					continue
				}
				in, nm := c.get(prm, "in"), c.get(prm, "name")
				if in == nil || in.Value != "path" || nm == nil {
					continue
				}
				pp := appendPath(base, "parameters", strconv.Itoa(j))
				if req := c.get(prm, "required"); req == nil || req.Kind != doc.Bool || req.Value != "true" {
					out = append(out, Result{Message: fmt.Sprintf("Path parameter %q must have \"required\" property that is set to \"true\".", nm.JSString()), Path: pp})
				}
				if seen[nm.JSString()] {
					out = append(out, Result{Message: fmt.Sprintf("Path parameter %q must not be defined multiple times.", nm.JSString()), Path: pp})
					continue
				}
				seen[nm.JSString()] = true
				res = append(res, named{nm.JSString(), pp})
			}
			return res
		}
		top := collect(c.get(item, "parameters"), []string{"paths", p})
		for j, m := range item.Keys {
			op := c.deref(item.Children[j])
			if op.Kind != doc.Object || m == "parameters" || !isMethod(m) {
				continue
			}
			opPath := []string{"paths", p, m}
			opParams := collect(c.get(op, "parameters"), opPath)
			defined := map[string][]string{}
			var order []string
			for _, x := range append(top, opParams...) {
				if _, ok := defined[x.name]; !ok {
					order = append(order, x.name)
				}
				defined[x.name] = x.path
			}
			for _, name := range order {
				if !contains(elems, name) {
					out = append(out, Result{Message: fmt.Sprintf("Parameter %q must be used in path %q.", name, p), Path: defined[name]})
				}
			}
			for _, e := range elems {
				if _, ok := defined[e]; !ok {
					out = append(out, Result{Message: fmt.Sprintf("Operation must define parameter \"{%s}\" as expected by path %q.", e, p), Path: opPath})
				}
			}
		}
	}
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func runRefSiblings(c *Call) []Result {
	if len(c.Path) == 0 {
		return nil
	}
	parentPath := c.Path[:len(c.Path)-1]
	parent, depth := c.Doc.Lookup(parentPath, false)
	if depth != len(parentPath) || parent.Kind != doc.Object || len(parent.Keys) == 1 {
		return nil
	}
	var out []Result
	for _, k := range parent.Keys {
		if k == "$ref" {
			continue
		}
		out = append(out, Result{Message: "$ref must not be placed next to any other properties", Path: appendPath(parentPath, k)})
	}
	return out
}

var componentTypes = []string{"schemas", "responses", "parameters", "examples", "requestBodies", "headers", "links", "callbacks"}

func runUnusedComponent(c *Call) []Result {
	t := c.Target
	if t == nil || t.Kind != doc.Object {
		return nil
	}
	comps := t.Get("components")
	if comps == nil || comps.Kind != doc.Object {
		return nil
	}
	var out []Result
	for _, ty := range componentTypes {
		v := comps.Get(ty)
		if v == nil || v.Kind != doc.Object {
			continue
		}
		out = append(out, unreferenced(c, v, "#/components/"+ty)...)
	}
	return out
}

func runDiscriminator(c *Call) []Result {
	t := c.Target
	if t == nil || t.Kind != doc.Object {
		return nil
	}
	d := c.get(t, "discriminator")
	if d == nil {
		return nil
	}
	dp := appendPath(c.Path, "discriminator")
	if d.Kind != doc.String {
		return []Result{{Message: "discriminator must be a string", Path: dp}}
	}
	props := c.get(t, "properties")
	if props == nil || props.Kind != doc.Object || props.Get(d.Value) == nil {
		return []Result{{Message: "discriminator property must be defined", Path: dp}}
	}
	req := c.get(t, "required")
	if req == nil || req.Kind != doc.Array {
		return []Result{{Message: "discriminator property must be required", Path: dp}}
	}
	for _, r := range req.Children {
		if r.Value == d.Value {
			return nil
		}
	}
	return []Result{{Message: "discriminator property must be required", Path: dp}}
}

func prepareOasVersion(n *doc.Node) (any, error) {
	if err := optionsObject(n, "oasVersion"); err != nil {
		return nil, err
	}
	v := 3
	if n != nil {
		if o := n.Get("oasVersion"); o != nil {
			if o.Kind != doc.Number || (o.Num != 2 && o.Num != 3) {
				return nil, fmt.Errorf("oasVersion must be 2 or 3")
			}
			v = int(o.Num)
		}
	}
	return v, nil
}

func runSecurityDefined(c *Call) []Result {
	version := c.Opts.(int)
	t := c.Target
	if t == nil || t.Kind != doc.Object {
		return nil
	}
	root := c.deref(c.Doc.Root)
	var schemes *doc.Node
	where := `"components.securitySchemes"`
	if version == 2 {
		schemes = c.get(root, "securityDefinitions")
		where = `"securityDefinitions"`
	} else {
		schemes = c.get(c.get(root, "components"), "securitySchemes")
	}
	var out []Result
	for i, name := range t.Keys {
		scheme := c.get(schemes, name)
		if scheme == nil {
			out = append(out, Result{Message: fmt.Sprintf("API \"security\" values must match a scheme defined in the %s object.", where), Path: appendPath(c.Path, name)})
			continue
		}
		scopes := c.deref(t.Children[i])
		if scopes.Kind != doc.Array || c.get(scheme, "type") == nil || c.get(scheme, "type").Value != "oauth2" {
			continue
		}
		allowed := map[string]bool{}
		if version == 2 {
			if sc := c.get(scheme, "scopes"); sc != nil {
				for _, k := range sc.Keys {
					allowed[k] = true
				}
			}
		} else if flows := c.get(scheme, "flows"); flows != nil {
			for _, f := range c.children(flows) {
				if sc := c.get(f, "scopes"); sc != nil {
					for _, k := range sc.Keys {
						allowed[k] = true
					}
				}
			}
		}
		for j, s := range scopes.Children {
			if s.Kind == doc.String && !allowed[s.Value] {
				out = append(out, Result{Message: fmt.Sprintf("%q must be listed among scopes.", s.Value), Path: appendPath(c.Path, name, strconv.Itoa(j))})
			}
		}
	}
	return out
}

func runUniqueTags(c *Call) []Result {
	t := c.Target
	if t == nil || t.Kind != doc.Array {
		return nil
	}
	seen := map[string]bool{}
	var out []Result
	for i, tag := range c.children(t) {
		n := c.get(tag, "name")
		if n == nil {
			continue
		}
		if seen[n.JSString()] {
			out = append(out, Result{Message: fmt.Sprintf("\"tags\" object contains duplicate tag name %q.", n.JSString()), Path: appendPath(c.Path, strconv.Itoa(i), "name")})
		}
		seen[n.JSString()] = true
	}
	return out
}

type serverVarOpts struct{ checkSubstitutions, requireDefault bool }

func prepareServerVariables(n *doc.Node) (any, error) {
	if err := optionsObject(n, "checkSubstitutions", "requireDefault"); err != nil {
		return nil, err
	}
	o := &serverVarOpts{}
	if n != nil {
		o.checkSubstitutions = isTrue(n.Get("checkSubstitutions"))
		o.requireDefault = isTrue(n.Get("requireDefault"))
	}
	return o, nil
}

var serverVar = regexp.MustCompile(`\{([^{}]+)\}`)

// maxSubstitutions bounds the URL combinations tried, as enums multiply.
const maxSubstitutions = 250

func runServerVariables(c *Call) []Result {
	o := c.Opts.(*serverVarOpts)
	t := c.Target
	if t == nil || t.Kind != doc.Object {
		return nil
	}
	u := c.get(t, "url")
	if u == nil || u.Kind != doc.String {
		return nil
	}
	var used []string
	for _, m := range serverVar.FindAllStringSubmatch(u.Value, -1) {
		if !contains(used, m[1]) {
			used = append(used, m[1])
		}
	}
	vars := c.get(t, "variables")
	var out []Result
	vp := appendPath(c.Path, "variables")
	if vars == nil || vars.Kind != doc.Object {
		if len(used) > 0 {
			out = append(out, Result{Message: "Not all server's variables are described with \"variables\" objects. Unresolved: " + strings.Join(used, ", ") + ".", Path: vp})
		}
		return out
	}
	var missing []string
	for _, name := range used {
		if vars.Get(name) == nil {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		out = append(out, Result{Message: "Not all server's variables are described with \"variables\" objects. Unresolved: " + strings.Join(missing, ", ") + ".", Path: vp})
	}
	values := map[string][]string{}
	for i, name := range vars.Keys {
		v := c.deref(vars.Children[i])
		if !contains(used, name) {
			out = append(out, Result{Message: fmt.Sprintf("Server's \"variables\" object has unused defined %q variable.", name), Path: appendPath(vp, name)})
		}
		if v.Kind != doc.Object {
			continue
		}
		def := c.get(v, "default")
		enum := c.get(v, "enum")
		if def == nil && o.requireDefault {
			out = append(out, Result{Message: fmt.Sprintf("Server Variable %q has a missing default.", name), Path: appendPath(vp, name)})
		}
		if enum != nil && enum.Kind == doc.Array {
			var vals []string
			for _, e := range enum.Children {
				vals = append(vals, e.JSString())
			}
			if def != nil && !contains(vals, def.JSString()) {
				out = append(out, Result{Message: fmt.Sprintf("Server Variable %q has a default not listed in the enum.", name), Path: appendPath(vp, name, "default")})
			}
			values[name] = vals
		} else if def != nil {
			values[name] = []string{def.JSString()}
		}
	}
	if o.checkSubstitutions && len(missing) == 0 {
		var bad []string
		for _, s := range substitutions(u.Value, used, values) {
			if !validServerURL(s) {
				bad = append(bad, s)
			}
		}
		if len(bad) > 0 {
			out = append(out, Result{Message: "A few substitutions of server variables resulted in invalid URLs: " + strings.Join(bad, ", "), Path: vp})
		}
	}
	return out
}

func substitutions(tpl string, used []string, values map[string][]string) []string {
	urls := []string{tpl}
	for _, name := range used {
		vals := values[name]
		if len(vals) == 0 {
			return nil
		}
		var next []string
		for _, u := range urls {
			for _, v := range vals {
				next = append(next, strings.ReplaceAll(u, "{"+name+"}", v))
				if len(next) >= maxSubstitutions {
					break
				}
			}
		}
		urls = next
	}
	if len(used) == 0 {
		return nil
	}
	return urls
}

// validServerURL accepts absolute URLs and paths relative to the document's
// host ("/v1", "v1/"? no: a bare word is not a URL).
func validServerURL(s string) bool {
	return strings.HasPrefix(s, "/") || absoluteURL.MatchString(s)
}

var absoluteURL = regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9+.-]*://[^\s/?#]+`)

var runtimeExpr = regexp.MustCompile(`^\$(url|method|statusCode|request\.(path|query|header)\.[^\s]+|request\.body(#.*)?|response\.header\.[^\s]+|response\.body(#.*)?)$`)

func runRuntimeExpression(c *Call) []Result {
	t := c.Target
	if t == nil || t.Kind != doc.Object {
		return nil
	}
	var out []Result
	for i, k := range t.Keys {
		v := t.Children[i]
		if v.Kind != doc.String || !strings.HasPrefix(v.Value, "$") {
			continue
		}
		if !runtimeExpr.MatchString(v.Value) {
			out = append(out, Result{Message: "Expressions must start with one of: `$url`, `$method`, `$statusCode`, `$request.`,`$response.`", Path: appendPath(c.Path, k)})
		}
	}
	return out
}

// ---- examples and OpenAPI schemas ----

type oasExampleOpts struct {
	schemaField string
	oasVersion  int
	media       bool
}

func prepareOasExample(n *doc.Node) (any, error) {
	if err := optionsObject(n, "schemaField", "oasVersion", "type", "unicodeRegExp"); err != nil {
		return nil, err
	}
	o := &oasExampleOpts{schemaField: "$", oasVersion: 3}
	if n == nil {
		return o, nil
	}
	if v := n.Get("schemaField"); v != nil {
		o.schemaField = v.Value
	}
	if v := n.Get("oasVersion"); v != nil {
		o.oasVersion = int(v.Num)
	}
	if v := n.Get("type"); v != nil {
		if v.Value != "media" && v.Value != "schema" {
			return nil, fmt.Errorf("type must be media or schema")
		}
		o.media = v.Value == "media"
	}
	return o, nil
}

func matchesPrefix(p []string, prefixes [][]string) bool {
	for _, pre := range prefixes {
		if len(p) < len(pre) {
			continue
		}
		ok := true
		for i, s := range pre {
			if s != "*" && s != p[i] {
				ok = false
				break
			}
		}
		if ok {
			return true
		}
	}
	return false
}

type exampleItem struct {
	value *doc.Node
	path  []string
}

func runOasExample(c *Call) []Result {
	o := c.Opts.(*oasExampleOpts)
	t := c.Target
	if t == nil || t.Kind != doc.Object {
		return nil
	}
	schemaNode := t
	if o.schemaField != "$" {
		schemaNode = c.get(t, o.schemaField)
	}
	if schemaNode == nil || (schemaNode.Kind != doc.Object && schemaNode.Kind != doc.Bool) {
		return nil
	}
	var items []exampleItem
	request, response := false, false
	if o.media {
		if o.oasVersion == 2 {
			response = matchesPrefix(c.Path, [][]string{{"responses"}, {"paths", "*", "*", "responses"}})
			if ex := c.get(t, "examples"); ex != nil && ex.Kind == doc.Object {
				for i, k := range ex.Keys {
					items = append(items, exampleItem{c.deref(ex.Children[i]), appendPath(c.Path, "examples", k)})
				}
			}
		} else {
			request = matchesPrefix(c.Path, [][]string{{"components", "requestBodies"}, {"paths", "*", "*", "requestBody"}})
			response = matchesPrefix(c.Path, [][]string{{"components", "responses"}, {"paths", "*", "*", "responses"}})
			if t.Has("example") {
				items = append(items, exampleItem{c.get(t, "example"), appendPath(c.Path, "example")})
			} else if ex := c.get(t, "examples"); ex != nil && ex.Kind == doc.Object {
				for i, k := range ex.Keys {
					e := c.deref(ex.Children[i])
					if e.Kind != doc.Object || e.Has("externalValue") {
						continue
					}
					items = append(items, exampleItem{c.get(e, "value"), appendPath(c.Path, "examples", k, "value")})
				}
			}
		}
	} else {
		fields := []string{"example", "default"}
		if o.oasVersion == 2 {
			fields = []string{"example", "x-example", "default"}
		}
		for _, f := range fields {
			if t.Has(f) {
				items = append(items, exampleItem{c.get(t, f), appendPath(c.Path, f)})
			}
		}
	}
	if len(items) == 0 {
		return nil
	}
	s, invalid, err := c.lint.oasSchema(c, schemaNode, request, response)
	if err != nil {
		return nil
	}
	if invalid != nil {
		// Spectral reports an example whose schema cannot be compiled
		// at the example itself.
		var out []Result
		for _, it := range items {
			if it.value != nil {
				out = append(out, Result{Message: "schema is invalid: " + schemaErrorText(invalid), Path: it.path})
			}
		}
		return out
	}
	var out []Result
	for _, it := range items {
		if it.value == nil {
			continue
		}
		out = append(out, validate(c, s, it.value, it.path, false, reachAll)...)
		if c.lint.failed != nil {
			return nil
		}
	}
	return out
}

// schemaKey identifies one conversion of an OpenAPI schema: a node
// converts differently for a request or a response, and resolved or not.
type schemaKey struct {
	n                 *doc.Node
	request, response bool
	resolved          bool
}

// contentKey identifies a converted schema by what it says.
type contentKey struct {
	sum   [sha256.Size]byte
	draft *jsonschema.Draft
}

// schemaCache holds the JSON Schemas one Lint call compiled for example
// checks. Compiling is most of those rules' cost, so a schema is compiled
// once per run, whichever rule asks first, and converted schemas are also
// keyed by their content: the same inline shape written under many
// operations compiles once. Rules run on several workers, so it is safe
// for concurrent use; a schema being compiled is waited for, not
// compiled twice.
type schemaCache struct {
	mu        sync.Mutex
	byNode    map[schemaKey]*cachedSchema
	byContent map[contentKey]*cachedSchema
}

type cachedSchema struct {
	once sync.Once
	s    *jsonschema.Schema
	// err is why the schema does not compile (a finding on the example);
	// fail why it could not be converted (too large, or the run is over:
	// the rule fails).
	err, fail error
}

func (sc *schemaCache) forNode(k schemaKey) *cachedSchema {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	if sc.byNode == nil {
		sc.byNode = map[schemaKey]*cachedSchema{}
	}
	e := sc.byNode[k]
	if e == nil {
		e = &cachedSchema{}
		sc.byNode[k] = e
	}
	return e
}

func (sc *schemaCache) forContent(k contentKey) *cachedSchema {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	if sc.byContent == nil {
		sc.byContent = map[contentKey]*cachedSchema{}
	}
	e := sc.byContent[k]
	if e == nil {
		e = &cachedSchema{}
		sc.byContent[k] = e
	}
	return e
}

// oasSchema compiles an OpenAPI schema object as JSON Schema, once per
// lint run (see schemaCache). invalid is why the schema does not compile;
// err is why it could not be converted, and the call has failed with it
// (Call.fail).
func (l *linter) oasSchema(c *Call, n *doc.Node, request, response bool) (s *jsonschema.Schema, invalid, err error) {
	e := l.run.schemas.forNode(schemaKey{n, request, response, c.Resolved})
	e.once.Do(func() {
		conv := &oasConverter{c: c, request: request, response: response, oas2: c.Formats[OAS2], oas30: c.Formats[OAS2] || c.Formats[OAS3_0], budget: l.maxSchema()}
		v, _ := conv.convert(n, nil, "")
		if conv.err != nil {
			e.fail = conv.err
			return
		}
		draft := jsonschema.Draft2020
		if conv.oas30 {
			draft = jsonschema.Draft4
		}
		text, err := json.Marshal(v)
		if err != nil {
			// Not JSON (a YAML .nan): compiled for this node alone.
			e.s, e.err = compileSchema(v, draft)
			return
		}
		ce := l.run.schemas.forContent(contentKey{sha256.Sum256(text), draft})
		ce.once.Do(func() { ce.s, ce.err = compileSchema(v, draft) })
		e.s, e.err = ce.s, ce.err
	})
	if e.fail != nil {
		c.fail(e.fail)
		return nil, nil, e.fail
	}
	return e.s, e.err, nil
}

// oasConverter turns an OpenAPI schema into plain JSON Schema: references
// are inlined (a cycle becomes "anything"), nullable becomes a null type,
// and readOnly/writeOnly properties stop being required where they cannot
// appear. Example values, which JSON Schema ignores, are left out.
//
// A schema reached through a reference is converted once and shared by
// identity wherever it is used again, so the work grows with the document.
// What the compiler walks is the copy with every reference in place, so
// that is what the budget bounds: past budget nodes the conversion stops
// with a *doc.TooLargeError in err, as it does with the context's error
// when the run is over.
//
// Where a cycle is cut depends on where its conversion started; a shared
// schema keeps the cut of its first conversion, which may unroll a cycle
// one turn further than a fresh conversion would. Either is a finite
// approximation of the recursive schema.
type oasConverter struct {
	c                 *Call
	request, response bool
	oas2, oas30       bool
	budget, made      int
	memo              map[oasMemoKey]sizedValue
	err               error
}

type oasMemoKey struct {
	n     *doc.Node
	isMap bool
}

type sizedValue struct {
	v    any
	size int
}

// maxSchemaNesting cuts schemas nested deeper than this (after inlining)
// to "anything".
const maxSchemaNesting = 64

var schemaMapKeywords = map[string]bool{"properties": true, "patternProperties": true, "definitions": true, "$defs": true, "dependentSchemas": true}

// add adds size nodes to a value's size and reports whether to go on.
func (v *oasConverter) add(total *int, size int) bool {
	*total += size
	if *total > v.budget && v.err == nil {
		v.err = &doc.TooLargeError{Limit: v.budget}
	}
	return v.err == nil
}

// convert returns n as JSON Schema and its size, counted with every
// reference copied in place.
func (v *oasConverter) convert(n *doc.Node, stack []*doc.Node, parentKey string) (any, int) {
	if v.err != nil {
		return nil, 0
	}
	d := v.c.deref(n)
	ref := d != n
	n = d
	for _, s := range stack {
		if s == n {
			return map[string]any{}, 1
		}
	}
	if len(stack) > maxSchemaNesting {
		return map[string]any{}, 1
	}
	if n.Kind != doc.Array && n.Kind != doc.Object {
		return n.Interface(nil), 1
	}
	key := oasMemoKey{n, schemaMapKeywords[parentKey]}
	if e, ok := v.memo[key]; ok {
		return e.v, e.size
	}
	// A schema reached through a reference, an alias or at the top may
	// be reached again; a member in its own container is converted with
	// it.
	shared := ref || len(stack) == 0 || n.Parent != stack[len(stack)-1]
	v.made++
	if v.made%4096 == 0 {
		if err := v.c.lint.ctx.Err(); err != nil {
			v.err = err
			return nil, 0
		}
	}
	stack = append(stack, n)
	var out any
	size := 1
	if n.Kind == doc.Array {
		items := make([]any, len(n.Children))
		for i, ch := range n.Children {
			var s int
			items[i], s = v.convert(ch, stack, parentKey)
			if !v.add(&size, s) {
				return nil, 0
			}
		}
		out = items
	} else if out = v.object(n, stack, parentKey, &size); v.err != nil {
		return nil, 0
	}
	if shared {
		if v.memo == nil {
			v.memo = map[oasMemoKey]sizedValue{}
		}
		v.memo[key] = sizedValue{out, size}
	}
	return out, size
}

// object converts a schema object (or a map of schemas, for properties
// and the like), adding to size.
func (v *oasConverter) object(n *doc.Node, stack []*doc.Node, parentKey string, size *int) map[string]any {
	out := make(map[string]any, len(n.Keys))
	isMap := schemaMapKeywords[parentKey]
	for i, k := range n.Keys {
		if !isMap {
			switch k {
			case "example", "x-example", "default":
				// Annotations JSON Schema does not check: leaving them
				// out lets schemas that differ only there share one
				// compiled schema.
				continue
			case "examples", "enum", "const":
				// Values, not schemas: copy them as they are.
				val, s, err := v.c.lint.converter(v.c.Resolved).ConvertSized(n.Children[i], doc.AllLevels)
				if err != nil {
					v.err = err
				}
				if !v.add(size, s) {
					return nil
				}
				out[k] = val
				continue
			case "id", "$id", "$schema", "discriminator", "xml", "externalDocs":
				continue
			case "required":
				if v.oas2 && n.Children[i].Kind == doc.Bool {
					continue
				}
			}
		}
		key := k
		if isMap {
			key = ""
		}
		val, s := v.convert(n.Children[i], stack, key)
		if !v.add(size, s) {
			return nil
		}
		out[k] = val
	}
	if isMap {
		return out
	}
	nullable := (v.oas30 && !v.oas2 && isTrue(n.Get("nullable"))) || (v.oas2 && isTrue(n.Get("x-nullable")))
	if nullable {
		switch t := out["type"].(type) {
		case string:
			out["type"] = []any{t, "null"}
		}
		if e, ok := out["enum"].([]any); ok {
			// The enum may be shared (see doc.Converter): extend a copy.
			out["enum"] = append(e[:len(e):len(e)], nil)
		}
	}
	if v.oas30 {
		// OpenAPI 3.0 and Swagger 2 schemas are draft 4 with a few
		// differences: booleans for exclusive bounds are fine there.
		delete(out, "nullable")
	}
	if req, ok := out["required"].([]any); ok && (v.request || v.response) {
		props := v.c.get(n, "properties")
		var kept []any
		for _, r := range req {
			name, _ := r.(string)
			p := v.c.get(props, name)
			if p != nil && ((v.request && isTrue(v.c.get(p, "readOnly"))) || (v.response && isTrue(v.c.get(p, "writeOnly")))) {
				continue
			}
			kept = append(kept, r)
		}
		if len(kept) == 0 {
			delete(out, "required")
		} else {
			out["required"] = kept
		}
	}
	return out
}

func prepareOasSchema(n *doc.Node) (any, error) {
	if err := optionsObject(n, "schema", "dialect", "allErrors", "prepareResults"); err != nil {
		return nil, err
	}
	if n == nil || n.Get("schema") == nil || (n.Get("schema").Kind != doc.Object && n.Get("schema").Kind != doc.Bool) {
		return nil, fmt.Errorf("needs the option schema (a JSON Schema)")
	}
	return n.Get("schema"), nil
}

func runOasSchema(c *Call) []Result {
	schemaNode := c.Opts.(*doc.Node)
	if c.Target == nil {
		return validateMissing(c, nil)
	}
	s, invalid, err := c.lint.oasSchema(c, schemaNode, false, false)
	if err != nil {
		return nil
	}
	if invalid != nil {
		return []Result{{Message: "schema is invalid: " + schemaErrorText(invalid)}}
	}
	return validate(c, s, c.Target, c.Path, false, reachAll)
}

// ---- OWASP helpers ----

type checkSecurityOpts struct {
	schemesPath []string
	nullable    *bool
	methods     []string
}

func prepareCheckSecurity(n *doc.Node) (any, error) {
	if err := optionsObject(n, "schemesPath", "nullable", "methods"); err != nil {
		return nil, err
	}
	o := &checkSecurityOpts{}
	if n == nil {
		return o, nil
	}
	if s := n.Get("schemesPath"); s != nil {
		for _, x := range s.Children {
			o.schemesPath = append(o.schemesPath, x.JSString())
		}
	}
	if b := n.Get("nullable"); b != nil && b.Kind == doc.Bool {
		v := b.Value == "true"
		o.nullable = &v
	}
	if m := n.Get("methods"); m != nil {
		for _, x := range m.Children {
			o.methods = append(o.methods, x.Value)
		}
	}
	return o, nil
}

func runCheckSecurity(c *Call) []Result {
	o := c.Opts.(*checkSecurityOpts)
	t := c.Target
	if t == nil || t.Kind != doc.Object {
		return nil
	}
	global := c.get(t, "security")
	var out []Result
	for _, op := range c.operations(c.get(t, "paths")) {
		if len(o.methods) > 0 && !contains(o.methods, op.method) {
			continue
		}
		sec := c.get(op.node, "security")
		ref := strings.Join([]string{op.path, op.method}, ",")
		if sec == nil {
			sec, ref = global, "$.security"
		}
		if sec == nil || sec.Kind == doc.Null || (sec.Kind == doc.Array && len(sec.Children) == 0) ||
			(sec.Kind == doc.Bool && sec.Value == "false") || (sec.Kind == doc.String && sec.Value == "") {
			out = append(out, Result{
				Message: fmt.Sprintf("Operation has undefined security scheme in %s.", ref),
				Path:    []string{"paths", op.path, op.method, "security", strings.Join(o.schemesPath, ",")},
			})
		}
		if sec != nil && sec.Kind == doc.Array {
			for i, e := range c.children(sec) {
				if e.Kind != doc.Object {
					continue
				}
				if len(e.Keys) == 0 && o.nullable != nil && !*o.nullable {
					out = append(out, Result{
						Message: fmt.Sprintf("Operation referencing empty security scheme in %s.", ref),
						Path:    []string{"paths", op.path, op.method, "security", strconv.Itoa(i)},
					})
				}
			}
		}
	}
	return out
}

func prepareAdminURL(n *doc.Node) (any, error) {
	if err := optionsObject(n, "adminUrl"); err != nil {
		return nil, err
	}
	if n == nil || n.Get("adminUrl") == nil || n.Get("adminUrl").Kind != doc.String {
		return nil, fmt.Errorf("needs the option adminUrl (a string)")
	}
	return n.Get("adminUrl").Value, nil
}

// runDifferentSecuritySchemes reports admin operations whose security
// requirement (scheme and scopes) is also one a non-admin operation uses.
// Only requirements written on operations count: operations without one are
// left to the rules that check security is present at all.
func runDifferentSecuritySchemes(c *Call) []Result {
	admin := c.Opts.(string)
	t := c.Target
	if t == nil || t.Kind != doc.Object {
		return nil
	}
	type entry struct {
		uri, key string
		path     []string
	}
	nonAdmin := map[string]bool{}
	var admins []entry
	for _, op := range c.operations(c.get(t, "paths")) {
		sec := c.get(op.node, "security")
		if sec == nil || sec.Kind != doc.Array {
			continue
		}
		for i, e := range c.children(sec) {
			if e.Kind != doc.Object && e.Kind != doc.Array && e.Kind != doc.Null {
				continue
			}
			key := canonicalJSON(e)
			if strings.Contains(op.path, admin) {
				admins = append(admins, entry{op.path, key, []string{"paths", op.path, op.method, "security", strconv.Itoa(i)}})
			} else {
				nonAdmin[key] = true
			}
		}
	}
	var out []Result
	for _, a := range admins {
		if nonAdmin[a.key] {
			out = append(out, Result{Message: fmt.Sprintf("Admin endpoint %s has the same security requirement as a non-admin endpoint.", a.uri), Path: a.path})
		}
	}
	return out
}

// canonicalJSON renders a value with its keys in document order, so two
// requirements compare equal when they are written the same way.
func canonicalJSON(n *doc.Node) string {
	var b strings.Builder
	var walk func(n *doc.Node)
	walk = func(n *doc.Node) {
		switch n.Kind {
		case doc.Object:
			b.WriteByte('{')
			for i, k := range n.Keys {
				if i > 0 {
					b.WriteByte(',')
				}
				b.WriteString(strconv.Quote(k))
				b.WriteByte(':')
				walk(n.Children[i])
			}
			b.WriteByte('}')
		case doc.Array:
			b.WriteByte('[')
			for i, ch := range n.Children {
				if i > 0 {
					b.WriteByte(',')
				}
				walk(ch)
			}
			b.WriteByte(']')
		case doc.String:
			b.WriteString(strconv.Quote(n.Value))
		default:
			b.WriteString(n.Value)
		}
	}
	walk(n)
	return b.String()
}
