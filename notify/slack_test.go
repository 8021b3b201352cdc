package notify_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/steward-governance/steward/notify"
)

// slackBody is the part of Slack's incoming-webhook format the tests read.
type slackBody struct {
	Text   string `json:"text"`
	Blocks []struct {
		Type string `json:"type"`
		Text *struct {
			Type string `json:"type"`
			Text string `json:"text"`
		} `json:"text"`
		Fields []struct {
			Type string `json:"type"`
			Text string `json:"text"`
		} `json:"fields"`
		Elements []struct {
			Text string `json:"text"`
		} `json:"elements"`
	} `json:"blocks"`
}

func TestSlackPayloadEscapesUserContent(t *testing.T) {
	m := notify.Message{
		Kind:  "retirement.reminder",
		Title: "Retire <!channel> & pets",
		Text:  "Sunset in 7 days: <https://evil.example|click> & more > less",
		URL:   "/retirements/42?a=1&b=2",
		Fields: []notify.Field{
			{Label: "Consumers", Value: "<@U123> & 3 others"},
		},
	}
	raw, err := notify.SlackPayload(m, "https://steward.example.com/")
	if err != nil {
		t.Fatal(err)
	}
	var p slackBody
	if err := json.Unmarshal(raw, &p); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, raw)
	}
	wantText := "Retire &lt;!channel&gt; &amp; pets <https://steward.example.com/retirements/42?a=1&amp;b=2|Open in Steward>"
	if p.Text != wantText {
		t.Errorf("text = %q\nwant   %q", p.Text, wantText)
	}
	if len(p.Blocks) != 5 {
		t.Fatalf("blocks = %d, want header, text, fields, link, context:\n%s", len(p.Blocks), raw)
	}
	header := p.Blocks[0]
	if header.Type != "header" || header.Text.Type != "plain_text" || header.Text.Text != m.Title {
		t.Errorf("header = %+v: plain text is shown as written, so it stays unescaped", header)
	}
	if got := p.Blocks[1].Text.Text; got != "Sunset in 7 days: &lt;https://evil.example|click&gt; &amp; more &gt; less" || p.Blocks[1].Text.Type != "mrkdwn" {
		t.Errorf("section = %q", got)
	}
	if got := p.Blocks[2].Fields[0].Text; got != "*Consumers*\n&lt;@U123&gt; &amp; 3 others" {
		t.Errorf("field = %q", got)
	}
	if got := p.Blocks[3].Text.Text; got != "<https://steward.example.com/retirements/42?a=1&amp;b=2|Open in Steward>" {
		t.Errorf("link = %q", got)
	}
	if got := p.Blocks[4].Elements[0].Text; got != "Steward · retirement.reminder" {
		t.Errorf("context = %q", got)
	}
	// Only mrkdwn is parsed for mentions and links; the plain-text header
	// is shown as written.
	mrkdwn := []string{p.Text, p.Blocks[1].Text.Text, p.Blocks[2].Fields[0].Text, p.Blocks[3].Text.Text, p.Blocks[4].Elements[0].Text}
	for _, forged := range []string{"<!channel>", "<@U123>", "<https://evil.example|click>"} {
		if strings.Contains(strings.Join(mrkdwn, "\n"), forged) {
			t.Errorf("mrkdwn carries %s unescaped", forged)
		}
	}
}

func TestSlackPayloadWithoutBaseURLLeavesOutThePath(t *testing.T) {
	raw, err := notify.SlackPayload(notify.Message{Kind: "steward.test", Title: "Hello", URL: "/inbox"}, "")
	if err != nil {
		t.Fatal(err)
	}
	var p slackBody
	_ = json.Unmarshal(raw, &p)
	if p.Text != "Hello" || len(p.Blocks) != 2 {
		t.Errorf("a relative link cannot work in Slack; got text %q and %d blocks", p.Text, len(p.Blocks))
	}
}

func TestRouteMatches(t *testing.T) {
	reminder := notify.Message{Kind: "retirement.reminder", Title: "t", Audience: notify.Audience{Teams: []string{"zoo"}, Governance: true}}
	transition := notify.Message{Kind: "lifecycle.transition", Title: "t", Audience: notify.Audience{Teams: []string{"pay"}}}
	cases := []struct {
		name  string
		route notify.Route
		msg   notify.Message
		want  bool
	}{
		{"everything", notify.Route{}, transition, true},
		{"exact kind", notify.Route{Kinds: []string{"retirement.reminder"}}, reminder, true},
		{"other kind", notify.Route{Kinds: []string{"retirement.reminder"}}, transition, false},
		{"kind prefix", notify.Route{Kinds: []string{"retirement.*"}}, reminder, true},
		{"kind prefix elsewhere", notify.Route{Kinds: []string{"retirement.*"}}, transition, false},
		{"team named", notify.Route{Audience: notify.TeamAudience("zoo")}, reminder, true},
		{"team not named", notify.Route{Audience: notify.TeamAudience("zoo")}, transition, false},
		{"governance", notify.Route{Audience: notify.AudienceGovernance}, reminder, true},
		{"not for governance", notify.Route{Audience: notify.AudienceGovernance}, transition, false},
		{"kind and team", notify.Route{Kinds: []string{"lifecycle.*"}, Audience: notify.TeamAudience("zoo")}, reminder, false},
	}
	for _, c := range cases {
		if got := c.route.Matches(c.msg); got != c.want {
			t.Errorf("%s: Matches = %v, want %v", c.name, got, c.want)
		}
	}
}

func TestParseKinds(t *testing.T) {
	got, err := notify.ParseKinds(" retirement.*, lifecycle.transition ,")
	if err != nil || strings.Join(got, "|") != "retirement.*|lifecycle.transition" {
		t.Errorf("ParseKinds = %q, %v", got, err)
	}
	for _, bad := range []string{"*", "retirement", "Retirement.Reminder", "retire*"} {
		if _, err := notify.ParseKinds(bad); err == nil {
			t.Errorf("ParseKinds(%q) accepted", bad)
		}
	}
}

func TestMessageValidate(t *testing.T) {
	ok := notify.Message{Kind: "retirement.reminder", Title: "Retire pets v1", URL: "/apis/pets"}
	if err := ok.Validate(); err != nil {
		t.Fatalf("valid message refused: %v", err)
	}
	cases := map[string]func(*notify.Message){
		"no kind":          func(m *notify.Message) { m.Kind = "" },
		"kind without dot": func(m *notify.Message) { m.Kind = "retirement" },
		"no title":         func(m *notify.Message) { m.Title = " " },
		"title on 2 lines": func(m *notify.Message) { m.Title = "Retire\r\nBcc: x@example.com" },
		"long title":       func(m *notify.Message) { m.Title = strings.Repeat("x", notify.MaxTitle+1) },
		"odd URL":          func(m *notify.Message) { m.URL = "javascript:alert(1)" },
		"bad email":        func(m *notify.Message) { m.Audience.Emails = []string{"a@example.com\nBcc: b@example.com"} },
		"too many fields":  func(m *notify.Message) { m.Fields = make([]notify.Field, notify.MaxFields+1) },
	}
	for name, mutate := range cases {
		m := ok
		mutate(&m)
		if err := m.Validate(); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
