package rules

import (
	"context"
	"sort"
	"testing"
	"time"

	"github.com/steward-governance/steward/rules/doc"
	"github.com/steward-governance/steward/rules/jsonpath"
)

func TestZZRuleTimes(t *testing.T) {
	src := largeSpec(t, 13<<20)
	rs, _ := Parse([]byte("extends: [[spectral:oas, all]]"), "bench.yaml", nil)
	t0 := time.Now()
	d, _ := doc.ParseDocument(src)
	t.Logf("parse %v", time.Since(t0))
	t0 = time.Now()
	d.Deref(d.Root)
	t.Logf("resolve %v", time.Since(t0))
	l := &linter{ctx: context.Background(), rs: rs, doc: d, formats: DetectFormats(d.Root), seen: map[string]bool{}, index: [2]*jsonpath.Index{jsonpath.NewIndex(d, false), jsonpath.NewIndex(d, true)}}
	type rt struct {
		n string
		d time.Duration
		f int
	}
	var out []rt
	var tot time.Duration
	for _, r := range rs.Rules {
		if !r.Enabled() || !l.formats.matchesAny(r.Formats) {
			continue
		}
		run := l.forRule()
		t0 := time.Now()
		if err := run.runRule(r); err != nil {
			t.Log(err)
		}
		el := time.Since(t0)
		tot += el
		out = append(out, rt{r.Name, el, len(run.findings)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].d > out[j].d })
	for _, x := range out[:25] {
		t.Logf("%-40s %8v %6d", x.n, x.d.Round(time.Millisecond), x.f)
	}
	t.Logf("total %v", tot)
}

func TestZZStats(t *testing.T) {
	src := largeSpec(t, 13<<20)
	d, _ := doc.ParseDocument(src)
	jsonpath.NewIndex(d, false).Stats(t)
	jsonpath.NewIndex(d, true).Stats(t)
}

func TestZZPhases(t *testing.T) {
	src := largeSpec(t, 13<<20)
	rs, _ := Parse([]byte("extends: [[spectral:oas, all]]"), "bench.yaml", nil)
	for i := 0; i < 3; i++ {
		t0 := time.Now()
		d, _ := doc.ParseDocument(src)
		t1 := time.Now()
		rs.Lint(context.Background(), d, LintOptions{})
		t.Logf("parse %v lint %v", t1.Sub(t0), time.Since(t1))
	}
}
