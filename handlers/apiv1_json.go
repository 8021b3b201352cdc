package handlers

import (
	"time"

	"github.com/steward-governance/steward/catalog"
	"github.com/steward-governance/steward/models"
	"github.com/steward-governance/steward/specs"
)

// The JSON API's request and response bodies. Requests are copied into
// catalog inputs and responses are built from store results field by field,
// so a new database column never leaks out and a client never writes one.
// handlers/openapi/v1.json documents every type here; its tests validate
// real responses against it.

// teamRequest is the body of POST /teams and PUT /teams/{team}.
type teamRequest struct {
	Slug        string `json:"slug"`
	Name        string `json:"name"`
	Description string `json:"description"`
	Contact     string `json:"contact"`
}

func (r teamRequest) input() catalog.TeamInput {
	return catalog.TeamInput{Slug: r.Slug, Name: r.Name, Description: r.Description, Contact: r.Contact}
}

// linkRequest is one link of an API as sent.
type linkRequest struct {
	Title string `json:"title"`
	URL   string `json:"url"`
}

// apiRequest is the body of POST /apis and PUT /apis/{api}.
type apiRequest struct {
	Slug        string        `json:"slug"`
	Name        string        `json:"name"`
	Description string        `json:"description"`
	Team        string        `json:"team"`
	Kind        string        `json:"kind"`
	Visibility  string        `json:"visibility"`
	Tags        []string      `json:"tags"`
	Links       []linkRequest `json:"links"`
}

func (r apiRequest) input() catalog.APIInput {
	in := catalog.APIInput{
		Slug: r.Slug, Name: r.Name, Description: r.Description, TeamSlug: r.Team,
		Kind: catalog.Kind(r.Kind), Visibility: catalog.Visibility(r.Visibility), Tags: r.Tags,
	}
	// Scripts write "REST" or "Public"; the catalogue stores one spelling,
	// and an unknown value is left as sent for Validate to report.
	if k, ok := catalog.ParseKind(r.Kind); ok {
		in.Kind = k
	}
	if v, ok := catalog.ParseVisibility(r.Visibility); ok {
		in.Visibility = v
	}
	for _, l := range r.Links {
		in.Links = append(in.Links, catalog.Link{Title: l.Title, URL: l.URL})
	}
	return in
}

// versionRequest is the body of POST /apis/{api}/versions and PUT on a version.
type versionRequest struct {
	Name  string `json:"name"`
	Stage string `json:"stage"`
}

func (r versionRequest) input() catalog.VersionInput {
	in := catalog.VersionInput{Name: r.Name, Stage: catalog.Stage(r.Stage)}
	if st, ok := catalog.ParseStage(r.Stage); ok {
		in.Stage = st
	}
	return in
}

// deploymentRequest is the body of PUT .../deployments/{env}; the
// environment is the last segment of the URL.
type deploymentRequest struct {
	BaseURL string `json:"base_url"`
}

// listJSON is a complete list.
type listJSON[T any] struct {
	Items []T `json:"items"`
}

// pageJSON is one page of a longer list and where it was cut.
type pageJSON[T any] struct {
	Items  []T   `json:"items"`
	Total  int64 `json:"total"`
	Limit  int   `json:"limit"`
	Offset int   `json:"offset"`
}

type refJSON struct {
	Slug string `json:"slug"`
	Name string `json:"name"`
}

type teamJSON struct {
	Slug        string    `json:"slug"`
	Name        string    `json:"name"`
	Description string    `json:"description"`
	Contact     string    `json:"contact"`
	APICount    int       `json:"api_count"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
}

func teamJSONOf(t models.Team, apiCount int) teamJSON {
	return teamJSON{Slug: t.Slug, Name: t.Name, Description: t.Description, Contact: t.Contact, APICount: apiCount, CreatedAt: t.CreatedAt, UpdatedAt: t.UpdatedAt}
}

type apiListItemJSON struct {
	Slug          string    `json:"slug"`
	Name          string    `json:"name"`
	Description   string    `json:"description"` // first paragraph only
	Team          refJSON   `json:"team"`
	Kind          string    `json:"kind"`
	Visibility    string    `json:"visibility"`
	Tags          []string  `json:"tags"`
	Stages        []string  `json:"stages"`
	VersionCount  int       `json:"version_count"`
	EndpointCount int       `json:"endpoint_count"`
	Grade         *string   `json:"grade"` // null until scored
	UpdatedAt     time.Time `json:"updated_at"`
}

func apiListItemJSONOf(it models.APIListItem) apiListItemJSON {
	return apiListItemJSON{
		Slug: it.Slug, Name: it.Name, Description: it.Description, Team: refJSON{Slug: it.TeamSlug, Name: it.TeamName},
		Kind: it.Kind, Visibility: it.Visibility, Tags: nonNil(it.Tags), Stages: nonNil(it.Stages),
		VersionCount: it.VersionCount, EndpointCount: it.EndpointCount, UpdatedAt: it.UpdatedAt, Grade: optString(it.Grade),
	}
}

type linkJSON struct {
	Title string `json:"title"`
	URL   string `json:"url"`
}

type apiJSON struct {
	Slug        string               `json:"slug"`
	Name        string               `json:"name"`
	Description string               `json:"description"`
	Team        refJSON              `json:"team"`
	Kind        string               `json:"kind"`
	Visibility  string               `json:"visibility"`
	Tags        []string             `json:"tags"`
	Links       []linkJSON           `json:"links"`
	Versions    []versionSummaryJSON `json:"versions"`
	CreatedAt   time.Time            `json:"created_at"`
	UpdatedAt   time.Time            `json:"updated_at"`
}

func apiJSONOf(d *models.APIDetail) apiJSON {
	out := apiJSON{
		Slug: d.Slug, Name: d.Name, Description: d.Description, Team: refJSON{Slug: d.Team.Slug, Name: d.Team.Name},
		Kind: d.Kind, Visibility: d.Visibility, Tags: nonNil(d.TagNames()), Links: []linkJSON{},
		Versions: versionSummaries(d), CreatedAt: d.CreatedAt, UpdatedAt: d.UpdatedAt,
	}
	for _, l := range d.Links {
		out.Links = append(out.Links, linkJSON{Title: l.Title, URL: l.URL})
	}
	return out
}

type versionSummaryJSON struct {
	Name          string           `json:"name"`
	Stage         string           `json:"stage"`
	SpecVersion   *string          `json:"spec_version"` // of the current revision; null without a spec
	RevisionCount int              `json:"revision_count"`
	Deployments   []deploymentJSON `json:"deployments"`
	CreatedAt     time.Time        `json:"created_at"`
	UpdatedAt     time.Time        `json:"updated_at"`
}

func versionSummaries(d *models.APIDetail) []versionSummaryJSON {
	out := make([]versionSummaryJSON, len(d.Versions))
	for i, v := range d.Versions {
		stat := d.Specs[v.ID]
		out[i] = versionSummaryJSON{
			Name: v.Name, Stage: v.Stage, RevisionCount: stat.Revisions,
			Deployments: deploymentsJSON(v.Deployments), CreatedAt: v.CreatedAt, UpdatedAt: v.UpdatedAt,
		}
		if stat.SpecVersion != "" {
			out[i].SpecVersion = &stat.SpecVersion
		}
	}
	return out
}

type deploymentJSON struct {
	Environment string    `json:"environment"`
	BaseURL     string    `json:"base_url"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
}

func deploymentsJSON(ds []models.Deployment) []deploymentJSON {
	out := make([]deploymentJSON, len(ds))
	for i, d := range ds {
		out[i] = deploymentJSON{Environment: d.Environment, BaseURL: d.BaseURL, CreatedAt: d.CreatedAt, UpdatedAt: d.UpdatedAt}
	}
	return out
}

type versionJSON struct {
	API             refJSON          `json:"api"`
	Team            refJSON          `json:"team"`
	Name            string           `json:"name"`
	Stage           string           `json:"stage"`
	Deployments     []deploymentJSON `json:"deployments"`
	CurrentRevision *revisionJSON    `json:"current_revision"` // null until a spec is uploaded
	RevisionCount   int              `json:"revision_count"`
	Endpoints       []endpointJSON   `json:"endpoints"`
	CreatedAt       time.Time        `json:"created_at"`
	UpdatedAt       time.Time        `json:"updated_at"`
}

func versionJSONOf(v *models.VersionDetail) versionJSON {
	out := versionJSON{
		API: refJSON{Slug: v.API.Slug, Name: v.API.Name}, Team: refJSON{Slug: v.TeamSlug, Name: v.TeamName},
		Name: v.Name, Stage: v.Stage, Deployments: deploymentsJSON(v.Deployments), RevisionCount: len(v.Revisions),
		Endpoints: make([]endpointJSON, len(v.Endpoints)), CreatedAt: v.CreatedAt, UpdatedAt: v.UpdatedAt,
	}
	if v.Current != nil {
		r := revisionJSONOf(*v.Current, true)
		out.CurrentRevision = &r
	}
	for i, e := range v.Endpoints {
		out.Endpoints[i] = endpointJSON{Method: e.Method, Path: e.Path, OperationID: e.OperationID, Summary: e.Summary, Deprecated: e.Deprecated}
	}
	return out
}

type endpointJSON struct {
	Method      string `json:"method"`
	Path        string `json:"path"`
	OperationID string `json:"operation_id"`
	Summary     string `json:"summary"`
	Deprecated  bool   `json:"deprecated"`
}

type revisionJSON struct {
	Number      int       `json:"number"`
	Hash        string    `json:"hash"`
	SpecVersion string    `json:"spec_version"`
	Format      string    `json:"format"`
	Title       string    `json:"title"`
	SizeBytes   int64     `json:"size_bytes"`
	CreatedAt   time.Time `json:"created_at"`
	CreatedBy   string    `json:"created_by"`
	Current     bool      `json:"current"`
}

func revisionJSONOf(r models.SpecRevision, current bool) revisionJSON {
	return revisionJSON{
		Number: r.Number, Hash: r.Hash, SpecVersion: r.SpecVersion, Format: r.Format, Title: r.Title,
		SizeBytes: r.SizeBytes, CreatedAt: r.CreatedAt, CreatedBy: r.CreatedBy, Current: current,
	}
}

// specSummaryJSON answers a spec upload: what was stored, or that the
// upload matched the current revision (changed false).
type specSummaryJSON struct {
	Revision    int           `json:"revision"`
	Hash        string        `json:"hash"`
	SpecVersion string        `json:"spec_version"`
	Format      string        `json:"format"`
	Title       string        `json:"title"`
	Endpoints   int           `json:"endpoints"`
	Changed     bool          `json:"changed"`
	Warnings    []problemJSON `json:"warnings"`
	// Scorecard is where the revision's scorecard appears once the scoring
	// job has run (moments after an upload).
	Scorecard string `json:"scorecard"`
}

type problemJSON struct {
	Line    int    `json:"line"`
	Column  int    `json:"column"`
	Message string `json:"message"`
}

func problemsJSON(ps []specs.Problem) []problemJSON {
	out := make([]problemJSON, len(ps))
	for i, p := range ps {
		out[i] = problemJSON{Line: p.Line, Column: p.Column, Message: p.Message}
	}
	return out
}

// nonNil makes an absent list an empty JSON array rather than null.
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// optString is nil for an empty string, so JSON says null rather than "".
func optString(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
