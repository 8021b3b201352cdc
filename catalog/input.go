package catalog

import (
	"net/url"
	"strings"
)

// Field length limits, enforced on every path into the catalogue.
const (
	MaxNameLength        = 120
	MaxDescriptionLength = 20000
	MaxContactLength     = 200
	MaxTags              = 20
	MaxTagLength         = 40
	MaxLinks             = 20
	MaxURLLength         = 2000
)

// TeamInput is what a person or a script may set on a team.
type TeamInput struct {
	Slug        string
	Name        string
	Description string
	Contact     string
}

// Normalize trims the fields and derives the slug from the name when empty.
func (in *TeamInput) Normalize() {
	in.Name = strings.TrimSpace(in.Name)
	in.Slug = strings.TrimSpace(in.Slug)
	in.Description = strings.TrimSpace(in.Description)
	in.Contact = strings.TrimSpace(in.Contact)
	if in.Slug == "" {
		in.Slug = Slugify(in.Name)
	}
}

// Validate checks a normalized team input.
func (in TeamInput) Validate() error {
	v := &ValidationError{}
	requireName(v, in.Name)
	checkSlug(v, in.Slug)
	checkLength(v, "description", in.Description, MaxDescriptionLength)
	checkLength(v, "contact", in.Contact, MaxContactLength)
	return v.OrNil()
}

// Link is a titled URL shown on an API page (runbook, repository, dashboard).
type Link struct {
	Title string `json:"title"`
	URL   string `json:"url"`
}

// APIInput is what a person or a script may set on an API.
type APIInput struct {
	Slug        string
	Name        string
	Description string // markdown; sanitised when rendered
	TeamSlug    string
	Kind        Kind
	Visibility  Visibility
	Tags        []string
	Links       []Link
}

// Normalize trims the fields, fills defaults and normalizes tags.
func (in *APIInput) Normalize() {
	in.Name = strings.TrimSpace(in.Name)
	in.Slug = strings.TrimSpace(in.Slug)
	in.Description = strings.TrimSpace(in.Description)
	in.TeamSlug = strings.TrimSpace(in.TeamSlug)
	if in.Slug == "" {
		in.Slug = Slugify(in.Name)
	}
	if in.Kind == "" {
		in.Kind = KindREST
	} else if k, ok := ParseKind(string(in.Kind)); ok {
		in.Kind = k // "REST" and "rest" are the same kind
	}
	if in.Visibility == "" {
		in.Visibility = VisibilityInternal
	} else if v, ok := ParseVisibility(string(in.Visibility)); ok {
		in.Visibility = v
	}
	in.Tags = NormalizeTags(in.Tags)
	links := in.Links[:0:0]
	for _, l := range in.Links {
		l.Title, l.URL = strings.TrimSpace(l.Title), strings.TrimSpace(l.URL)
		if l.Title == "" && l.URL == "" {
			continue
		}
		links = append(links, l)
	}
	in.Links = links
}

// Validate checks a normalized API input. Whether the team exists is the
// store's question; here only its presence is checked.
func (in APIInput) Validate() error {
	v := &ValidationError{}
	requireName(v, in.Name)
	checkSlug(v, in.Slug)
	checkLength(v, "description", in.Description, MaxDescriptionLength)
	if in.TeamSlug == "" {
		v.Add("team", "choose the team that owns this API")
	}
	if _, ok := ParseKind(string(in.Kind)); !ok {
		v.Add("kind", "must be one of REST, GraphQL, gRPC, AsyncAPI")
	}
	if _, ok := ParseVisibility(string(in.Visibility)); !ok {
		v.Add("visibility", "must be internal, partner or public")
	}
	if len(in.Tags) > MaxTags {
		v.Add("tags", "at most 20 tags")
	}
	for _, t := range in.Tags {
		if len(t) > MaxTagLength {
			v.Add("tags", "each tag must be at most 40 characters")
		}
	}
	if len(in.Links) > MaxLinks {
		v.Add("links", "at most 20 links")
	}
	for _, l := range in.Links {
		if msg := checkURL(l.URL); msg != "" {
			v.Add("links", "link "+quoteTitle(l)+": "+msg)
		}
	}
	return v.OrNil()
}

func quoteTitle(l Link) string {
	if l.Title != "" {
		return "“" + l.Title + "”"
	}
	return l.URL
}

// VersionInput is what may be set on an API version.
type VersionInput struct {
	Name  string // "v1", "2024-06", "1.2"
	Stage Stage
}

var versionNameOK = func(r rune) bool {
	return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '-' || r == '_'
}

// Normalize trims the fields and defaults the stage to design.
func (in *VersionInput) Normalize() {
	in.Name = strings.TrimSpace(in.Name)
	if in.Stage == "" {
		in.Stage = StageDesign
	} else if st, ok := ParseStage(string(in.Stage)); ok {
		in.Stage = st
	}
}

// Validate checks a normalized version input.
func (in VersionInput) Validate() error {
	v := &ValidationError{}
	switch {
	case in.Name == "":
		v.Add("name", "give the version a name, such as v1")
	case len(in.Name) > 40:
		v.Add("name", "must be at most 40 characters")
	case strings.IndexFunc(in.Name, func(r rune) bool { return !versionNameOK(r) }) >= 0:
		v.Add("name", "use letters, digits, dots, dashes and underscores only (it appears in URLs)")
	}
	if _, ok := ParseStage(string(in.Stage)); !ok {
		v.Add("stage", "must be one of design, development, testing, preview, production, deprecated, retired")
	}
	return v.OrNil()
}

// DeploymentInput is one environment a version runs in.
type DeploymentInput struct {
	Environment string // "production", "staging", "eu-west"
	BaseURL     string
}

// Normalize trims the fields and lower-cases the environment name.
func (in *DeploymentInput) Normalize() {
	in.Environment = strings.ToLower(strings.TrimSpace(in.Environment))
	in.BaseURL = strings.TrimSpace(in.BaseURL)
}

// Validate checks a normalized deployment input.
func (in DeploymentInput) Validate() error {
	v := &ValidationError{}
	switch {
	case in.Environment == "":
		v.Add("environment", "name the environment, such as production or staging")
	case !ValidSlug(in.Environment):
		v.Add("environment", "use lower-case letters, digits and dashes")
	}
	if msg := checkURL(in.BaseURL); msg != "" {
		v.Add("base_url", msg)
	}
	return v.OrNil()
}

func requireName(v *ValidationError, name string) {
	if name == "" {
		v.Add("name", "is required")
		return
	}
	checkLength(v, "name", name, MaxNameLength)
}

func checkSlug(v *ValidationError, slug string) {
	switch {
	case slug == "":
		v.Add("slug", "is required (lower-case letters, digits and dashes)")
	case !ValidSlug(slug):
		v.Add("slug", "use lower-case letters, digits and single dashes, at most 63 characters")
	}
}

// checkURL returns a message when s is not an absolute http(s) URL.
func checkURL(s string) string {
	if s == "" {
		return "a URL is required"
	}
	if len(s) > MaxURLLength {
		return "the URL is too long (at most 2000 characters)"
	}
	u, err := url.Parse(s)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return "must be an absolute http:// or https:// URL"
	}
	return ""
}
