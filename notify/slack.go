package notify

import (
	"bytes"
	"encoding/json"
	"strings"
	"unicode/utf8"
)

// SlackPayload is the body posted to webhooks, in the format of Slack's
// incoming webhooks (https://api.slack.com/messaging/webhooks): "text" is
// the fallback shown in notifications, "blocks" the laid-out message.
// Mattermost and Rocket.Chat accept the same body. Every piece of message
// text is escaped for Slack's mrkdwn (&, < and >), so a title cannot
// mention @channel or forge a link.
func SlackPayload(m Message, base string) ([]byte, error) {
	link := m.Link(base)
	fallback := escapeMrkdwn(m.Title)
	if link != "" {
		fallback += " " + slackLink(link, "Open in Steward")
	}
	p := slackMessage{Text: fallback}
	p.Blocks = append(p.Blocks, slackBlock{Type: "header", Text: &slackText{Type: "plain_text", Text: clip(m.Title, MaxTitle)}})
	if strings.TrimSpace(m.Text) != "" {
		p.Blocks = append(p.Blocks, slackBlock{Type: "section", Text: &slackText{Type: "mrkdwn", Text: clip(escapeMrkdwn(m.Text), MaxText)}})
	}
	if len(m.Fields) > 0 {
		b := slackBlock{Type: "section"}
		for i, f := range m.Fields {
			if i == MaxFields {
				break
			}
			b.Fields = append(b.Fields, slackText{Type: "mrkdwn", Text: clip("*"+escapeMrkdwn(f.Label)+"*\n"+escapeMrkdwn(f.Value), 2000)})
		}
		p.Blocks = append(p.Blocks, b)
	}
	if link != "" {
		p.Blocks = append(p.Blocks, slackBlock{Type: "section", Text: &slackText{Type: "mrkdwn", Text: slackLink(link, "Open in Steward")}})
	}
	p.Blocks = append(p.Blocks, slackBlock{Type: "context", Elements: []slackText{{Type: "mrkdwn", Text: "Steward · " + escapeMrkdwn(m.Kind)}}})
	// Plain < and > read better on the wire than \u003c; JSON is the
	// same either way.
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(p); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

type slackMessage struct {
	Text   string       `json:"text"`
	Blocks []slackBlock `json:"blocks"`
}

type slackBlock struct {
	Type     string      `json:"type"`
	Text     *slackText  `json:"text,omitempty"`
	Fields   []slackText `json:"fields,omitempty"`
	Elements []slackText `json:"elements,omitempty"`
}

type slackText struct {
	Type string `json:"type"`
	Text string `json:"text"`
}

// mrkdwn gives &, < and > their meaning (entities, links, mentions), and
// Slack asks senders to escape exactly these three.
var mrkdwnEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

func escapeMrkdwn(s string) string { return mrkdwnEscaper.Replace(s) }

// slackLink writes <url|label>; a "|" in the URL would end it early.
func slackLink(url, label string) string {
	return "<" + escapeMrkdwn(strings.ReplaceAll(url, "|", "%7C")) + "|" + escapeMrkdwn(label) + ">"
}

// clip shortens s to at most n characters, marking the cut.
func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}
