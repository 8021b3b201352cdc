// Package importer applies a catalogue plan (from Backstage files, a folder
// of specs, or the demo organisation) to the store: it validates every
// entry and parses every spec first, so a bad file stops the import before
// anything is written, then hands the whole plan to one transaction.
package importer

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/steward-governance/steward/catalog"
	"github.com/steward-governance/steward/models"
	"github.com/steward-governance/steward/specs"
)

// Store is what an import writes to; *models.Store implements it.
type Store interface {
	ApplyPlan(ctx context.Context, actor catalog.Actor, plan catalog.Plan, specs map[string]models.SpecUpload, demo bool) (*models.PlanResult, error)
}

// Problem is one entry of the plan that cannot be imported.
type Problem struct {
	Where   string // "team payments", "api orders v1 (specs/orders.yaml)"
	Message string
}

// Error lists every problem found, so a person fixes them in one pass.
type Error struct {
	Problems []Problem
}

// Error lists the problems, one per line.
func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "import: %d problem(s), nothing was imported:", len(e.Problems))
	for _, p := range e.Problems {
		fmt.Fprintf(&b, "\n  %s: %s", p.Where, p.Message)
	}
	return b.String()
}

// Unwrap makes errors.Is(err, catalog.ErrInvalid) true.
func (e *Error) Unwrap() error { return catalog.ErrInvalid }

// Apply validates and parses the plan, then stores it in one transaction.
func Apply(ctx context.Context, st Store, actor catalog.Actor, plan catalog.Plan, limits specs.Limits, demo bool) (*models.PlanResult, error) {
	var problems []Problem
	add := func(where string, err error) {
		var ve *catalog.ValidationError
		if errors.As(err, &ve) {
			for field, msg := range ve.Fields {
				problems = append(problems, Problem{Where: where, Message: field + " " + msg})
			}
			return
		}
		problems = append(problems, Problem{Where: where, Message: err.Error()})
	}
	teams := map[string]bool{}
	for i := range plan.Teams {
		t := &plan.Teams[i]
		t.Normalize()
		if err := t.Validate(); err != nil {
			add("team "+t.Slug, err)
		}
		teams[t.Slug] = true
	}
	uploads := map[string]models.SpecUpload{}
	seen := map[string]bool{}
	for i := range plan.APIs {
		pa := &plan.APIs[i]
		pa.API.Normalize()
		where := "api " + pa.API.Slug
		if err := pa.API.Validate(); err != nil {
			add(where, err)
		}
		if seen[pa.API.Slug] {
			add(where, errors.New("appears twice in the import"))
		}
		seen[pa.API.Slug] = true
		for j := range pa.Versions {
			pv := &pa.Versions[j]
			pv.Version.Normalize()
			vwhere := where + " " + pv.Version.Name
			if err := pv.Version.Validate(); err != nil {
				add(vwhere, err)
			}
			for k := range pv.Deployments {
				pv.Deployments[k].Normalize()
				if err := pv.Deployments[k].Validate(); err != nil {
					add(vwhere+" deployment", err)
				}
			}
			if pv.Spec == nil {
				continue
			}
			if pv.SpecName != "" {
				vwhere += " (" + pv.SpecName + ")"
			}
			parsed, err := specs.Parse(ctx, pv.Spec, limits)
			if err != nil {
				add(vwhere, err)
				continue
			}
			uploads[models.PlanKey(pa.API.Slug, pv.Version.Name)] = UploadOf(pv.Spec, parsed)
		}
	}
	if len(problems) > 0 {
		return nil, &Error{Problems: problems}
	}
	res, err := st.ApplyPlan(ctx, actor, plan, uploads, demo)
	if err != nil {
		return nil, fmt.Errorf("import: %w", err)
	}
	return res, nil
}

// UploadOf turns a parsed spec into what the store keeps.
func UploadOf(raw []byte, p *specs.Parsed) models.SpecUpload {
	up := models.SpecUpload{Content: raw, Hash: p.Hash, Format: string(p.Format), SpecVersion: p.SpecVersion, Title: p.Title}
	for _, e := range p.Endpoints {
		up.Endpoints = append(up.Endpoints, models.Endpoint{Method: e.Method, Path: e.Path, OperationID: e.OperationID, Summary: e.Summary, Deprecated: e.Deprecated})
	}
	return up
}
