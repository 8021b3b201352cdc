package demotraffic

import (
	"cmp"
	"hash/fnv"
	"net/url"
	"regexp"
	"slices"
	"strings"

	"github.com/steward-governance/steward/catalog"
)

// Version is one API version of the catalogue, as much of it as the
// generator needs to aim requests at it.
type Version struct {
	// API is the API's slug; Name is the version's name ("v2").
	API, Name string
	// Stage decides whether the version gets traffic and how much.
	Stage catalog.Stage
	// Deployments are where the version runs.
	Deployments []Deployment
	// BasePath is the spec's own base path ("/v1"), which applies to
	// deployments whose URL has no path, as for the traffic matcher.
	BasePath string
	// Operations are the operations the spec documents, with paths
	// relative to the base path as the spec's paths object writes them.
	Operations []Operation
}

// Deployment is one place a version runs.
type Deployment struct {
	// Environment is "production", "staging", "development" or another
	// name; production gets most of a live version's calls.
	Environment string
	// BaseURL is the deployment's address, such as
	// "https://api.example.com/v1".
	BaseURL string
}

// Operation is one documented method on one path template.
type Operation struct {
	// Method is the HTTP method, in any case.
	Method string
	// Path is the template, such as "/pets/{petId}".
	Path string
}

// mount is one deployment as requests address it.
type mount struct {
	env       string
	scheme    string // "http" or "https"
	authority string // host[:port] as written in the URL
	host      string // lower-case host name without port
	base      string // "" or "/v1", no trailing slash
}

// key identifies the host and base path the traffic matcher files the
// mount under.
func (m mount) key() string { return m.host + m.base }

// parseMount reads a deployment the way the traffic matcher does: no
// scheme means https, a URL without a path takes the spec's base path.
func parseMount(d Deployment, specBase string) (mount, bool) {
	s := strings.TrimSpace(d.BaseURL)
	if !strings.Contains(s, "://") {
		s = "https://" + s
	}
	u, err := url.Parse(s)
	if err != nil || u.Hostname() == "" {
		return mount{}, false
	}
	m := mount{env: d.Environment, scheme: strings.ToLower(u.Scheme), authority: u.Host,
		host: strings.TrimSuffix(strings.ToLower(u.Hostname()), ".")}
	if m.scheme != "http" && m.scheme != "https" {
		return mount{}, false
	}
	m.base = cleanBase(u.Path)
	if m.base == "" {
		m.base = cleanBase(specBase)
	}
	return m, true
}

// cleanBase writes a base path as "/a/b": no empty segments, no trailing
// slash, "" for the root.
func cleanBase(p string) string {
	var b strings.Builder
	for _, seg := range strings.Split(p, "/") {
		if seg != "" {
			b.WriteByte('/')
			b.WriteString(seg)
		}
	}
	return b.String()
}

// live reports whether a version in stage is called at all.
func live(stage catalog.Stage) bool {
	switch stage {
	case catalog.StageProduction, catalog.StagePreview, catalog.StageDeprecated:
		return true
	}
	return false
}

// silentShare is the share of silence candidates that get no traffic.
const silentShare = 0.10

// minSilentCandidates is how many candidates a catalogue needs before any
// version is silenced: a tiny catalogue keeps all its traffic.
const minSilentCandidates = 5

// SilentVersions returns the production versions of catalogue that get no
// traffic: zombie candidates. Only a version that would read as silent in
// Steward is a candidate: the only live version of its API (a deprecated
// sibling on the same address would have its calls attributed to it), on
// hosts and base paths no other API's live versions share (their
// undocumented calls would land on it). One candidate in ten, by a hash of
// the API slug, stays silent. The result is in catalogue order.
func SilentVersions(catalogue []Version) []Version {
	liveVersions := map[string]int{}
	apisOnMount := map[string]map[string]bool{}
	for _, v := range catalogue {
		if !live(v.Stage) {
			continue
		}
		liveVersions[v.API]++
		for _, d := range v.Deployments {
			if m, ok := parseMount(d, v.BasePath); ok {
				if apisOnMount[m.key()] == nil {
					apisOnMount[m.key()] = map[string]bool{}
				}
				apisOnMount[m.key()][v.API] = true
			}
		}
	}
	var candidates []int
	for i, v := range catalogue {
		if v.Stage != catalog.StageProduction || liveVersions[v.API] != 1 {
			continue
		}
		shared, mounted := false, false
		for _, d := range v.Deployments {
			if m, ok := parseMount(d, v.BasePath); ok {
				mounted = true
				shared = shared || len(apisOnMount[m.key()]) > 1
			}
		}
		if mounted && !shared {
			candidates = append(candidates, i)
		}
	}
	if len(candidates) < minSilentCandidates {
		return nil
	}
	slices.SortFunc(candidates, func(a, b int) int {
		return cmp.Or(cmp.Compare(hash("silent", catalogue[a].API), hash("silent", catalogue[b].API)),
			cmp.Compare(catalogue[a].API, catalogue[b].API))
	})
	n := max(1, int(float64(len(candidates))*silentShare+0.5))
	chosen := candidates[:n]
	slices.Sort(chosen)
	out := make([]Version, len(chosen))
	for i, c := range chosen {
		out[i] = catalogue[c]
	}
	return out
}

// versionKey names a version uniquely within a catalogue.
func versionKey(api, name string) string { return api + "\x00" + name }

// hash is a stable 64-bit hash of s under salt: traits chosen by it stay
// the same across seeds, runs and Go versions.
func hash(salt, s string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(salt))
	h.Write([]byte{':'})
	h.Write([]byte(s))
	return h.Sum64()
}

// unit maps a hash to [0, 1).
func unit(salt, s string) float64 {
	return float64(hash(salt, s)>>11) / (1 << 53)
}

// between maps a hash to [lo, hi).
func between(salt, s string, lo, hi float64) float64 {
	return lo + (hi-lo)*unit(salt, s)
}

// templateRE turns a path template into a pattern for the paths that fill
// it. Greedy parameters ({proxy+}, {path...}, {*path}, {+name}) may take
// slashes; others take one segment or part of one.
func templateRE(template string) *regexp.Regexp {
	var b strings.Builder
	b.WriteString("^")
	rest := template
	for {
		open := strings.IndexByte(rest, '{')
		if open < 0 {
			break
		}
		end := strings.IndexByte(rest[open:], '}')
		if end < 0 {
			break
		}
		b.WriteString(regexp.QuoteMeta(rest[:open]))
		name := rest[open+1 : open+end]
		if strings.HasSuffix(name, "+") || strings.HasSuffix(name, "...") || strings.HasPrefix(name, "*") || strings.HasPrefix(name, "+") {
			b.WriteString(".+")
		} else {
			b.WriteString("[^/]+")
		}
		rest = rest[open+end+1:]
	}
	b.WriteString(regexp.QuoteMeta(strings.TrimSuffix(rest, "/")))
	b.WriteString("/?$")
	return regexp.MustCompile(b.String())
}
