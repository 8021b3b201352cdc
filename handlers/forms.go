package handlers

import (
	"errors"

	"github.com/labstack/echo/v4"

	"github.com/steward-governance/steward/catalog"
	"github.com/steward-governance/steward/web"
)

// teamForm is the team form as posted; it is copied into a TeamInput, never
// bound onto a model.
type teamForm struct {
	Slug        string `form:"slug"`
	Name        string `form:"name"`
	Description string `form:"description"`
	Contact     string `form:"contact"`
}

func (f teamForm) input() catalog.TeamInput {
	return catalog.TeamInput{Slug: f.Slug, Name: f.Name, Description: f.Description, Contact: f.Contact}
}

// apiForm is the API form as posted.
type apiForm struct {
	Slug        string   `form:"slug"`
	Name        string   `form:"name"`
	Description string   `form:"description"`
	Team        string   `form:"team"`
	Kind        string   `form:"kind"`
	Visibility  string   `form:"visibility"`
	Tags        string   `form:"tags"`
	LinkTitles  []string `form:"link_title"`
	LinkURLs    []string `form:"link_url"`
}

func (f apiForm) input() catalog.APIInput {
	in := catalog.APIInput{
		Slug: f.Slug, Name: f.Name, Description: f.Description, TeamSlug: f.Team,
		Kind: catalog.Kind(f.Kind), Visibility: catalog.Visibility(f.Visibility), Tags: catalog.SplitTags(f.Tags),
	}
	for i, u := range f.LinkURLs {
		title := ""
		if i < len(f.LinkTitles) {
			title = f.LinkTitles[i]
		}
		in.Links = append(in.Links, catalog.Link{Title: title, URL: u})
	}
	return in
}

// versionForm is the version form as posted.
type versionForm struct {
	Name  string `form:"name"`
	Stage string `form:"stage"`
}

func (f versionForm) input() catalog.VersionInput {
	return catalog.VersionInput{Name: f.Name, Stage: catalog.Stage(f.Stage)}
}

// deploymentForm is the deployment form as posted.
type deploymentForm struct {
	Environment string `form:"environment"`
	BaseURL     string `form:"base_url"`
}

func (f deploymentForm) input() catalog.DeploymentInput {
	return catalog.DeploymentInput{Environment: f.Environment, BaseURL: f.BaseURL}
}

// bindForm reads a posted form into dst; a malformed body is a 400.
func bindForm(c echo.Context, dst any) error {
	if err := (&echo.DefaultBinder{}).BindBody(c, dst); err != nil {
		return echo.NewHTTPError(400, "The form could not be read. Reload the page and try again.")
	}
	return nil
}

// fieldErrors extracts per-field messages from a validation error; other
// errors are returned for the error handler.
func fieldErrors(err error) (web.FieldErrors, error) {
	var ve *catalog.ValidationError
	if errors.As(err, &ve) {
		return web.FieldErrors(ve.Fields), nil
	}
	return nil, err
}

func stageOptions() []web.Option {
	out := make([]web.Option, len(catalog.Stages))
	for i, s := range catalog.Stages {
		out[i] = web.Option{Value: string(s), Label: string(s)}
	}
	return out
}

func kindOptions() []web.Option {
	out := make([]web.Option, len(catalog.Kinds))
	for i, k := range catalog.Kinds {
		out[i] = web.Option{Value: string(k), Label: k.Label()}
	}
	return out
}

func visibilityOptions() []web.Option {
	out := make([]web.Option, len(catalog.Visibilities))
	for i, v := range catalog.Visibilities {
		out[i] = web.Option{Value: string(v), Label: string(v)}
	}
	return out
}
