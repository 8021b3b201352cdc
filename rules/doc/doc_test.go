package doc

import (
	"strings"
	"testing"
)

func TestParsePositionsAndOrder(t *testing.T) {
	tests := []struct {
		name, src string
		path      []string
		want      Range
	}{
		{"json string", "{\n  \"a\": {\"b\": \"x\\\"y\"}\n}", []string{"a", "b"}, Range{Pos{2, 14}, Pos{2, 20}}},
		{"json object", "{\n  \"a\": {\"b\": 1}\n}", []string{"a"}, Range{Pos{2, 8}, Pos{2, 16}}},
		{"yaml scalar", "a:\n  b: hello # note\n", []string{"a", "b"}, Range{Pos{2, 6}, Pos{2, 11}}},
		{"yaml quoted", "a: 'it''s'\n", []string{"a"}, Range{Pos{1, 4}, Pos{1, 11}}},
		{"yaml item", "a:\n  - x\n  - y\n", []string{"a", "1"}, Range{Pos{3, 5}, Pos{3, 6}}},
	}
	for _, tt := range tests {
		d, err := ParseDocument([]byte(tt.src))
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		n, depth := d.Lookup(tt.path, false)
		if depth != len(tt.path) {
			t.Fatalf("%s: path not found", tt.name)
		}
		if n.Range != tt.want {
			t.Errorf("%s: range %+v, want %+v", tt.name, n.Range, tt.want)
		}
		if strings.Join(n.Path(), "/") != strings.Join(tt.path, "/") {
			t.Errorf("%s: path %v", tt.name, n.Path())
		}
	}
	d, _ := ParseDocument([]byte(`{"z": 1, "a": 2, "m": 3}`))
	if got := strings.Join(d.Root.Keys, ","); got != "z,a,m" {
		t.Errorf("keys = %s, want source order", got)
	}
}

func TestDerefCycles(t *testing.T) {
	d, err := ParseDocument([]byte(`{"a": {"$ref": "#/b"}, "b": {"$ref": "#/a"}, "c": {"$ref": "#/d/x~1y"}, "d": {"x/y": 1}, "e": {"$ref": "other.json#/x"}}`))
	if err != nil {
		t.Fatal(err)
	}
	a := d.Root.Get("a")
	if d.Deref(a) != a {
		t.Error("a circular reference must stay as it is")
	}
	if got := d.Deref(d.Root.Get("c")); got.Kind != Number {
		t.Errorf("escaped pointer: got %v", got.Kind)
	}
	if e := d.Root.Get("e"); d.Deref(e) != e {
		t.Error("external references are not followed")
	}
	path, _ := d.Locate([]string{"c"}, true)
	if strings.Join(path, "/") != "d/x/y" {
		t.Errorf("locate = %v", path)
	}
}

func TestSyntaxErrorHasPosition(t *testing.T) {
	_, err := ParseJSON([]byte("{\n  \"a\": tru\n}"))
	se, ok := err.(*SyntaxError)
	if !ok || se.Pos.Line != 2 {
		t.Fatalf("err = %v", err)
	}
}
