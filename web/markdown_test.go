package web

import (
	"strings"
	"testing"
)

func TestMarkdownIsSanitised(t *testing.T) {
	cases := map[string]struct{ in, want, absent string }{
		"emphasis":           {"Adopt **pets**", "<strong>pets</strong>", ""},
		"script tag":         {"hi <script>alert(1)</script>", "hi", "<script"},
		"javascript link":    {"[x](javascript:alert(1))", "x", "javascript:"},
		"event handler":      {`<img src="a.png" onerror="alert(1)">`, "", "onerror"},
		"links are nofollow": {"[docs](https://example.com)", `rel="nofollow`, ""},
	}
	for name, c := range cases {
		got := Markdown(c.in)
		if !strings.Contains(got, c.want) || (c.absent != "" && strings.Contains(got, c.absent)) {
			t.Errorf("%s: %q", name, got)
		}
	}
}

func TestSummaryIsPlainText(t *testing.T) {
	got := Summary("<p>Identity &amp; Access</p>\n\nwith [a link](https://x.example) and **bold**", 30)
	if got != "Identity & Access with a link…" {
		t.Errorf("summary %q", got)
	}
}
