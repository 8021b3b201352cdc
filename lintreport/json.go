package lintreport

import (
	"encoding/json"
	"io"

	"github.com/steward-governance/steward/rules"
)

// spectralResult is one entry of `spectral lint -f json`, fields in
// Spectral's order so the bytes read the same as well as the values.
type spectralResult struct {
	Code     string        `json:"code"`
	Path     []string      `json:"path"`
	Message  string        `json:"message"`
	Severity int           `json:"severity"`
	Range    spectralRange `json:"range"`
	Source   string        `json:"source"`
}

// spectralRange counts lines and characters from 0, as the Language Server
// Protocol does; Steward's ranges count from 1.
type spectralRange struct {
	Start spectralPos `json:"start"`
	End   spectralPos `json:"end"`
}

type spectralPos struct {
	Line      int `json:"line"`
	Character int `json:"character"`
}

// writeJSON writes one array for all files, tab-indented like Spectral's.
func writeJSON(w io.Writer, results []FileResult) error {
	out := []spectralResult{}
	for _, r := range results {
		for _, f := range r.Findings {
			out = append(out, toSpectral(r.Source, f))
		}
	}
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false) // JSON.stringify leaves <, > and & alone
	enc.SetIndent("", "\t")
	return enc.Encode(out)
}

func toSpectral(source string, f rules.Finding) spectralResult {
	path := f.Path
	if path == nil {
		path = []string{}
	}
	return spectralResult{
		Code:     f.Code,
		Path:     path,
		Message:  f.Message,
		Severity: int(f.Severity),
		Range: spectralRange{
			Start: spectralPos{Line: zeroBased(f.Range.Start.Line), Character: zeroBased(f.Range.Start.Column)},
			End:   spectralPos{Line: zeroBased(f.Range.End.Line), Character: zeroBased(f.Range.End.Column)},
		},
		Source: source,
	}
}

func zeroBased(n int32) int { return max(int(n)-1, 0) }
