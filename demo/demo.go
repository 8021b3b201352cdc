// Package demo builds Steward's demo organisation: the teams and APIs of
// Acme, a fictional company, made from real public OpenAPI descriptions
// shipped in specs/ (see specs/LICENSE-NOTES.md for where they come from).
//
// It is demo data. Steward seeds it on first start with an empty database so
// a new install has a catalogue to browse, score and search; every team,
// owner, stage, visibility and address in it is invented, and the plan's
// Source is "demo" so the audit log and the pages can say so.
package demo

import (
	"embed"
	"fmt"
	"hash/fnv"
	"io/fs"
	"path"
	"regexp"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/steward-governance/steward/catalog"
)

//go:embed specs
var specFS embed.FS

// specDir is the embedded folder holding the specs.
const specDir = "specs"

// Source is the Plan.Source of the demo organisation, so seeded content can
// be recognised as demo data.
const Source = "demo"

// maxDescription bounds the demo descriptions; some specs carry pages of
// documentation in info.description, which reads badly in a catalogue.
const maxDescription = 600

// Organisation returns the demo organisation as a plan: eight teams and one
// API per shipped spec, with versions spread over every lifecycle stage.
// It is deterministic: every call returns the same plan, so applying it on
// each start changes nothing once it has been applied.
func Organisation() (catalog.Plan, error) {
	entries, err := fs.ReadDir(specFS, specDir)
	if err != nil {
		return catalog.Plan{}, fmt.Errorf("demo: list specs: %w", err)
	}
	earlier := map[string]bool{}
	for _, files := range series {
		for _, f := range files {
			earlier[f] = true
		}
	}

	plan := catalog.Plan{Source: Source}
	for _, t := range teams {
		plan.Teams = append(plan.Teams, t.input)
	}
	taken := map[string]bool{}
	var specs []loaded
	for _, e := range entries {
		file := e.Name()
		if e.IsDir() || !isSpecFile(file) || earlier[file] {
			continue
		}
		spec, err := load(file)
		if err != nil {
			return catalog.Plan{}, err
		}
		plan.APIs = append(plan.APIs, catalog.PlannedAPI{API: apiInput(spec, taken)})
		specs = append(specs, spec)
	}

	rank := ranks(plan.APIs)
	for i := range plan.APIs {
		p, spec := &plan.APIs[i], specs[i]
		if earlier, ok := series[spec.file]; ok {
			if p.Versions, err = seriesVersions(p.API.Slug, earlier, spec); err != nil {
				return catalog.Plan{}, err
			}
			continue
		}
		p.Versions = scenarioVersions(p.API.Slug, spec, rank[p.API.Slug]*100/len(plan.APIs))
	}
	return plan, nil
}

// ranks orders the APIs by a hash of their slugs: a shuffle that is the
// same on every run, so cutting it into shares spreads the version
// scenarios over teams and gives each scenario exactly its share.
func ranks(apis []catalog.PlannedAPI) map[string]int {
	slugs := make([]string, len(apis))
	for i, a := range apis {
		slugs[i] = a.API.Slug
	}
	sort.Slice(slugs, func(i, j int) bool {
		hi, hj := hash("stage", slugs[i]), hash("stage", slugs[j])
		if hi != hj {
			return hi < hj
		}
		return slugs[i] < slugs[j]
	})
	rank := make(map[string]int, len(slugs))
	for i, s := range slugs {
		rank[s] = i
	}
	return rank
}

func isSpecFile(name string) bool {
	switch path.Ext(name) {
	case ".json", ".yaml", ".yml":
		return true
	}
	return false
}

// loaded is one embedded spec with what the demo read from it.
type loaded struct {
	file string
	data []byte
	info specInfo
}

func load(file string) (loaded, error) {
	data, err := specFS.ReadFile(path.Join(specDir, file))
	if err != nil {
		return loaded{}, fmt.Errorf("demo: read %s: %w", file, err)
	}
	si, err := readSpecInfo(file, data)
	if err != nil {
		return loaded{}, err
	}
	return loaded{file: file, data: data, info: si}, nil
}

// apiInput describes the API of one spec; taken holds the names and slugs
// already used.
func apiInput(spec loaded, taken map[string]bool) catalog.APIInput {
	file := spec.file
	name, slug := uniqueName(displayName(file, spec.info), file, taken)
	t := teamFor(wordSet(baseName(file), spec.info.Info.Title, name))
	return catalog.APIInput{
		Slug:        slug,
		Name:        name,
		Description: describe(file, spec.info, t),
		TeamSlug:    t.input.Slug,
		Kind:        catalog.KindREST,
		Visibility:  visibilityFor(slug, t),
		Tags:        tagsFor(file, spec.info, t),
		Links: []catalog.Link{
			{Title: "Runbook", URL: "https://runbooks.example.com/" + t.input.Slug + "/" + slug},
			{Title: "Repository", URL: "https://git.example.com/" + t.input.Slug + "/" + slug},
		},
	}
}

// step is one version of a scenario, oldest first.
type step struct {
	stage    catalog.Stage
	withSpec bool
}

// scenarioFor picks the version history of the API at a percentile of the
// shuffled list. Most APIs have one production version; the rest cover
// every other stage.
func scenarioFor(percentile int) []step {
	prod := step{catalog.StageProduction, true}
	switch h := percentile; {
	case h < 58:
		return []step{prod}
	case h < 66:
		return []step{{catalog.StageDeprecated, true}, prod}
	case h < 71:
		return []step{{catalog.StageRetired, false}, prod}
	case h < 74:
		return []step{{catalog.StageRetired, false}, {catalog.StageDeprecated, true}, prod}
	case h < 79:
		return []step{prod, {catalog.StagePreview, true}}
	case h < 84:
		return []step{{catalog.StageTesting, true}}
	case h < 89:
		return []step{{catalog.StageDevelopment, true}}
	case h < 94:
		return []step{{catalog.StageDesign, true}}
	default:
		return []step{{catalog.StagePreview, true}}
	}
}

func scenarioVersions(slug string, spec loaded, percentile int) []catalog.PlannedVersion {
	var out []catalog.PlannedVersion
	for i, s := range scenarioFor(percentile) {
		v := catalog.PlannedVersion{
			Version:     catalog.VersionInput{Name: fmt.Sprintf("v%d", i+1), Stage: s.stage},
			Deployments: deployments(slug, spec.info, s.stage),
		}
		if s.withSpec {
			v.Spec, v.SpecName = spec.data, spec.file
		}
		out = append(out, v)
	}
	return out
}

// seriesVersions makes the newest spec the production version and the
// earlier ones deprecated (the one just before) or retired (older still).
func seriesVersions(slug string, earlier []string, newest loaded) ([]catalog.PlannedVersion, error) {
	specs := make([]loaded, 0, len(earlier)+1)
	for _, f := range earlier {
		s, err := load(f)
		if err != nil {
			return nil, err
		}
		specs = append(specs, s)
	}
	specs = append(specs, newest)
	var out []catalog.PlannedVersion
	for i, s := range specs {
		stage := catalog.StageProduction
		switch {
		case i == len(specs)-2:
			stage = catalog.StageDeprecated
		case i < len(specs)-2:
			stage = catalog.StageRetired
		}
		out = append(out, catalog.PlannedVersion{
			Version:     catalog.VersionInput{Name: fmt.Sprintf("v%d", i+1), Stage: stage},
			Deployments: deployments(slug, s.info, stage),
			Spec:        s.data,
			SpecName:    s.file,
		})
	}
	return out, nil
}

// deployments places a version by its stage: live versions run in
// production and staging, pre-release ones in staging or a development
// environment, and design or retired versions run nowhere.
func deployments(slug string, si specInfo, stage catalog.Stage) []catalog.DeploymentInput {
	production, staging := si.baseURLs()
	if production == "" {
		production = "https://" + slug + ".api.example.com"
	}
	if staging == "" {
		// A made-up host under example.com: inventing subdomains of the
		// real providers' domains would point at machines nobody owns.
		staging = "https://" + slug + ".staging.example.com"
	}
	switch stage {
	case catalog.StageProduction, catalog.StageDeprecated:
		return []catalog.DeploymentInput{
			{Environment: "production", BaseURL: production},
			{Environment: "staging", BaseURL: staging},
		}
	case catalog.StagePreview, catalog.StageTesting:
		return []catalog.DeploymentInput{{Environment: "staging", BaseURL: staging}}
	case catalog.StageDevelopment:
		return []catalog.DeploymentInput{{Environment: "development", BaseURL: "https://" + slug + ".dev.example.com"}}
	}
	return nil
}

// visibilityFor keeps most APIs internal; Partner Integrations mostly
// faces partners.
func visibilityFor(slug string, t team) catalog.Visibility {
	h := hash("visibility", slug) % 100
	if t.input.Slug == "partner-integrations" {
		switch {
		case h < 55:
			return catalog.VisibilityPartner
		case h < 75:
			return catalog.VisibilityPublic
		}
		return catalog.VisibilityInternal
	}
	switch {
	case h < 12:
		return catalog.VisibilityPublic
	case h < 27:
		return catalog.VisibilityPartner
	}
	return catalog.VisibilityInternal
}

func hash(salt, s string) uint32 {
	h := fnv.New32a()
	h.Write([]byte(salt + ":" + s))
	return h.Sum32()
}

// baseName is the file name without its extension.
func baseName(file string) string {
	return strings.TrimSuffix(file, path.Ext(file))
}

// provider is the part of a file name before "__": the API's publisher.
func provider(file string) string {
	p, _, _ := strings.Cut(baseName(file), "__")
	return p
}

func isReadMeExample(file string) bool {
	return strings.HasPrefix(file, "readme-oas")
}

// displayName is the demo name of a spec: its override, else its title
// with whitespace collapsed and a trailing "Client" dropped, else its file name.
func displayName(file string, si specInfo) string {
	if n, ok := names[file]; ok {
		return n
	}
	n := strings.Join(strings.Fields(si.Info.Title), " ")
	n = strings.TrimSuffix(n, " Client")
	if n == "" {
		n = baseName(file)
	}
	if utf8.RuneCountInString(n) > catalog.MaxNameLength-10 {
		n = string([]rune(n)[:catalog.MaxNameLength-10])
	}
	return n
}

// uniqueName makes name and its slug unique among taken, first by naming
// the spec's service, then by counting.
func uniqueName(name, file string, taken map[string]bool) (string, string) {
	free := func(n string) bool {
		return !taken["name:"+strings.ToLower(n)] && !taken["slug:"+catalog.Slugify(n)]
	}
	candidate := name
	if !free(candidate) {
		if _, service, ok := strings.Cut(baseName(file), "__"); ok {
			candidate = name + " (" + service + ")"
		}
	}
	for i := 2; !free(candidate); i++ {
		candidate = fmt.Sprintf("%s %d", name, i)
	}
	taken["name:"+strings.ToLower(candidate)] = true
	taken["slug:"+catalog.Slugify(candidate)] = true
	return candidate, catalog.Slugify(candidate)
}

// wordSet is every lower-case word of the texts and of their camelCase parts.
func wordSet(texts ...string) map[string]bool {
	set := map[string]bool{}
	for _, w := range catalog.IndexTerms(texts...) {
		set[w] = true
	}
	return set
}

// describe shortens the spec's description, or says where the API comes
// from when the spec has none.
func describe(file string, si specInfo, t team) string {
	if d := summarize(si.Info.Description, maxDescription); d != "" {
		return d
	}
	if isReadMeExample(file) {
		return "Run by " + t.input.Name + ". Its contract is one of ReadMe's public OpenAPI examples."
	}
	return "Run by " + t.input.Name + ". Its contract is a public OpenAPI description from the APIs.guru directory (" + provider(file) + ")."
}

// summarize keeps the leading paragraphs of a markdown text that fit in max
// runes, up to its first heading, cutting the first paragraph at a sentence
// or word when it alone is longer.
func summarize(s string, max int) string {
	s = strings.TrimSpace(strings.ReplaceAll(s, "\r\n", "\n"))
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	var kept []string
	size := 0
	for _, p := range strings.Split(s, "\n\n") {
		p = strings.TrimSpace(p)
		if p == "" {
			continue
		}
		n := utf8.RuneCountInString(p)
		// The introduction ends at the first heading.
		if size+n+2 > max || len(kept) > 0 && strings.HasPrefix(p, "#") {
			break
		}
		kept = append(kept, p)
		size += n + 2
	}
	out := strings.Join(kept, "\n\n")
	if out == "" {
		cut := string([]rune(s)[:max-1])
		if i := strings.LastIndex(cut, ". "); i > max/2 {
			out = cut[:i+1]
		} else {
			if i := strings.LastIndexAny(cut, " \n"); i > 0 {
				cut = cut[:i]
			}
			out = strings.TrimSpace(cut) + "…"
		}
	}
	// Close a code fence the cut left open, so the rest of the page is not
	// rendered as code.
	if strings.Count(out, "```")%2 == 1 {
		out += "\n```"
	}
	return out
}

// providerTags names the publishers whose domain makes a poor tag.
var providerTags = map[string]string{
	"amazonaws.com":  "aws",
	"azure.com":      "azure",
	"microsoft.com":  "azure",
	"googleapis.com": "google-cloud",
	"apisetu.gov.in": "api-setu",
}

func providerTag(file string) string {
	if isReadMeExample(file) {
		return "sample"
	}
	p := provider(file)
	if t, ok := providerTags[p]; ok {
		return t
	}
	first, _, _ := strings.Cut(p, ".")
	return first
}

// specTag accepts a spec's own tag as an API tag when it is a plain word or
// two, not an operation group such as "IpMessagingV2Binding" or "default".
var specTag = regexp.MustCompile(`^[A-Za-z][a-z]+( [A-Za-z][a-z]+)?$`)

var boringTags = map[string]bool{
	"default": true, "general": true, "info": true, "misc": true, "other": true,
	"projects": true, "operations": true, "execute": true, "data": true, "management": true,
	"metadata": true, "quirks": true, "enums": true, "status": true, "content": true,
	"batch": true, "changess": true, "attachment": true,
}

// tagsFor gives an API two to five tags: its team's topic, its publisher,
// the directory's categories and up to two of the spec's own tags.
func tagsFor(file string, si specInfo, t team) []string {
	candidates := []string{t.topic, providerTag(file)}
	// The directory files every Google API under "analytics" and "media",
	// and Google's spec tags are resource collections, not topics.
	google := provider(file) == "googleapis.com"
	if !google {
		for _, c := range si.Info.Categories {
			candidates = append(candidates, strings.ReplaceAll(c, "_", "-"))
		}
	}
	own := 0
	for _, st := range si.Tags {
		if !google && own < 2 && specTag.MatchString(st.Name) && !boringTags[strings.ToLower(st.Name)] {
			candidates = append(candidates, st.Name)
			own++
		}
	}
	var tags []string
	seen := map[string]bool{}
	for _, c := range candidates {
		// NormalizeTags of one tag spells it the way the catalogue will.
		for _, n := range catalog.NormalizeTags([]string{c}) {
			if len(tags) < 5 && !seen[n] {
				seen[n] = true
				tags = append(tags, n)
			}
		}
	}
	return catalog.NormalizeTags(tags)
}
