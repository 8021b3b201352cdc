package main

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/steward-governance/steward/catalog"
	"github.com/steward-governance/steward/specs"
)

func TestSynthCatalogueIsDeterministicAndValid(t *testing.T) {
	const apis, perAPI = 60, 10
	build := func() []catalog.PlannedAPI {
		g := newSynthCatalogue(7, 5, perAPI)
		out := make([]catalog.PlannedAPI, apis)
		for i := range out {
			out[i] = g.nextAPI()
		}
		return out
	}
	first, second := build(), build()
	if !reflect.DeepEqual(first, second) {
		t.Fatal("the same seed gave two different catalogues")
	}
	slugs := map[string]bool{}
	for _, pa := range first {
		in := pa.API
		in.Normalize()
		if err := in.Validate(); err != nil {
			t.Errorf("api %s: %v", in.Slug, err)
		}
		if slugs[in.Slug] {
			t.Errorf("slug %s appears twice", in.Slug)
		}
		slugs[in.Slug] = true
		endpoints := 0
		for _, pv := range pa.Versions {
			parsed, err := specs.Parse(context.Background(), pv.Spec, specs.DefaultLimits())
			if err != nil {
				t.Fatalf("api %s %s: the spec does not parse: %v", in.Slug, pv.Version.Name, err)
			}
			endpoints += len(parsed.Endpoints)
			if _, ok := catalog.ParseStage(string(pv.Version.Stage)); !ok {
				t.Errorf("api %s %s: stage %q", in.Slug, pv.Version.Name, pv.Version.Stage)
			}
		}
		if endpoints != perAPI {
			t.Errorf("api %s: %d endpoints over its versions, want %d", in.Slug, endpoints, perAPI)
		}
	}
}

func TestPercentiles(t *testing.T) {
	ms := func(n int) time.Duration { return time.Duration(n) * time.Millisecond }
	var hundred []time.Duration
	for i := 100; i >= 1; i-- { // unsorted on purpose
		hundred = append(hundred, ms(i))
	}
	p := percentilesOf(hundred)
	if p.p50 != ms(50) || p.p95 != ms(95) || p.p99 != ms(99) {
		t.Errorf("percentiles of 1..100 ms = %s, %s, %s; want 50ms, 95ms, 99ms", p.p50, p.p95, p.p99)
	}
	if one := percentilesOf([]time.Duration{ms(7)}); one.p50 != ms(7) || one.p99 != ms(7) {
		t.Errorf("percentiles of one sample = %+v, want it everywhere", one)
	}
	if none := percentilesOf(nil); none != (percentiles{}) {
		t.Errorf("percentiles of no samples = %+v, want zero", none)
	}
}
