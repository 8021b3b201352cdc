package catalog

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestIndexTermsStayValidUTF8WhenCut(t *testing.T) {
	tests := []struct {
		name string
		text string
	}{
		{"japanese words longer than the limit", strings.Repeat("商品情報", 10)},
		{"accented latin straddling the cut", strings.Repeat("a", MaxTermLength-1) + "éé"},
		{"cyrillic", strings.Repeat("параметр", 4)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, terms := range [][]string{IndexTerms(tt.text), SearchTerms(tt.text)} {
				if len(terms) == 0 {
					t.Fatalf("no terms for %q", tt.text)
				}
				for _, term := range terms {
					if !utf8.ValidString(term) {
						t.Errorf("term %q is not valid UTF-8", term)
					}
					if len(term) > MaxTermLength {
						t.Errorf("term %q is %d bytes, over the %d limit", term, len(term), MaxTermLength)
					}
				}
			}
		})
	}
}

func TestSearchFindsWhatIndexCut(t *testing.T) {
	long := strings.Repeat("商品情報", 10)
	indexed := IndexTerms(long)
	searched := SearchTerms(long)
	if !strings.HasPrefix(indexed[0], searched[0]) {
		t.Errorf("search term %q is not a prefix of indexed term %q", searched[0], indexed[0])
	}
}
