package lintreport

import (
	"encoding/xml"
	"fmt"
	"io"
	"path"
	"strings"
)

// JUnit's XML as test reporters (Jenkins, GitLab, Azure DevOps) read it:
// one suite per spec file, one failing test case per finding at or above
// the fail severity. A file with none gets one passing case, so it shows up
// as checked rather than missing.
type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name     string      `xml:"name,attr"`
	Package  string      `xml:"package,attr"`
	Tests    int         `xml:"tests,attr"`
	Failures int         `xml:"failures,attr"`
	Errors   int         `xml:"errors,attr"`
	Time     string      `xml:"time,attr"`
	Cases    []junitCase `xml:"testcase"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	ClassName string        `xml:"classname,attr"`
	Time      string        `xml:"time,attr"`
	Failure   *junitFailure `xml:"failure,omitempty"`
}

type junitFailure struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Text    string `xml:",chardata"`
}

func writeJUnit(w io.Writer, results []FileResult, opts Options) error {
	all := junitSuites{Name: "steward lint"}
	for _, r := range results {
		class := strings.TrimSuffix(r.Source, path.Ext(r.Source))
		s := junitSuite{Name: r.Source, Package: "steward.lint", Time: "0"}
		for _, f := range r.Findings {
			if !atOrAbove(f.Severity, opts.FailSeverity) {
				continue
			}
			name := f.Code
			if len(f.Path) > 0 {
				name += "(" + f.PathString() + ")"
			}
			s.Cases = append(s.Cases, junitCase{
				Name:      name,
				ClassName: class,
				Time:      "0",
				Failure: &junitFailure{
					Message: f.Message,
					Type:    f.Severity.String(),
					Text: fmt.Sprintf("line %d, col %d, %s (%s) at path %s",
						f.Range.Start.Line, f.Range.Start.Column, f.Message, f.Code, f.PathString()),
				},
			})
		}
		s.Failures = len(s.Cases)
		if len(s.Cases) == 0 {
			s.Cases = []junitCase{{Name: r.Source, ClassName: class, Time: "0"}}
		}
		s.Tests = len(s.Cases)
		all.Tests += s.Tests
		all.Failures += s.Failures
		all.Suites = append(all.Suites, s)
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(all); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}
