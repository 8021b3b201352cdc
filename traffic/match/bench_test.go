package match

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/steward-governance/steward/traffic"
)

var benchResources = []string{
	"accounts", "addresses", "alerts", "applications", "approvals", "assets", "audits", "balances",
	"baskets", "bookings", "budgets", "campaigns", "cards", "carts", "catalogs", "categories",
	"charges", "claims", "clients", "comments", "contracts", "coupons", "customers", "deliveries",
	"devices", "disputes", "documents", "employees", "events", "exports", "files", "groups",
	"imports", "invoices", "items", "jobs", "ledgers", "licenses", "merchants", "messages",
	"orders", "payments", "payouts", "plans", "policies", "products", "projects", "quotes",
	"refunds", "reports", "reviews", "shipments", "subscriptions", "tasks", "tickets", "users",
}

var benchSubresources = []string{"notes", "attachments", "history", "members", "lines", "tags"}

// benchCatalogue builds 50 versions of 100 path templates each (5,000 in
// all) spread over 10 hosts, 5 base paths a host: collections, items,
// nested collections and items, literal siblings of parameters, mixed
// segments and custom actions, with 1 to 3 methods on each.
func benchCatalogue() ([]Target, [][]Operation) {
	var targets []Target
	var templates [][]Operation
	for v := range 50 {
		hostname := fmt.Sprintf("%s.example.com", []string{"api", "billing", "shop", "crm", "ops", "hr", "data", "edge", "partner", "legacy"}[v%10])
		base := fmt.Sprintf("/%s/v%d", benchResources[(v*7)%len(benchResources)], v/10+1)
		t := Target{VersionID: int64(v + 1), Deployments: []string{"https://" + hostname + base, "https://staging-" + hostname + ":8443" + base}}
		for r := range 10 {
			res := benchResources[(v*3+r*5)%len(benchResources)]
			one := strings.TrimSuffix(res, "s") + "Id"
			sub1 := benchSubresources[(v+r)%len(benchSubresources)]
			sub2 := benchSubresources[(v+r+1)%len(benchSubresources)]
			paths := []struct {
				path    string
				methods []string
			}{
				{"/" + res, []string{"GET", "POST"}},
				{"/" + res + "/search", []string{"GET"}},
				{"/" + res + "/{" + one + "}", []string{"GET", "PUT", "DELETE"}},
				{"/" + res + "/{" + one + "}:archive", []string{"POST"}},
				{"/" + res + "/{" + one + "}/export.{format}", []string{"GET"}},
				{"/" + res + "/{" + one + "}/" + sub1, []string{"GET", "POST"}},
				{"/" + res + "/{" + one + "}/" + sub1 + "/{subId}", []string{"GET", "PATCH", "DELETE"}},
				{"/" + res + "/{" + one + "}/" + sub1 + "/{subId}/history", []string{"GET"}},
				{"/" + res + "/{" + one + "}/" + sub2, []string{"GET"}},
				{"/" + res + "/{" + one + "}/" + sub2 + "/{otherId}", []string{"GET", "DELETE"}},
			}
			for _, p := range paths {
				for _, m := range p.methods {
					t.Operations = append(t.Operations, Operation{Method: m, Path: p.path})
				}
			}
		}
		targets = append(targets, t)
		templates = append(templates, t.Operations)
	}
	return targets, templates
}

// concrete fills a template's parameters with ids of the kinds APIs use.
func concrete(rng *rand.Rand, template string) string {
	var b strings.Builder
	for seg, rest := nextSegment(template); seg != ""; seg, rest = nextSegment(rest) {
		b.WriteByte('/')
		for i := 0; i < len(seg); {
			kind, text, next := scanPart(seg, i)
			i = next
			switch {
			case kind == partLiteral:
				b.WriteString(text)
			case text == "format":
				b.WriteString([]string{"csv", "json", "pdf"}[rng.IntN(3)])
			case rng.IntN(2) == 0:
				fmt.Fprintf(&b, "%d", rng.IntN(10_000_000))
			default:
				fmt.Fprintf(&b, "%08x-%04x-4%03x-a%03x-%012x", rng.Uint32(), rng.IntN(1<<16), rng.IntN(1<<12), rng.IntN(1<<12), rng.Uint64()>>16)
			}
		}
	}
	return b.String()
}

// benchEvents generates n events of one kind ("documented", "route",
// "undocumented", "unknown-host") or, for "mix", of all kinds: 70%
// documented, 10% with a framework route, 10% undocumented method or path
// on a known deployment, 10% on hosts no deployment claims.
func benchEvents(targets []Target, ops [][]Operation, kind string, n int) []traffic.Event {
	rng := rand.New(rand.NewPCG(1, 2))
	events := make([]traffic.Event, n)
	for i := range events {
		v := rng.IntN(len(targets))
		hostname, base, _ := parseDeployment(targets[v].Deployments[rng.IntN(2)], "")
		op := ops[v][rng.IntN(len(ops[v]))]
		e := traffic.Event{Host: hostname, Method: op.Method, Path: base + concrete(rng, op.Path)}
		k := kind
		if k == "mix" {
			switch p := rng.IntN(100); {
			case p < 70:
				k = "documented"
			case p < 80:
				k = "route"
			case p < 90:
				k = "undocumented"
			default:
				k = "unknown-host"
			}
		}
		switch k {
		case "route":
			e.Route = base + strings.ReplaceAll(strings.ReplaceAll(op.Path, "{", ":"), "}", "")
		case "undocumented":
			if rng.IntN(2) == 0 {
				e.Method = "OPTIONS"
			} else {
				e.Path += fmt.Sprintf("/unknown/%d", rng.IntN(1000))
			}
		case "unknown-host":
			e.Host = fmt.Sprintf("svc%d.internal.example.net", rng.IntN(50))
		}
		events[i] = e
	}
	return events
}

func BenchmarkMatch(b *testing.B) {
	targets, ops := benchCatalogue()
	m, err := New(targets)
	if err != nil {
		b.Fatal(err)
	}
	for _, kind := range []string{"mix", "documented", "route", "undocumented", "unknown-host"} {
		events := benchEvents(targets, ops, kind, 1<<14)
		b.Run(kind, func(b *testing.B) {
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				m.Match(&events[i&(len(events)-1)])
				i++
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
		})
	}
}

// TestBenchCatalogueMatches keeps the benchmark honest: the events it
// calls documented must match documented operations.
func TestBenchCatalogueMatches(t *testing.T) {
	targets, ops := benchCatalogue()
	m, err := New(targets)
	if err != nil {
		t.Fatal(err)
	}
	templates := 0
	for _, vops := range ops {
		seen := map[string]bool{}
		for _, op := range vops {
			seen[op.Path] = true
		}
		templates += len(seen)
	}
	if templates != 5000 {
		t.Errorf("benchmark catalogue has %d templates, want 5000", templates)
	}
	tests := []struct {
		kind                        string
		matched, documented, inferd bool
	}{
		{"documented", true, true, false},
		{"route", true, true, false},
		{"unknown-host", false, false, true},
	}
	for _, tt := range tests {
		for _, e := range benchEvents(targets, ops, tt.kind, 2000) {
			r := m.Match(&e)
			if r.Matched != tt.matched || r.Documented != tt.documented || r.Inferred != tt.inferd {
				t.Fatalf("%s event %s %s%s route %q: got %+v", tt.kind, e.Method, e.Host, e.Path, e.Route, r)
			}
		}
	}
	for _, e := range benchEvents(targets, ops, "undocumented", 2000) {
		if r := m.Match(&e); !r.Matched || r.Documented {
			t.Fatalf("undocumented event %s %s%s: got %+v", e.Method, e.Host, e.Path, r)
		}
	}
}
