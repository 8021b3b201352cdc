package rules

import (
	"embed"
	"sort"
)

//go:embed builtin/*.yaml
var builtinFS embed.FS

// builtinFiles maps the names rulesets use in extends to Steward's copies.
// The OWASP ruleset answers to the npm name Spectral users write.
var builtinFiles = map[string]string{
	"spectral:oas":                      "builtin/spectral-oas.yaml",
	"@stoplight/spectral-owasp-ruleset": "builtin/owasp.yaml",
	"steward:recommended":               "builtin/steward-recommended.yaml",
}

var builtinAliases = map[string]string{
	"spectral:owasp": "@stoplight/spectral-owasp-ruleset",
	"owasp":          "@stoplight/spectral-owasp-ruleset",
}

func builtinCanonical(name string) string {
	if c, ok := builtinAliases[name]; ok {
		return c
	}
	return name
}

func builtinSource(name string) ([]byte, bool) {
	f, ok := builtinFiles[builtinCanonical(name)]
	if !ok {
		return nil, false
	}
	b, err := builtinFS.ReadFile(f)
	if err != nil {
		return nil, false
	}
	return b, true
}

// BuiltinNames lists the rulesets that can be extended by name.
func BuiltinNames() []string {
	out := make([]string, 0, len(builtinFiles))
	for n := range builtinFiles {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// Builtin loads a built-in ruleset with every rule enabled as its
// definition says (extends: [[name, all]] would enable the rest too).
func Builtin(name string) (*Ruleset, error) {
	src := []byte("extends: [[\"" + name + "\", recommended]]\n")
	return Parse(src, "builtin "+name, nil)
}
