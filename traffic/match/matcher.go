// Package match attributes request events to the catalogue: which API
// version a request belongs to, which documented operation it used, and
// whether the spec documents it at all. Events no deployment claims get an
// inferred path template so discovery can group them.
//
// A Matcher is built once from the catalogue and is safe for concurrent
// use; matching a documented request does not allocate.
package match

import (
	"cmp"
	"errors"
	"fmt"
	"net"
	"net/url"
	"slices"
	"strings"

	"github.com/steward-governance/steward/traffic"
)

// Target is one API version as the matcher sees it: where it is deployed
// and which operations its spec documents.
type Target struct {
	// VersionID identifies the API version in the catalogue.
	VersionID int64
	// Deployments are the base URLs the version is served at, such as
	// "https://api.example.com/v1". A URL without a scheme is read as
	// https; the path, if any, is the deployment's base path.
	Deployments []string
	// BasePath is the spec's own base path (the path of its first server
	// URL, such as "/v1"). It applies to deployments whose URL has no
	// path of its own.
	BasePath string
	// Operations are the operations the spec documents, with paths as
	// the spec's paths object writes them: relative to the base path.
	Operations []Operation
}

// Operation is one documented method on one path template.
type Operation struct {
	// Method is the HTTP method, in any case.
	Method string
	// Path is the path template, such as "/pets/{petId}".
	Path string
}

// Result is what the matcher made of one event.
type Result struct {
	// VersionID is the API version the event belongs to; 0 when no
	// deployment claims it.
	VersionID int64
	// Method is the event's method.
	Method string
	// Template is the path template the event used, relative to the
	// version's base path: the spec's own template when the spec has
	// one, otherwise one inferred from the route or the path (the full
	// path when no deployment claims the event).
	Template string
	// Matched is true when a deployment of VersionID claims the event's
	// host and path.
	Matched bool
	// Documented is true when the spec documents Method on Template.
	// Matched, not Documented and not Inferred means the path is in the
	// spec but the method is not.
	Documented bool
	// Inferred is true when Template is not from the spec.
	Inferred bool
}

// Matcher matches events to targets. It never changes after New, so one
// Matcher can serve any number of goroutines.
type Matcher struct {
	hosts map[string]*host
}

// host holds the deployments on one host name, longest base path first.
type host struct {
	mounts []*mount
}

// mount is one base path on one host and the versions deployed there,
// newest (highest ID) first.
type mount struct {
	base     string // "" for the root, otherwise "/v1" without a trailing slash
	versions []*version
}

// version is one target's segment trie, shared by all its deployments.
type version struct {
	id   int64
	root *node
}

// New builds a Matcher from targets. Deployments and operations it cannot
// read are left out and reported together in err; the Matcher is usable
// either way and covers everything else.
func New(targets []Target) (*Matcher, error) {
	m := &Matcher{hosts: make(map[string]*host)}
	mounts := make(map[[2]string]*mount)
	var errs []error
	for _, t := range targets {
		v := &version{id: t.VersionID, root: &node{}}
		for _, op := range t.Operations {
			bit := methodBit(strings.ToUpper(op.Method))
			if bit == 0 {
				errs = append(errs, fmt.Errorf("match: version %d: unknown method %q on %s", t.VersionID, op.Method, op.Path))
				continue
			}
			v.root.insert(op.Path, bit)
		}
		for _, d := range t.Deployments {
			hostname, base, err := parseDeployment(d, t.BasePath)
			if err != nil {
				errs = append(errs, fmt.Errorf("match: version %d: %w", t.VersionID, err))
				continue
			}
			key := [2]string{hostname, base}
			mt := mounts[key]
			if mt == nil {
				mt = &mount{base: base}
				mounts[key] = mt
				h := m.hosts[hostname]
				if h == nil {
					h = &host{}
					m.hosts[hostname] = h
				}
				h.mounts = append(h.mounts, mt)
			}
			if !slices.ContainsFunc(mt.versions, func(o *version) bool { return o.id == v.id }) {
				mt.versions = append(mt.versions, v)
			}
		}
	}
	for _, h := range m.hosts {
		slices.SortFunc(h.mounts, func(a, b *mount) int {
			if c := cmp.Compare(len(b.base), len(a.base)); c != 0 {
				return c
			}
			return strings.Compare(a.base, b.base)
		})
		for _, mt := range h.mounts {
			slices.SortStableFunc(mt.versions, func(a, b *version) int { return cmp.Compare(b.id, a.id) })
		}
	}
	return m, errors.Join(errs...)
}

// parseDeployment reads a deployment base URL into its host name and base
// path. The port is dropped: events carry none, so deployments compare by
// host name alone.
func parseDeployment(raw, specBase string) (hostname, base string, err error) {
	s := strings.TrimSpace(raw)
	if !strings.Contains(s, "://") {
		s = "https://" + s
	}
	u, err := url.Parse(s)
	if err != nil {
		return "", "", fmt.Errorf("deployment %q: %w", raw, err)
	}
	hostname = canonicalHost(u.Hostname())
	if hostname == "" {
		return "", "", fmt.Errorf("deployment %q: no host", raw)
	}
	base = cleanBase(u.Path)
	if base == "" {
		base = cleanBase(specBase)
	}
	return hostname, base, nil
}

// cleanBase turns a base path into the form mounts compare against:
// "/v1/" and "v1" become "/v1", "/" becomes "".
func cleanBase(p string) string {
	var b strings.Builder
	for seg, rest := nextSegment(p); seg != ""; seg, rest = nextSegment(rest) {
		b.WriteByte('/')
		b.WriteString(seg)
	}
	return b.String()
}

// Match attributes e to a version and operation. In order:
//
//  1. When e.Route is set and the host is a deployment's, the route's
//     shape is looked up among the templates of the versions deployed
//     under the path's base path (or anywhere on the host when no base
//     path prefixes the path), with the base path stripped from the route
//     if it has it.
//  2. Otherwise, or when no template has the route's shape, the path is
//     looked up under the longest base path that prefixes it and has a
//     template for it; literal segments beat parameters position by
//     position, so /pets/mine beats /pets/{petId}.
//  3. A host and base path with no template for the path still claim the
//     event, with a template inferred from the route or the path.
//  4. Events on unknown hosts, or outside every base path on a known one,
//     are unmatched, with a template inferred from the route or the path.
//
// When several versions share a host and base path, the one documenting
// the method wins, then the highest VersionID.
func (m *Matcher) Match(e *traffic.Event) Result {
	res := Result{Method: e.Method}
	h := m.hosts[canonicalHost(e.Host)]
	if h == nil {
		res.Template, res.Inferred = inferred(e.Route, e.Path), true
		return res
	}
	if e.Route != "" && h.matchRoute(e, &res) {
		return res
	}
	var claimed *mount
	for _, mt := range h.mounts {
		rest, ok := strip(e.Path, mt.base)
		if !ok {
			continue
		}
		if claimed == nil {
			claimed = mt
		}
		if mt.match(e.Method, rest, (*node).lookupPath, &res) {
			return res
		}
	}
	if claimed == nil {
		res.Template, res.Inferred = inferred(e.Route, e.Path), true
		return res
	}
	res.VersionID, res.Matched, res.Inferred = claimed.versions[0].id, true, true
	route, _ := strip(e.Route, claimed.base)
	res.Template = inferred(route, strings.TrimPrefix(e.Path, claimed.base))
	return res
}

// matchRoute looks e.Route up in the mounts on h whose base path
// prefixes the event's path, longest first; a template documenting the
// method beats one that does not. Only when no base path prefixes the path
// (a source reporting the path behind a gateway that strips it, say) are
// the host's other mounts searched the same way.
func (h *host) matchRoute(e *traffic.Event, res *Result) bool {
	fitting := false
	for pass := range 2 {
		var found Result
		for _, mt := range h.mounts {
			_, fits := strip(e.Path, mt.base)
			fitting = fitting || fits
			if fits != (pass == 0) {
				continue
			}
			var r Result
			ok := false
			if route, prefixed := strip(e.Route, mt.base); prefixed && mt.base != "" {
				ok = mt.match(e.Method, route, (*node).lookupRoute, &r)
			}
			if !ok || !r.Documented {
				var asIs Result
				if mt.match(e.Method, e.Route, (*node).lookupRoute, &asIs) && (!ok || asIs.Documented) {
					r, ok = asIs, true
				}
			}
			if ok && (r.Documented || !found.Matched) {
				found = r
				if r.Documented {
					break
				}
			}
		}
		if found.Matched {
			found.Method = e.Method
			*res = found
			return true
		}
		if fitting {
			return false
		}
	}
	return false
}

// match looks path up in every version on mt and fills res from the best
// find: a version documenting method, else the newest with the template.
func (mt *mount) match(method, path string, lookup func(*node, string) *node, res *Result) bool {
	found := false
	for _, v := range mt.versions {
		n := lookup(v.root, path)
		if n == nil {
			continue
		}
		for _, op := range n.ops {
			if op.methods.documents(method) {
				res.VersionID, res.Template = v.id, op.template
				res.Matched, res.Documented, res.Inferred = true, true, false
				return true
			}
		}
		if !found {
			found = true
			res.VersionID, res.Template = v.id, n.ops[0].template
			res.Matched, res.Documented, res.Inferred = true, false, false
		}
	}
	return found
}

// strip removes base from the front of path when base is a whole-segment
// prefix of it.
func strip(path, base string) (string, bool) {
	if !strings.HasPrefix(path, base) {
		return path, false
	}
	rest := path[len(base):]
	if rest != "" && rest[0] != '/' {
		return path, false
	}
	return rest, true
}

// inferred returns the template to report for a request documented
// nowhere: its route when the source knows one that names a specific
// endpoint, otherwise one inferred from its path.
func inferred(route, path string) string {
	if route != "" && !hasWildcard(route) {
		return NormaliseTemplate(route)
	}
	return InferTemplate(path)
}

func hasWildcard(route string) bool {
	for seg, rest := nextSegment(route); seg != ""; seg, rest = nextSegment(rest) {
		if classify(seg) == segWildcard {
			return true
		}
	}
	return false
}

// canonicalHost lower-cases host and drops any port, without allocating
// when it is already in that form (as decoders leave it).
func canonicalHost(h string) string {
	for i := 0; i < len(h); i++ {
		if c := h[i]; c == ':' || c >= 'A' && c <= 'Z' || c == '[' || c == '.' && i == len(h)-1 {
			if hostname, _, err := net.SplitHostPort(h); err == nil {
				h = hostname
			}
			return strings.TrimSuffix(strings.ToLower(strings.Trim(h, "[]")), ".")
		}
	}
	return h
}
