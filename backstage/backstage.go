// Package backstage reads catalogue content that lives outside Steward into a
// catalog.Plan: Backstage catalog-info.yaml files (ReadCatalog) and folders
// of OpenAPI descriptions (ReadSpecFolder). It only reads; `steward import`
// applies the plan, creating or updating by slug, so importing the same
// files again updates the catalogue and never duplicates it.
//
// Problems that one entity or file can be skipped over are returned as
// Warnings; only YAML that cannot be read where a Backstage entity is
// declared (or a document built to exhaust memory) stops the import.
package backstage

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/steward-governance/steward/catalog"
	"gopkg.in/yaml.v3"
)

// Limits on what one import reads, so a wrong folder or a hostile file
// cannot exhaust the machine.
const (
	// MaxFileSize is the largest file read; larger ones are skipped with a Warning.
	MaxFileSize = 25 << 20
	// MaxFiles is how many files one import looks at before giving up.
	MaxFiles = 10000
)

// Warning is a problem in one file that the import stepped over.
type Warning struct {
	File    string
	Line    int // 1-based; 0 when the problem has no line
	Message string
}

// String formats the warning as file:line: message, as compilers do.
func (w Warning) String() string {
	if w.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", w.File, w.Line, w.Message)
	}
	return w.File + ": " + w.Message
}

// FileError is a file that stops the import: YAML that cannot be read
// where Backstage entities are declared, or a document with excessive
// aliasing. It matches catalog.ErrInvalid, since the input is at fault.
type FileError struct {
	File string
	Line int // 1-based; 0 when the parser gave none
	Err  error
}

// Error names the file and line first, so a terminal or editor can jump there.
func (e *FileError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %v", e.File, e.Line, e.Err)
	}
	return fmt.Sprintf("%s: %v", e.File, e.Err)
}

// Unwrap returns the parser's error.
func (e *FileError) Unwrap() error { return e.Err }

// Is reports the error as invalid input.
func (e *FileError) Is(target error) bool { return target == catalog.ErrInvalid }

var yamlLine = regexp.MustCompile(`line (\d+)`)

// zeroBasedParserErrors are the yaml.v3 parser messages whose "line N"
// counts from zero (its scanner's messages count from one).
var zeroBasedParserErrors = []string{
	"did not find expected <document start>",
	"did not find expected node content",
	"did not find expected key",
	"did not find expected '-' indicator",
	"did not find expected ',' or ']'",
	"did not find expected ',' or '}'",
}

// fileError wraps a yaml.v3 error, taking the line from its message when it
// has one ("yaml: line 4: …") and from fallback otherwise.
func fileError(file string, fallback int, err error) *FileError {
	line := fallback
	msg := err.Error()
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		line, _ = strconv.Atoi(m[1])
		for _, p := range zeroBasedParserErrors {
			if strings.Contains(msg, p) {
				line++
				break
			}
		}
	}
	return &FileError{File: file, Line: line, Err: err}
}

// errTooManyFiles reports a walk that reached MaxFiles.
func errTooManyFiles(root string) error {
	return fmt.Errorf("backstage: more than %d files under %s; import a narrower folder", MaxFiles, root)
}

// walker lists files under a root and reads them within the limits.
type walker struct {
	fsys     fs.FS
	root     string
	files    int
	warnings []Warning
}

func newWalker(fsys fs.FS, root string) (*walker, error) {
	root = path.Clean(strings.TrimPrefix(root, "./"))
	if !fs.ValidPath(root) {
		return nil, fmt.Errorf("backstage: %q is not a folder path inside the import file system", root)
	}
	return &walker{fsys: fsys, root: root}, nil
}

func (w *walker) warn(file string, line int, format string, args ...any) {
	w.warnings = append(w.warnings, Warning{File: file, Line: line, Message: fmt.Sprintf(format, args...)})
}

// list returns the files under the root whose names keep accepts, in
// lexical order. Hidden folders and node_modules are not entered: they hold
// tooling and dependencies, not a team's catalogue.
func (w *walker) list(keep func(name string) bool) ([]string, error) {
	var out []string
	err := fs.WalkDir(w.fsys, w.root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if p != w.root && (strings.HasPrefix(d.Name(), ".") || d.Name() == "node_modules") {
				return fs.SkipDir
			}
			return nil
		}
		if w.files++; w.files > MaxFiles {
			return errTooManyFiles(w.root)
		}
		if d.Type().IsRegular() && keep(d.Name()) {
			out = append(out, p)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("backstage: walk %s: %w", w.root, err)
	}
	return out, nil
}

// read returns a file's content, or nil with a Warning when it is too large.
func (w *walker) read(name string) ([]byte, error) {
	f, err := w.fsys.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if info, err := f.Stat(); err == nil && info.Size() > MaxFileSize {
		w.warn(name, 0, "skipped: %d bytes is over the %d MB limit", info.Size(), MaxFileSize>>20)
		return nil, nil
	}
	data, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, err
	}
	if len(data) > MaxFileSize {
		w.warn(name, 0, "skipped: over the %d MB limit", MaxFileSize>>20)
		return nil, nil
	}
	return data, nil
}

// within reports whether p, a cleaned slash path, lies inside the root.
func (w *walker) within(p string) bool {
	if !fs.ValidPath(p) {
		return false
	}
	return w.root == "." || p == w.root || strings.HasPrefix(p, w.root+"/")
}

// resolve turns a path written in file (a $text reference, a Location
// target) into a path of the file system, or explains why it cannot be read.
func (w *walker) resolve(file, ref string) (string, string) {
	switch {
	case strings.Contains(ref, "://") || strings.HasPrefix(ref, "//"):
		return "", "remote"
	case strings.HasPrefix(ref, "/"):
		return "", "absolute path " + strconv.Quote(ref) + " is outside the import root"
	}
	p := path.Join(path.Dir(file), ref)
	if !w.within(p) {
		return "", strconv.Quote(ref) + " points outside the import root " + strconv.Quote(w.root)
	}
	return p, ""
}

// hasAlias reports whether a YAML tree uses aliases at all; only then is
// the costlier check for excessive aliasing worth running.
func hasAlias(n *yaml.Node) bool {
	if n == nil {
		return false
	}
	if n.Kind == yaml.AliasNode {
		return true
	}
	for _, c := range n.Content {
		if hasAlias(c) {
			return true
		}
	}
	return false
}

// checkAliases expands the document the way a consumer would, so a
// "billion laughs" document fails here, naming its file, rather than later
// inside whatever reads the spec. yaml.v3 stops expanding at a safe ratio of
// aliases to nodes.
func checkAliases(file string, doc *yaml.Node) error {
	if !hasAlias(doc) {
		return nil
	}
	var probe any
	if err := doc.Decode(&probe); err != nil {
		var te *yaml.TypeError
		if errors.As(err, &te) {
			return nil // a shape problem, reported where the shape matters
		}
		return fileError(file, doc.Line, err)
	}
	return nil
}

// find returns the value node at a path of mapping keys, or nil.
func find(n *yaml.Node, keys ...string) *yaml.Node {
	if n != nil && n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		n = n.Content[0]
	}
	for _, k := range keys {
		if n == nil || n.Kind != yaml.MappingNode {
			return nil
		}
		var next *yaml.Node
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == k {
				next = n.Content[i+1]
				break
			}
		}
		n = next
	}
	return n
}

// lineOf is the line of the value at keys, or of the document when absent.
func lineOf(doc *yaml.Node, keys ...string) int {
	if n := find(doc, keys...); n != nil {
		return n.Line
	}
	if doc != nil && doc.Kind == yaml.DocumentNode && len(doc.Content) > 0 {
		return doc.Content[0].Line
	}
	if doc != nil {
		return doc.Line
	}
	return 0
}

// typeErrorLine is the first line a yaml.TypeError names.
func typeErrorLine(err error, fallback int) int {
	var te *yaml.TypeError
	if errors.As(err, &te) && len(te.Errors) > 0 {
		if m := yamlLine.FindStringSubmatch(te.Errors[0]); m != nil {
			n, _ := strconv.Atoi(m[1])
			return n
		}
	}
	return fallback
}

// typeErrorMessage is a yaml.TypeError's first complaint without its line.
func typeErrorMessage(err error) string {
	var te *yaml.TypeError
	if errors.As(err, &te) && len(te.Errors) > 0 {
		msg := te.Errors[0]
		if i := strings.Index(msg, ": "); i >= 0 && strings.HasPrefix(msg, "line ") {
			msg = msg[i+2:]
		}
		return msg
	}
	return err.Error()
}

// ownerTeam resolves a Backstage owner reference ("payments",
// "group:payments", "group:default/payments") to a team slug. problem
// explains a reference that names no team; user says it named a person.
func ownerTeam(ref string) (slug string, problem string, user bool) {
	ref = strings.TrimSpace(ref)
	kind, rest := "", ref
	if k, r, ok := strings.Cut(ref, ":"); ok {
		kind, rest = strings.ToLower(strings.TrimSpace(k)), r
	}
	name := rest
	if _, n, ok := strings.Cut(rest, "/"); ok {
		name = n
	}
	name = strings.TrimSpace(name)
	switch {
	case kind == "user":
		return "", fmt.Sprintf("owner %q is a user; Steward APIs are owned by teams, so the default owner applies", ref), true
	case kind != "" && kind != "group":
		return "", fmt.Sprintf("owner %q is not a group reference (write group:NAME or NAME)", ref), false
	case name == "" || strings.Contains(name, "/") || strings.Contains(name, ":"):
		return "", fmt.Sprintf("owner %q is not an entity reference (write group:NAME or NAME)", ref), false
	}
	slug = catalog.Slugify(name)
	if slug == "" {
		return "", fmt.Sprintf("owner %q gives no usable team slug", ref), false
	}
	return slug, "", false
}

// entityName returns the name part of an entity reference ("api:default/x" → "x").
func entityName(ref string) string {
	ref = strings.TrimSpace(ref)
	if _, r, ok := strings.Cut(ref, ":"); ok {
		ref = r
	}
	if _, n, ok := strings.Cut(ref, "/"); ok {
		ref = n
	}
	return strings.ToLower(strings.TrimSpace(ref))
}

// stageFor maps a Backstage lifecycle to a Steward stage. Steward's own
// stage names are accepted as they are; known is false for anything else,
// which becomes design.
func stageFor(lifecycle string) (stage catalog.Stage, known bool) {
	switch l := strings.ToLower(strings.TrimSpace(lifecycle)); l {
	case "experimental":
		return catalog.StageDevelopment, true
	default:
		if s, ok := catalog.ParseStage(l); ok {
			return s, true
		}
	}
	return catalog.StageDesign, false
}

// versionName turns an info.version into a version name by its major
// number: "1.2.3" → "v1", "v2" → "v2"; a date-like version is kept as it is
// ("2024-06-01"), and anything unreadable gives "v1".
func versionName(v string) string {
	v = strings.TrimSpace(v)
	digits := strings.TrimLeft(v, "vV")
	end := strings.IndexFunc(digits, func(r rune) bool { return r < '0' || r > '9' })
	if end == -1 {
		end = len(digits)
	}
	major := digits[:end]
	if major == "" {
		return "v1"
	}
	if len(major) == 4 && strings.HasPrefix(digits[end:], "-") {
		in := catalog.VersionInput{Name: v}
		in.Normalize()
		if in.Validate() == nil {
			return v
		}
	}
	n, err := strconv.Atoi(major)
	if err != nil {
		return "v1"
	}
	return "v" + strconv.Itoa(n)
}

// truncate cuts s to at most max runes.
func truncate(s string, max int) string {
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	return string([]rune(s)[:max])
}
