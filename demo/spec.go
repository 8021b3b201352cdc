package demo

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/url"
	"path"
	"regexp"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"
)

// specInfo is the little of an OpenAPI description the demo reads to name,
// describe, tag and deploy an API; the spec itself is parsed by the importer.
type specInfo struct {
	Info struct {
		Title       string   `json:"title" yaml:"title"`
		Description string   `json:"description" yaml:"description"`
		Categories  []string `json:"x-apisguru-categories" yaml:"x-apisguru-categories"`
	} `json:"info" yaml:"info"`
	Tags []struct {
		Name string `json:"name" yaml:"name"`
	} `json:"tags" yaml:"tags"`
	Servers []server `json:"servers" yaml:"servers"`
	// Swagger 2.0 states its address in three fields.
	Host     string   `json:"host" yaml:"host"`
	BasePath string   `json:"basePath" yaml:"basePath"`
	Schemes  []string `json:"schemes" yaml:"schemes"`
}

// server is an OpenAPI 3 server entry; variables fill its URL template.
type server struct {
	URL       string                    `json:"url" yaml:"url"`
	Variables map[string]serverVariable `json:"variables" yaml:"variables"`
}

type serverVariable struct {
	Default any `json:"default" yaml:"default"`
}

// readSpecInfo decodes JSON with encoding/json, which is several times
// faster than yaml.v3 on the larger specs, and YAML with yaml.v3.
func readSpecInfo(name string, data []byte) (specInfo, error) {
	var si specInfo
	var err error
	if path.Ext(name) == ".json" {
		err = json.Unmarshal(data, &si)
	} else {
		err = yaml.Unmarshal(data, &si)
	}
	if err != nil {
		return si, fmt.Errorf("demo: read %s: %w", name, err)
	}
	return si, nil
}

// baseURLs returns the spec's production address and, when the spec names
// one, its sandbox address; either is empty when the spec gives none usable.
func (si specInfo) baseURLs() (production, sandbox string) {
	var candidates []string
	for _, s := range si.Servers {
		raw := s.URL
		for _, name := range slices.Sorted(maps.Keys(s.Variables)) {
			if d := s.Variables[name].Default; d != nil {
				raw = strings.ReplaceAll(raw, "{"+name+"}", fmt.Sprint(d))
			}
		}
		candidates = append(candidates, raw)
	}
	if si.Host != "" {
		scheme := "https"
		if len(si.Schemes) > 0 && !slices.Contains(si.Schemes, "https") {
			scheme = si.Schemes[0]
		}
		candidates = append(candidates, scheme+"://"+si.Host+si.BasePath)
	}

	var usable []string
	for _, c := range candidates {
		if u := usableURL(c); u != "" {
			usable = append(usable, u)
		}
	}
	// Prefer https where a spec lists the same address over http and https.
	for _, u := range usable {
		if isSandbox(u) {
			if sandbox == "" {
				sandbox = u
			}
			continue
		}
		if production == "" || strings.HasPrefix(production, "http://") && strings.HasPrefix(u, "https://") {
			production = u
		}
	}
	return production, sandbox
}

var sandboxWords = regexp.MustCompile(`(^|[^a-z])(sandbox|test|staging)([^a-z]|$)`)

func isSandbox(u string) bool {
	return sandboxWords.MatchString(strings.ToLower(u))
}

// usableURL turns a server entry into an absolute http(s) URL without a
// trailing slash, or "" for relative URLs, unresolved variables and the
// placeholder hosts (*.local, localhost) the directory uses when a provider
// published no address.
func usableURL(raw string) string {
	if strings.HasPrefix(raw, "//") {
		raw = "https:" + raw
	}
	if strings.ContainsAny(raw, "{}") {
		return ""
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return ""
	}
	host := u.Hostname()
	if host == "localhost" || strings.HasSuffix(host, ".local") || strings.HasSuffix(host, ".external") {
		return ""
	}
	// A base path variable that starts with "/" after a server URL ending in
	// "/" leaves a double slash.
	if u.Path != "" {
		u.Path, u.RawPath = path.Clean(u.Path), ""
	}
	return strings.TrimRight(u.String(), "/")
}
