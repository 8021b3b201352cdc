package demotraffic

import (
	"encoding/json"
	"maps"
	"net/url"
	"path"
	"slices"
	"strings"
	"sync"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/steward-governance/steward/catalog"
	"github.com/steward-governance/steward/demo"
)

// demoCatalogue is the real demo organisation as the lead's database would
// hand it over: every version with its deployments, base path and
// documented operations, read from the shipped specs.
var demoCatalogue = sync.OnceValues(func() ([]Version, error) {
	plan, err := demo.Organisation()
	if err != nil {
		return nil, err
	}
	var out []Version
	for _, a := range plan.APIs {
		for _, pv := range a.Versions {
			v := Version{API: a.API.Slug, Name: pv.Version.Name, Stage: pv.Version.Stage}
			for _, d := range pv.Deployments {
				v.Deployments = append(v.Deployments, Deployment{Environment: d.Environment, BaseURL: d.BaseURL})
			}
			if pv.Spec != nil {
				if v.BasePath, v.Operations, err = readSpec(pv.SpecName, pv.Spec); err != nil {
					return nil, err
				}
			}
			out = append(out, v)
		}
	}
	return out, nil
})

func loadDemoCatalogue(t testing.TB) []Version {
	t.Helper()
	c, err := demoCatalogue()
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// specPaths is the little of a spec the tests need.
type specPaths struct {
	Servers []struct {
		URL       string `json:"url" yaml:"url"`
		Variables map[string]struct {
			Default any `json:"default" yaml:"default"`
		} `json:"variables" yaml:"variables"`
	} `json:"servers" yaml:"servers"`
	BasePath string                    `json:"basePath" yaml:"basePath"`
	Paths    map[string]map[string]any `json:"paths" yaml:"paths"`
}

var specMethods = []string{"get", "put", "post", "delete", "options", "head", "patch", "trace"}

// readSpec returns a spec's base path (its first server's path, or
// Swagger's basePath) and its operations, in a stable order.
func readSpec(name string, data []byte) (string, []Operation, error) {
	var s specPaths
	var err error
	if path.Ext(name) == ".json" {
		err = json.Unmarshal(data, &s)
	} else {
		err = yaml.Unmarshal(data, &s)
	}
	if err != nil {
		return "", nil, err
	}
	base := s.BasePath
	if len(s.Servers) > 0 {
		raw := s.Servers[0].URL
		for k, v := range s.Servers[0].Variables {
			if v.Default != nil {
				raw = strings.ReplaceAll(raw, "{"+k+"}", strings.TrimSpace(toString(v.Default)))
			}
		}
		if u, err := url.Parse(raw); err == nil {
			base = u.Path
		}
	}
	var ops []Operation
	for _, p := range slices.Sorted(maps.Keys(s.Paths)) {
		for _, m := range specMethods {
			if _, ok := s.Paths[p][m]; ok {
				ops = append(ops, Operation{Method: strings.ToUpper(m), Path: p})
			}
		}
	}
	return base, ops, nil
}

func toString(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// smallCatalogue is a hand-made catalogue for the quick tests.
func smallCatalogue() []Version {
	pets := []Operation{
		{"GET", "/pets"}, {"POST", "/pets"}, {"GET", "/pets/{petId}"}, {"DELETE", "/pets/{petId}"},
		{"GET", "/pets/mine"}, {"GET", "/owners/{ownerId}/pets"},
	}
	orders := []Operation{
		{"GET", "/orders"}, {"POST", "/orders"}, {"GET", "/orders/{orderId}"},
		{"PATCH", "/orders/{orderId}"}, {"GET", "/orders/{orderId}/items"},
	}
	var out []Version
	for _, a := range []string{"pets", "orders", "users", "billing", "search", "catalog", "stock", "shipping"} {
		ops := pets
		if len(a)%2 == 0 {
			ops = orders
		}
		out = append(out, Version{API: a, Name: "v1", Stage: catalog.StageProduction, BasePath: "/v1", Operations: ops,
			Deployments: []Deployment{
				{"production", "https://" + a + ".api.example.com"},
				{"staging", "https://" + a + ".staging.example.com:8443/v1"},
			}})
	}
	out = append(out,
		Version{API: "pets", Name: "v2", Stage: catalog.StagePreview, Operations: pets,
			Deployments: []Deployment{{"staging", "https://pets.staging.example.com/v2"}}},
		Version{API: "legacy", Name: "v1", Stage: catalog.StageDeprecated, Operations: orders,
			Deployments: []Deployment{{"production", "http://legacy.example.com/api"}}},
		Version{API: "draft", Name: "v1", Stage: catalog.StageDesign, Operations: orders},
		Version{API: "retired", Name: "v1", Stage: catalog.StageRetired, Operations: orders},
		Version{API: "dev", Name: "v1", Stage: catalog.StageDevelopment, Operations: orders,
			Deployments: []Deployment{{"development", "https://dev.dev.example.com"}}},
	)
	return out
}
