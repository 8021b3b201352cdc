package doc

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
)

// TestConverter checks what Converter.Convert gives for references,
// cycles, depths and limits.
func TestConverter(t *testing.T) {
	const shared = `{"a":{"$ref":"#/defs/x"},"b":{"$ref":"#/defs/x"},"defs":{"x":{"y":[1,{"z":true}]}}}`
	tests := []struct {
		name, src string
		at        string // a pointer to the value converted, "" for the root
		depth     int
		maxNodes  int
		want      string // the value as JSON, or the error
	}{
		{"references followed", shared, "", AllLevels, 0,
			`{"a":{"y":[1,{"z":true}]},"b":{"y":[1,{"z":true}]},"defs":{"x":{"y":[1,{"z":true}]}}}`},
		{"one level", shared, "", 0, 0, `{"a":null,"b":null,"defs":null}`},
		{"two levels", shared, "", 1, 0, `{"a":{"y":null},"b":{"y":null},"defs":{"x":null}}`},
		{"self reference left as is", `{"n":{"next":{"$ref":"#/n"}}}`, "", AllLevels, 0,
			`{"n":{"next":{"$ref":"#/n"}}}`},
		{"mutual references", `{"a":{"b":{"$ref":"#/b"}},"b":{"a":{"$ref":"#/a"}}}`, "", AllLevels, 0,
			`{"a":{"b":{"a":{"$ref":"#/a"}}},"b":{"a":{"b":{"$ref":"#/b"}}}}`},
		{"broken reference", `{"a":{"$ref":"#/nowhere"}}`, "", AllLevels, 0, `{"a":{"$ref":"#/nowhere"}}`},
		{"within the limit", shared, "", AllLevels, 20, `{"a":{"y":[1,{"z":true}]},"b":{"y":[1,{"z":true}]},"defs":{"x":{"y":[1,{"z":true}]}}}`},
		{"over the limit", shared, "", AllLevels, 10, "more than 10 nodes after resolving $ref"},
		{"over the limit, counted with each reference copied", fanOut(40), "", AllLevels, 1_000_000, "more than 1000000 nodes after resolving $ref"},
		{"shallow enough for the limit", fanOut(40), "#/d/s0", 1, 1_000_000, `{"l":{"l":null,"r":null},"r":{"l":null,"r":null}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := ParseDocument([]byte(tt.src))
			if err != nil {
				t.Fatal(err)
			}
			c := &Converter{Deref: d.Deref, MaxNodes: tt.maxNodes}
			v, err := c.Convert(d.Pointer("#"+strings.TrimPrefix(tt.at, "#")), tt.depth)
			var got string
			if err != nil {
				got = err.Error()
			} else {
				b, _ := json.Marshal(v)
				got = string(b)
			}
			if got != tt.want {
				t.Errorf("got %s\nwant %s", got, tt.want)
			}
		})
	}
}

// fanOut is a document whose schemas each use the next one twice: 2^n
// copies of the last with every reference in place.
func fanOut(n int) string {
	var b strings.Builder
	b.WriteString(`{"d":{`)
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, `"s%d":{"l":{"$ref":"#/d/s%d"},"r":{"$ref":"#/d/s%d"}},`, i, i+1, i+1)
	}
	fmt.Fprintf(&b, `"s%d":{}}}`, n)
	return b.String()
}

// TestConverterShares checks that a value used twice is converted once
// and shared, which is what keeps fan-out documents small.
func TestConverterShares(t *testing.T) {
	d, err := ParseDocument([]byte(fanOut(3)))
	if err != nil {
		t.Fatal(err)
	}
	v, err := (&Converter{Deref: d.Deref}).Convert(d.Root, AllLevels)
	if err != nil {
		t.Fatal(err)
	}
	s0 := v.(map[string]any)["d"].(map[string]any)["s0"].(map[string]any)
	l, r := s0["l"].(map[string]any), s0["r"].(map[string]any)
	if reflect.ValueOf(l).UnsafePointer() != reflect.ValueOf(r).UnsafePointer() {
		t.Error("s0.l and s0.r are two copies of s1, want one shared value")
	}
}

// TestConverterStopsWithContext checks that a conversion stops once its
// context has ended.
func TestConverterStopsWithContext(t *testing.T) {
	var b strings.Builder
	b.WriteString("[")
	for i := 0; i < 10*pollEvery; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString("{}")
	}
	b.WriteString("]")
	d, err := ParseDocument([]byte(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = (&Converter{Deref: d.Deref, Ctx: ctx}).Convert(d.Root, AllLevels)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
}

// TestParseLargeObject checks that an object with many keys parses, keeps
// the last of repeated keys at the first one's place, and finds its keys.
func TestParseLargeObject(t *testing.T) {
	var b strings.Builder
	b.WriteString("{")
	const n = 50_000
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, `"k%d":%d,`, i, i)
	}
	b.WriteString(`"k7":"again"}`)
	d, err := ParseDocument([]byte(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Root.Keys) != n {
		t.Fatalf("%d keys, want %d", len(d.Root.Keys), n)
	}
	if got := d.Root.Get("k7"); got == nil || got.Value != "again" || d.Root.Keys[7] != "k7" {
		t.Errorf("k7 = %+v at %q, want the repeated value at index 7", got, d.Root.Keys[7])
	}
	if got := d.Root.Get("k49999"); got == nil || got.Value != "49999" {
		t.Errorf("k49999 = %+v", got)
	}
}
