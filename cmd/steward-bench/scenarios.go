package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/steward-governance/steward/catalog"
	"github.com/steward-governance/steward/models"
)

// scenario is one kind of page view, with a fresh URL for every request so
// no single cached answer flatters the result.
type scenario struct {
	key, name string
	target    time.Duration // the server-side p95 goal; 0 when it sets none
	url       func(r *rand.Rand) string
}

// dataset is what the scenarios draw their URLs from.
type dataset struct {
	slugs, teams, tags, words []string
	matchSpread               string
}

func loadDataset(ctx context.Context, store *models.Store) (dataset, error) {
	var d dataset
	db := store.DB().WithContext(ctx)
	if err := db.Table("apis").Order("id").Pluck("slug", &d.slugs).Error; err != nil {
		return d, fmt.Errorf("list slugs: %w", err)
	}
	if err := db.Table("teams").Order("id").Pluck("slug", &d.teams).Error; err != nil {
		return d, fmt.Errorf("list teams: %w", err)
	}
	if err := db.Table("api_tags").Group("tag").Order("COUNT(*) DESC, tag").Limit(10).Pluck("tag", &d.tags).Error; err != nil {
		return d, fmt.Errorf("list tags: %w", err)
	}
	d.words = searchWords()
	var totals []int64
	for _, w := range d.words {
		q := catalog.ListQuery{Text: w, Stage: catalog.StageProduction, Limit: 1}
		if err := q.Normalize(); err != nil {
			return d, err
		}
		page, err := store.ListAPIs(ctx, q)
		if err != nil {
			return d, err
		}
		totals = append(totals, page.Total)
	}
	slices.Sort(totals)
	d.matchSpread = fmt.Sprintf("%d/%d/%d", totals[0], totals[len(totals)/2], totals[len(totals)-1])
	return d, nil
}

// searchWords are what people type into the catalogue's search box: the
// objects APIs manage, whole or as the first few letters, and business lines.
func searchWords() []string {
	var out []string
	for i, n := range domains {
		w := n.singular
		if i%3 == 2 && len(w) > 4 {
			w = w[:4] // typed as a prefix, as-you-type search does
		}
		out = append(out, w)
	}
	for _, q := range qualifiers {
		out = append(out, strings.ToLower(strings.Fields(q)[0]))
	}
	return out
}

// scenarios are the page views measured, in the order they run.
func scenarios(d dataset) []scenario {
	pickOf := func(r *rand.Rand, list []string) string { return list[r.IntN(len(list))] }
	filter := func(r *rand.Rand) string {
		switch r.IntN(10) {
		case 0:
			return "stage=deprecated"
		case 1:
			return "visibility=public"
		case 2:
			return "kind=rest"
		case 3:
			return "team=" + pickOf(r, d.teams)
		case 4:
			return "tag=" + url.QueryEscape(pickOf(r, d.tags))
		}
		return "stage=production"
	}
	return []scenario{
		{key: "catalogue", name: "Catalogue page: search + filter, page 1", target: 20 * time.Millisecond, url: func(r *rand.Rand) string {
			return "/apis?q=" + url.QueryEscape(pickOf(r, d.words)) + "&" + filter(r)
		}},
		{key: "api", name: "API page", target: 15 * time.Millisecond, url: func(r *rand.Rand) string {
			return "/apis/" + pickOf(r, d.slugs)
		}},
		{key: "json", name: "JSON list: search, limit 25", url: func(r *rand.Rand) string {
			return "/api/v1/apis?q=" + url.QueryEscape(pickOf(r, d.words)) + "&limit=25"
		}},
		{key: "owner", name: "Catalogue page: owner filter only", url: func(r *rand.Rand) string {
			return "/apis?team=" + pickOf(r, d.teams)
		}},
		{key: "browse", name: "Catalogue page: no search or filter", url: func(r *rand.Rand) string {
			return []string{"/apis", "/apis?sort=updated", "/apis?sort=team"}[r.IntN(3)]
		}},
	}
}

func scenarioKeys() []string {
	var keys []string
	for _, sc := range scenarios(dataset{}) {
		keys = append(keys, sc.key)
	}
	return keys
}
