package main

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"

	"github.com/steward-governance/steward/catalog"
)

// synthCatalogue makes a deterministic synthetic catalogue: the same seed
// and sizes always give the same teams, APIs, versions and specs, in the
// same order.
type synthCatalogue struct {
	r               *rand.Rand
	endpointsPerAPI int
	teams           []catalog.TeamInput
	slugs           map[string]bool
}

func newSynthCatalogue(seed uint64, teams, endpointsPerAPI int) *synthCatalogue {
	g := &synthCatalogue{r: rand.New(rand.NewPCG(seed, seed^0x5eed)), endpointsPerAPI: endpointsPerAPI, slugs: map[string]bool{}}
	g.teams = teamInputs(teams)
	return g
}

// teamInputs names n teams "Checkout Squad", "Fulfilment Squad", ...
func teamInputs(n int) []catalog.TeamInput {
	out := make([]catalog.TeamInput, n)
	for i := range out {
		name := teamAreas[i%len(teamAreas)] + " " + teamGroups[(i/len(teamAreas))%len(teamGroups)]
		if i >= len(teamAreas)*len(teamGroups) {
			name += fmt.Sprintf(" %d", i/(len(teamAreas)*len(teamGroups))+1)
		}
		slug := catalog.Slugify(name)
		out[i] = catalog.TeamInput{
			Slug: slug, Name: name,
			Description: "Owns the " + strings.ToLower(teamAreas[i%len(teamAreas)]) + " services and their APIs.",
			Contact:     slug + "@example.com",
		}
	}
	return out
}

// skewed returns an index below n, small indexes far more often than large
// ones, as real ownership and tagging are.
func (g *synthCatalogue) skewed(n int) int {
	return int(float64(n) * math.Pow(g.r.Float64(), 2))
}

// pick returns one of weights' indexes with probability proportional to
// its weight.
func (g *synthCatalogue) pick(weights ...int) int {
	total := 0
	for _, w := range weights {
		total += w
	}
	x := g.r.IntN(total)
	for i, w := range weights {
		if x < w {
			return i
		}
		x -= w
	}
	return len(weights) - 1
}

// nextAPI makes the next API of the catalogue with its versions and specs.
func (g *synthCatalogue) nextAPI() catalog.PlannedAPI {
	var (
		d          noun
		qual, name string
	)
	for try := 0; ; try++ {
		d = domains[g.r.IntN(len(domains))]
		qual = qualifiers[g.r.IntN(len(qualifiers))]
		suffix := suffixes[g.r.IntN(len(suffixes))]
		name = title(d.plural) + " " + suffix
		if g.r.IntN(10) >= 3 {
			name = qual + " " + name
		}
		if try > 20 {
			name += fmt.Sprintf(" %d", len(g.slugs))
		}
		if !g.slugs[catalog.Slugify(name)] {
			break
		}
	}
	slug := catalog.Slugify(name)
	g.slugs[slug] = true
	team := g.teams[g.skewed(len(g.teams))]

	var desc []string
	for _, i := range g.r.Perm(len(descriptionLines))[:1+g.r.IntN(3)] {
		desc = append(desc, fmt.Sprintf(descriptionLines[i], d.plural, d.singular, qual))
	}
	var apiTags []string
	for range 1 + g.r.IntN(4) {
		apiTags = append(apiTags, tags[g.skewed(len(tags))])
	}
	in := catalog.APIInput{
		Slug: slug, Name: name, Description: strings.Join(desc, " "), TeamSlug: team.Slug,
		Kind:       []catalog.Kind{catalog.KindREST, catalog.KindGRPC, catalog.KindGraphQL}[g.pick(88, 8, 4)],
		Visibility: []catalog.Visibility{catalog.VisibilityInternal, catalog.VisibilityPartner, catalog.VisibilityPublic}[g.pick(60, 25, 15)],
		Tags:       apiTags,
		Links: []catalog.Link{
			{Title: "Repository", URL: "https://git.example.com/" + team.Slug + "/" + slug},
			{Title: "Runbook", URL: "https://runbooks.example.com/" + slug},
		},
	}

	ops := g.operations(d)
	pa := catalog.PlannedAPI{API: in}
	if g.r.IntN(10) < 6 {
		stage := catalog.Stages[g.pick(8, 12, 8, 7, 50, 10, 5)]
		pa.Versions = []catalog.PlannedVersion{g.version(in, "v1", stage, ops[:g.endpointsPerAPI])}
	} else {
		// The newer version keeps the older one's operations and adds more;
		// together they hold endpointsPerAPI endpoints.
		older := g.endpointsPerAPI * 2 / 5
		olderStage := []catalog.Stage{catalog.StageProduction, catalog.StageDeprecated, catalog.StageRetired}[g.pick(40, 40, 20)]
		newerStage := []catalog.Stage{catalog.StageProduction, catalog.StagePreview, catalog.StageTesting, catalog.StageDevelopment, catalog.StageDesign}[g.pick(50, 15, 10, 15, 10)]
		pa.Versions = []catalog.PlannedVersion{
			g.version(in, "v1", olderStage, ops[:older]),
			g.version(in, "v2", newerStage, ops[:g.endpointsPerAPI-older]),
		}
	}
	return pa
}

// version makes one version with the deployments its stage implies and a
// small OpenAPI 3.0 document declaring ops.
func (g *synthCatalogue) version(api catalog.APIInput, name string, stage catalog.Stage, ops []operation) catalog.PlannedVersion {
	host := api.Slug + ".api.example.com"
	v := catalog.PlannedVersion{Version: catalog.VersionInput{Name: name, Stage: stage}, SpecName: api.Slug + "-" + name + ".json"}
	switch stage {
	case catalog.StageProduction, catalog.StageDeprecated:
		v.Deployments = []catalog.DeploymentInput{
			{Environment: "production", BaseURL: "https://" + host + "/" + name},
			{Environment: "staging", BaseURL: "https://staging." + host + "/" + name},
		}
	case catalog.StageTesting, catalog.StagePreview:
		v.Deployments = []catalog.DeploymentInput{{Environment: "staging", BaseURL: "https://staging." + host + "/" + name}}
	case catalog.StageDevelopment:
		v.Deployments = []catalog.DeploymentInput{{Environment: "dev", BaseURL: "https://dev." + host + "/" + name}}
	}
	v.Spec = openAPIDocument(api, name, "https://"+host+"/"+name, stage == catalog.StageDeprecated || stage == catalog.StageRetired, ops)
	return v
}

// operation is one endpoint of a synthetic API.
type operation struct {
	method, path, operationID, summary, tag string
	pathParam                               string // "" when the path has none
}

// operations lists an API's endpoints, most basic first: CRUD on its main
// object, then sub-resources and actions in an order of its own, then the
// same for a second object if more are needed.
func (g *synthCatalogue) operations(main noun) []operation {
	var ops []operation
	for n := main; len(ops) < g.endpointsPerAPI; n = domains[g.r.IntN(len(domains))] {
		base := "/" + n.plural
		id := camel(n.singular) + "Id"
		item := base + "/{" + id + "}"
		S, P := title(n.singular), title(n.plural)
		ops = append(ops,
			operation{"GET", base, "list" + P, "List " + n.plural, n.plural, ""},
			operation{"POST", base, "create" + S, "Create a " + n.singular, n.plural, ""},
			operation{"GET", item, "get" + S, "Get a " + n.singular + " by id", n.plural, id},
			operation{"PATCH", item, "update" + S, "Update a " + n.singular, n.plural, id},
			operation{"DELETE", item, "delete" + S, "Delete a " + n.singular, n.plural, id},
		)
		for _, i := range g.r.Perm(len(subResources))[:4] {
			sub := subResources[i]
			ops = append(ops,
				operation{"GET", item + "/" + sub, "list" + S + title(sub), "List the " + sub + " of a " + n.singular, n.plural, id},
				operation{"POST", item + "/" + sub, "add" + S + title(sub), "Add to the " + sub + " of a " + n.singular, n.plural, id})
		}
		for _, i := range g.r.Perm(len(actions))[:3] {
			a := actions[i]
			ops = append(ops, operation{"POST", item + "/" + a, a + S, title(a) + " a " + n.singular, n.plural, id})
		}
	}
	return ops
}

// openAPIDocument writes a small but valid OpenAPI 3.0.3 document, indented
// as spec files usually are, so stored revisions look like real uploads.
func openAPIDocument(api catalog.APIInput, version, server string, deprecated bool, ops []operation) []byte {
	type obj = map[string]any
	paths := obj{}
	var tagNames []string
	for i, op := range ops {
		o := obj{
			"operationId": op.operationID,
			"summary":     op.summary,
			"tags":        []string{op.tag},
			"responses": obj{
				"200":     obj{"description": "OK", "content": obj{"application/json": obj{"schema": obj{"type": "object"}}}},
				"default": obj{"description": "An error, as application/problem+json"},
			},
		}
		if op.pathParam != "" {
			o["parameters"] = []obj{{"name": op.pathParam, "in": "path", "required": true, "schema": obj{"type": "string"}}}
		}
		if deprecated && i%3 == 0 {
			o["deprecated"] = true
		}
		p, _ := paths[op.path].(obj)
		if p == nil {
			p = obj{}
			paths[op.path] = p
		}
		p[strings.ToLower(op.method)] = o
		if len(tagNames) == 0 || tagNames[len(tagNames)-1] != op.tag {
			tagNames = append(tagNames, op.tag)
		}
	}
	var tagObjs []obj
	seen := map[string]bool{}
	for _, t := range tagNames {
		if !seen[t] {
			seen[t] = true
			tagObjs = append(tagObjs, obj{"name": t})
		}
	}
	doc := obj{
		"openapi": "3.0.3",
		"info":    obj{"title": api.Name, "version": strings.TrimPrefix(version, "v") + ".0.0", "description": api.Description},
		"servers": []obj{{"url": server}},
		"tags":    tagObjs,
		"paths":   paths,
	}
	b, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		panic(err) // maps of strings and slices always marshal
	}
	return b
}

// title upper-cases the first letter: "payments" → "Payments".
func title(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// camel is title's opposite, for identifiers such as "paymentId".
func camel(s string) string {
	if s == "" {
		return s
	}
	return strings.ToLower(s[:1]) + s[1:]
}
