package backstage

import (
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"

	"github.com/steward-governance/steward/catalog"
	"gopkg.in/yaml.v3"
)

// specHead is what the spec-folder import reads of an OpenAPI description.
// x-owner, x-lifecycle and x-stage may sit at the top level or in info.
type specHead struct {
	OpenAPI   string `yaml:"openapi"`
	Swagger   string `yaml:"swagger"`
	Owner     string `yaml:"x-owner"`
	Lifecycle string `yaml:"x-lifecycle"`
	Stage     string `yaml:"x-stage"`
	Info      struct {
		Title       string `yaml:"title"`
		Description string `yaml:"description"`
		Version     string `yaml:"version"`
		Owner       string `yaml:"x-owner"`
		Lifecycle   string `yaml:"x-lifecycle"`
		Stage       string `yaml:"x-stage"`
	} `yaml:"info"`
}

// ReadSpecFolder reads every *.json, *.yaml and *.yml file under root that
// has a top-level openapi or swagger field as an API: named by info.title
// (or the file name), owned by the team in x-owner (top level or in info)
// or else by defaultOwner, with one version named by the major number of
// info.version ("1.2.3" → "v1") at the stage in x-lifecycle or x-stage
// (design when absent). Files whose title and version major match merge
// into one API with several versions. A spec with no owner at all is
// skipped with a Warning. The plan has no teams: owners must exist already.
func ReadSpecFolder(fsys fs.FS, root string, defaultOwner string) (catalog.Plan, []Warning, error) {
	fallback := ""
	if strings.TrimSpace(defaultOwner) != "" {
		slug, problem, _ := ownerTeam(defaultOwner)
		if problem != "" {
			return catalog.Plan{}, nil, fmt.Errorf("backstage: default %s", problem)
		}
		fallback = slug
	}
	w, err := newWalker(fsys, root)
	if err != nil {
		return catalog.Plan{}, nil, err
	}
	files, err := w.list(func(name string) bool {
		switch path.Ext(name) {
		case ".json", ".yaml", ".yml":
			return true
		}
		return false
	})
	if err != nil {
		return catalog.Plan{}, nil, err
	}

	plan := catalog.Plan{Source: "import " + w.root}
	index := map[string]int{}          // API slug → position in plan.APIs
	versionFile := map[string]string{} // slug + " " + version → file
	for _, file := range files {
		api, ok, err := w.specAPI(file, fallback)
		if err != nil {
			return catalog.Plan{}, nil, err
		}
		if !ok {
			continue
		}
		v := api.Versions[0]
		key := api.API.Slug + " " + v.Version.Name
		if first, dup := versionFile[key]; dup {
			w.warn(file, 0, "skipped: %s describes the same API (%s) and version (%s)", first, api.API.Slug, v.Version.Name)
			continue
		}
		versionFile[key] = file
		if i, ok := index[api.API.Slug]; ok {
			existing := &plan.APIs[i]
			if existing.API.TeamSlug != api.API.TeamSlug {
				w.warn(file, 0, "owner %s differs from %s's %s; the API keeps %s", api.API.TeamSlug, existing.Versions[0].SpecName, existing.API.TeamSlug, existing.API.TeamSlug)
			}
			existing.Versions = append(existing.Versions, v)
			continue
		}
		index[api.API.Slug] = len(plan.APIs)
		plan.APIs = append(plan.APIs, api)
	}
	sort.Slice(plan.APIs, func(i, j int) bool { return plan.APIs[i].API.Slug < plan.APIs[j].API.Slug })
	for _, a := range plan.APIs {
		sort.SliceStable(a.Versions, func(i, j int) bool { return a.Versions[i].Version.Name < a.Versions[j].Version.Name })
	}
	return plan, w.warnings, nil
}

// specAPI reads one file; ok is false for files that are not OpenAPI
// descriptions or that were skipped with a Warning.
func (w *walker) specAPI(file, fallbackOwner string) (api catalog.PlannedAPI, ok bool, err error) {
	data, err := w.read(file)
	if err != nil {
		return api, false, fmt.Errorf("backstage: read %s: %w", file, err)
	}
	if data == nil {
		return api, false, nil
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		// Only a file that seems to be a spec is worth a word.
		if strings.Contains(string(data), "openapi") || strings.Contains(string(data), "swagger") {
			fe := fileError(file, 0, err)
			w.warn(file, fe.Line, "skipped: not valid JSON or YAML: %v", err)
		}
		return api, false, nil
	}
	if find(&doc, "openapi") == nil && find(&doc, "swagger") == nil {
		return api, false, nil
	}
	if err := checkAliases(file, &doc); err != nil {
		return api, false, err
	}
	var head specHead
	if err := doc.Decode(&head); err != nil {
		w.warn(file, typeErrorLine(err, 0), "skipped: %s", typeErrorMessage(err))
		return api, false, nil
	}

	team := fallbackOwner
	ownerRef, ownerLine := head.Owner, lineOf(&doc, "x-owner")
	if strings.TrimSpace(ownerRef) == "" {
		ownerRef, ownerLine = head.Info.Owner, lineOf(&doc, "info", "x-owner")
	}
	if strings.TrimSpace(ownerRef) != "" {
		slug, problem, _ := ownerTeam(ownerRef)
		if problem != "" {
			w.warn(file, ownerLine, "%s", problem)
		} else {
			team = slug
		}
	}
	if team == "" {
		w.warn(file, 0, "skipped: no owner; add x-owner: TEAM to the spec or pass a default owner")
		return api, false, nil
	}

	name := strings.Join(strings.Fields(head.Info.Title), " ")
	if name == "" {
		name = strings.TrimSuffix(path.Base(file), path.Ext(file))
	}
	name = truncate(name, catalog.MaxNameLength)
	in := catalog.APIInput{
		Slug:        catalog.Slugify(name),
		Name:        name,
		Description: truncate(strings.TrimSpace(head.Info.Description), catalog.MaxDescriptionLength),
		TeamSlug:    team,
		Kind:        catalog.KindREST,
	}
	in.Normalize()
	if err := in.Validate(); err != nil {
		w.warn(file, lineOf(&doc, "info", "title"), "skipped: %v", err)
		return api, false, nil
	}

	stage := catalog.StageDesign
	for _, c := range []struct {
		value string
		keys  []string
	}{
		{head.Lifecycle, []string{"x-lifecycle"}},
		{head.Stage, []string{"x-stage"}},
		{head.Info.Lifecycle, []string{"info", "x-lifecycle"}},
		{head.Info.Stage, []string{"info", "x-stage"}},
	} {
		if strings.TrimSpace(c.value) == "" {
			continue
		}
		if s, known := stageFor(c.value); known {
			stage = s
		} else {
			w.warn(file, lineOf(&doc, c.keys...), "stage %q is not a Steward stage; design applies", c.value)
		}
		break
	}

	version := catalog.VersionInput{Name: versionName(head.Info.Version), Stage: stage}
	version.Normalize()
	pv := catalog.PlannedVersion{Version: version, Spec: data, SpecName: file}
	return catalog.PlannedAPI{API: in, Versions: []catalog.PlannedVersion{pv}}, true, nil
}
