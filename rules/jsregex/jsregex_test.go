package jsregex

import "testing"

func TestCompile(t *testing.T) {
	tests := []struct {
		src        string
		in         string
		match      bool
		errUnsupp  bool
		errInvalid bool
	}{
		{src: "/^abc$/i", in: "ABC", match: true},
		{src: "{}", in: "/a/{}", match: true},
		{src: `.+\/$`, in: "/a/", match: true},
		{src: `^\d{1,1024}$`, in: "123", match: true},
		{src: `[^]`, in: "\n", match: true},
		{src: `(?<year>\d{4})`, in: "2024", match: true},
		{src: `\u0041`, in: "A", match: true},
		{src: `(?=a)`, errUnsupp: true},
		{src: `(a)\1`, errUnsupp: true},
		{src: `(a`, errInvalid: true},
	}
	for _, tt := range tests {
		re, err := CompileSpectral(tt.src)
		if tt.errUnsupp || tt.errInvalid {
			e, ok := err.(*Error)
			if !ok || e.Unsupported() != tt.errUnsupp {
				t.Errorf("%s: err = %v", tt.src, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tt.src, err)
			continue
		}
		if re.MatchString(tt.in) != tt.match {
			t.Errorf("%s on %q: match = %v", tt.src, tt.in, !tt.match)
		}
	}
}

func TestValidUnicodeMode(t *testing.T) {
	for src, want := range map[string]bool{`^\d+$`: true, `\A(a)\Z`: false, `(a`: false, `[\w-]+`: true} {
		if got := ValidUnicodeMode(src); got != want {
			t.Errorf("%s: %v, want %v", src, got, want)
		}
	}
}
