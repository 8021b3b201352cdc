package specs

// topLevel is what the pre-pass learns about the root of a document: enough
// to tell an OpenAPI description from the other JSON and YAML files people
// upload by mistake, without building a model.
type topLevel struct {
	kind    rootKind
	scalar  string // the value when the root is a scalar
	entries []topEntry
}

type rootKind int

const (
	rootEmpty rootKind = iota
	rootMapping
	rootSequence
	rootScalar
)

// topEntry is one key of the root mapping.
type topEntry struct {
	key      string
	line     int
	isScalar bool
	value    string   // scalar value exactly as written (quotes removed)
	children []string // keys of a mapping value; only filled for "info"
}

func (t topLevel) get(key string) (topEntry, bool) {
	for _, e := range t.entries {
		if e.key == key {
			return e, true
		}
	}
	return topEntry{}, false
}

func (e topEntry) hasChild(key string) bool {
	for _, c := range e.children {
		if c == key {
			return true
		}
	}
	return false
}
