package rules

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"
)

// corpusDir is the shared corpus of real specs and Spectral's output on them.
const corpusDir = "../../shared/corpus"

type spectralFinding struct {
	Code string   `json:"code"`
	Path []string `json:"path"`
}

type ruleTally struct{ tp, fp, fn int }

// TestSpectralParity compares Steward's findings with Spectral CLI 6.16.3's
// on the shared corpus, as (rule, path) pairs, and prints precision and
// recall per rule. It fails only when a rule cannot run; parity itself is
// reported, not enforced yet.
func TestSpectralParity(t *testing.T) {
	if _, err := os.Stat(filepath.Join(corpusDir, "specs")); err != nil {
		t.Skipf("corpus not available at %s: %v", corpusDir, err)
	}
	for _, tc := range []struct{ name, ruleset string }{
		{"oas", "oas-all.yaml"},
		{"owasp", "owasp.yaml"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rs, err := Load(os.DirFS(filepath.Join(corpusDir, "rulesets")), tc.ruleset)
			if err != nil {
				t.Fatalf("load %s: %v", tc.ruleset, err)
			}
			parity(t, rs, tc.name)
		})
	}
}

func parity(t *testing.T, rs *Ruleset, set string) {
	specs, _ := filepath.Glob(filepath.Join(corpusDir, "specs", "*"))
	tallies := map[string]*ruleTally{}
	tally := func(code string) *ruleTally {
		if tallies[code] == nil {
			tallies[code] = &ruleTally{}
		}
		return tallies[code]
	}
	var misses []string
	only := os.Getenv("PARITY_SPEC")
	for _, spec := range specs {
		base := strings.TrimSuffix(filepath.Base(spec), filepath.Ext(spec))
		if only != "" && !strings.Contains(base, only) {
			continue
		}
		expFile := filepath.Join(corpusDir, "spectral", set, base+".json")
		raw, err := os.ReadFile(expFile)
		if err != nil {
			continue // Spectral produced nothing for this spec.
		}
		var expected []spectralFinding
		if err := json.Unmarshal(raw, &expected); err != nil {
			t.Fatalf("%s: %v", expFile, err)
		}
		src, err := os.ReadFile(spec)
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		rep, err := rs.LintBytes(ctx, src, LintOptions{Source: spec})
		cancel()
		if err != nil {
			t.Errorf("%s: %v", base, err)
			continue
		}
		for _, re := range rep.RuleErrors {
			t.Errorf("%s: %v", base, re)
		}
		want := map[string]bool{}
		for _, f := range expected {
			want[f.Code+" "+strings.Join(f.Path, "/")] = true
		}
		got := map[string]bool{}
		for _, f := range rep.Findings {
			got[f.Code+" "+strings.Join(f.Path, "/")] = true
		}
		for k := range want {
			code := strings.SplitN(k, " ", 2)[0]
			if got[k] {
				tally(code).tp++
			} else {
				tally(code).fn++
				misses = append(misses, fmt.Sprintf("FN %s %s", base, k))
			}
		}
		for k := range got {
			if !want[k] {
				code := strings.SplitN(k, " ", 2)[0]
				tally(code).fp++
				misses = append(misses, fmt.Sprintf("FP %s %s", base, k))
			}
		}
	}
	codes := make([]string, 0, len(tallies))
	for c := range tallies {
		codes = append(codes, c)
	}
	sort.Strings(codes)
	var b strings.Builder
	var all ruleTally
	fmt.Fprintf(&b, "\n%-52s %7s %5s %5s %9s %7s\n", "rule ("+set+")", "tp", "fp", "fn", "precision", "recall")
	for _, c := range codes {
		x := tallies[c]
		all.tp, all.fp, all.fn = all.tp+x.tp, all.fp+x.fp, all.fn+x.fn
		fmt.Fprintf(&b, "%-52s %7d %5d %5d %8.1f%% %6.1f%%\n", c, x.tp, x.fp, x.fn, pct(x.tp, x.tp+x.fp), pct(x.tp, x.tp+x.fn))
	}
	fmt.Fprintf(&b, "%-52s %7d %5d %5d %8.1f%% %6.1f%%\n", "TOTAL", all.tp, all.fp, all.fn, pct(all.tp, all.tp+all.fp), pct(all.tp, all.tp+all.fn))
	t.Log(b.String())
	if path := os.Getenv("PARITY_MISSES"); path != "" {
		sort.Strings(misses)
		_ = os.WriteFile(path+"."+set, []byte(strings.Join(misses, "\n")+"\n"), 0o644)
	}
}

func pct(a, b int) float64 {
	if b == 0 {
		return 100
	}
	return 100 * float64(a) / float64(b)
}

// TestStewardRecommendedOnCorpus runs Steward's default standard over the
// corpus: every rule must run on every spec.
func TestStewardRecommendedOnCorpus(t *testing.T) {
	specs, _ := filepath.Glob(filepath.Join(corpusDir, "specs", "*"))
	if len(specs) == 0 {
		t.Skipf("corpus not available at %s", corpusDir)
	}
	rs, err := Builtin("steward:recommended")
	if err != nil {
		t.Fatal(err)
	}
	counts := map[string]int{}
	for _, spec := range specs {
		src, err := os.ReadFile(spec)
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		rep, err := rs.LintBytes(ctx, src, LintOptions{Source: spec})
		cancel()
		if err != nil {
			t.Errorf("%s: %v", filepath.Base(spec), err)
			continue
		}
		for _, re := range rep.RuleErrors {
			t.Errorf("%s: %v", filepath.Base(spec), re)
		}
		byRule := map[string]int{}
		for _, f := range rep.Findings {
			byRule[f.Code]++
			if strings.HasPrefix(f.Code, "steward-") {
				counts[f.Code]++
			}
		}
		// Target counts agree with findings: a rule has failed targets
		// exactly when it has findings, and never more than it examined.
		for name, st := range rep.Stats {
			if st.Failed < 0 || st.Failed > st.Targets || (st.Failed > 0) != (byRule[name] > 0) {
				t.Errorf("%s: rule %s: stats %+v with %d findings", filepath.Base(spec), name, st, byRule[name])
			}
		}
		for name := range byRule {
			if _, ok := rep.Stats[name]; !ok {
				t.Errorf("%s: rule %s has findings but no stats", filepath.Base(spec), name)
			}
		}
	}
	t.Logf("steward rule findings over %d specs: %v", len(specs), counts)
}
