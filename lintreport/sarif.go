package lintreport

import (
	"encoding/json"
	"io"
	"net/url"
	"path"
	"path/filepath"
	"strings"

	"github.com/steward-governance/steward/rules"
)

// The SARIF 2.1.0 subset Steward writes. Field names and nesting are the
// standard's; optional members are left out when empty.
type sarifLog struct {
	Schema  string     `json:"$schema"`
	Version string     `json:"version"`
	Runs    []sarifRun `json:"runs"`
}

type sarifRun struct {
	Tool               sarifTool                      `json:"tool"`
	OriginalURIBaseIDs map[string]sarifArtifactLocate `json:"originalUriBaseIds,omitempty"`
	// ColumnKind says how columns count: Steward counts characters (code
	// points), not the UTF-16 units SARIF assumes by default.
	ColumnKind string        `json:"columnKind"`
	Results    []sarifResult `json:"results"`
}

type sarifTool struct {
	Driver sarifDriver `json:"driver"`
}

type sarifDriver struct {
	Name    string      `json:"name"`
	Version string      `json:"version,omitempty"`
	Rules   []sarifRule `json:"rules"`
}

type sarifRule struct {
	ID                   string             `json:"id"`
	ShortDescription     sarifText          `json:"shortDescription"`
	Help                 *sarifText         `json:"help,omitempty"`
	HelpURI              string             `json:"helpUri,omitempty"`
	DefaultConfiguration sarifConfiguration `json:"defaultConfiguration"`
	Properties           *sarifRuleProps    `json:"properties,omitempty"`
}

type sarifText struct {
	Text string `json:"text"`
}

type sarifConfiguration struct {
	Level string `json:"level"`
}

type sarifRuleProps struct {
	Category string   `json:"category,omitempty"`
	Weight   float64  `json:"weight,omitempty"`
	Tags     []string `json:"tags,omitempty"`
}

type sarifResult struct {
	RuleID    string          `json:"ruleId"`
	RuleIndex int             `json:"ruleIndex"`
	Level     string          `json:"level"`
	Message   sarifText       `json:"message"`
	Locations []sarifLocation `json:"locations"`
}

type sarifLocation struct {
	PhysicalLocation sarifPhysical  `json:"physicalLocation"`
	LogicalLocations []sarifLogical `json:"logicalLocations,omitempty"`
}

type sarifPhysical struct {
	ArtifactLocation sarifArtifactLocate `json:"artifactLocation"`
	Region           *sarifRegion        `json:"region,omitempty"`
}

type sarifArtifactLocate struct {
	URI       string `json:"uri"`
	URIBaseID string `json:"uriBaseId,omitempty"`
}

type sarifRegion struct {
	StartLine   int `json:"startLine"`
	StartColumn int `json:"startColumn"`
	EndLine     int `json:"endLine"`
	EndColumn   int `json:"endColumn"`
}

// sarifLogical names the finding's place in the document as a JSON pointer,
// which survives reformatting better than a line number.
type sarifLogical struct {
	FullyQualifiedName string `json:"fullyQualifiedName"`
	Kind               string `json:"kind"`
}

// srcRoot is the base id SARIF consumers such as GitHub code scanning
// resolve relative URIs against.
const srcRoot = "%SRCROOT%"

func writeSARIF(w io.Writer, results []FileResult, opts Options) error {
	run := sarifRun{
		Tool:       sarifTool{Driver: sarifDriver{Name: "Steward", Version: opts.Version, Rules: []sarifRule{}}},
		ColumnKind: "unicodeCodePoints",
		Results:    []sarifResult{},
	}
	if opts.BaseDir != "" {
		run.OriginalURIBaseIDs = map[string]sarifArtifactLocate{srcRoot: {URI: dirURI(opts.BaseDir)}}
	}
	index := map[string]int{}
	addRule := func(r sarifRule) {
		index[r.ID] = len(run.Tool.Driver.Rules)
		run.Tool.Driver.Rules = append(run.Tool.Driver.Rules, r)
	}
	if opts.Ruleset != nil {
		for _, r := range opts.Ruleset.Rules {
			if r.Enabled() {
				addRule(describeRule(r))
			}
		}
	}
	for _, fr := range results {
		loc := artifactFor(fr.Source, opts.BaseDir)
		for _, f := range fr.Findings {
			if _, ok := index[f.Code]; !ok {
				// Enabled by an override, or no ruleset given.
				r := sarifRule{ID: f.Code, ShortDescription: sarifText{Text: f.Code}, DefaultConfiguration: sarifConfiguration{Level: sarifLevel(f.Severity)}}
				if opts.Ruleset != nil {
					if rule := opts.Ruleset.Rule(f.Code); rule != nil {
						r = describeRule(rule)
					}
				}
				addRule(r)
			}
			l := sarifLocation{PhysicalLocation: sarifPhysical{ArtifactLocation: loc, Region: region(f)}}
			if len(f.Path) > 0 {
				l.LogicalLocations = []sarifLogical{{FullyQualifiedName: f.PathString(), Kind: "member"}}
			}
			run.Results = append(run.Results, sarifResult{
				RuleID:    f.Code,
				RuleIndex: index[f.Code],
				Level:     sarifLevel(f.Severity),
				Message:   sarifText{Text: f.Message},
				Locations: []sarifLocation{l},
			})
		}
	}
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(sarifLog{
		Schema:  "https://json.schemastore.org/sarif-2.1.0.json",
		Version: "2.1.0",
		Runs:    []sarifRun{run},
	})
}

func describeRule(r *rules.Rule) sarifRule {
	desc := r.Description
	if desc == "" {
		desc = r.Name
	}
	out := sarifRule{
		ID:                   r.Name,
		ShortDescription:     sarifText{Text: desc},
		DefaultConfiguration: sarifConfiguration{Level: sarifLevel(r.Severity)},
	}
	if r.HowToFix != "" {
		out.Help = &sarifText{Text: r.HowToFix}
	}
	if u, err := url.Parse(r.DocumentationURL); err == nil && u.IsAbs() {
		out.HelpURI = r.DocumentationURL
	}
	if r.Category != "" || r.Weight != 0 {
		out.Properties = &sarifRuleProps{Category: string(r.Category), Weight: r.Weight}
		if r.Category != "" {
			out.Properties.Tags = []string{string(r.Category)}
		}
	}
	return out
}

// sarifLevel maps severities as Spectral's SARIF output does: SARIF has no
// level below note, so info and hint both become note.
func sarifLevel(s rules.Severity) string {
	switch s {
	case rules.Error:
		return "error"
	case rules.Warn:
		return "warning"
	}
	return "note"
}

// region turns a finding's 1-based, end-exclusive range into SARIF's, which
// counts the same way; a finding with no known place gets none.
func region(f rules.Finding) *sarifRegion {
	s, e := f.Range.Start, f.Range.End
	if s.Line < 1 || s.Column < 1 {
		return nil
	}
	r := &sarifRegion{StartLine: int(s.Line), StartColumn: int(s.Column), EndLine: int(e.Line), EndColumn: int(e.Column)}
	if r.EndLine < r.StartLine || r.EndLine == r.StartLine && r.EndColumn < r.StartColumn {
		r.EndLine, r.EndColumn = r.StartLine, r.StartColumn
	}
	return r
}

// artifactFor writes source relative to base when it lies inside it, so
// reports from different checkouts agree; otherwise as an absolute URI.
func artifactFor(source, base string) sarifArtifactLocate {
	if base != "" && filepath.IsAbs(filepath.FromSlash(source)) {
		if rel, err := filepath.Rel(base, filepath.FromSlash(source)); err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
			return sarifArtifactLocate{URI: relativeURI(filepath.ToSlash(rel)), URIBaseID: srcRoot}
		}
	}
	slashed := filepath.ToSlash(source)
	if path.IsAbs(slashed) || filepath.IsAbs(source) {
		return sarifArtifactLocate{URI: fileURI(slashed)}
	}
	return sarifArtifactLocate{URI: relativeURI(slashed)}
}

// relativeURI escapes a slash path as a relative URI reference; a first
// segment with a colon is prefixed with ./ so it is not read as a scheme.
func relativeURI(p string) string {
	return (&url.URL{Path: p}).String()
}

func fileURI(p string) string {
	if !strings.HasPrefix(p, "/") {
		p = "/" + p // a Windows drive path: file:///C:/specs/x.yaml
	}
	return (&url.URL{Scheme: "file", Path: p}).String()
}

// dirURI is a folder's file URI; SARIF wants a trailing slash on base URIs.
func dirURI(dir string) string {
	u := fileURI(filepath.ToSlash(dir))
	if !strings.HasSuffix(u, "/") {
		u += "/"
	}
	return u
}
