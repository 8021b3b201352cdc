// Package notify turns what happens in Steward into messages people
// receive: a Slack-compatible JSON body posted to webhooks and signed with
// a shared secret (webhook.go, signature.go), and a plain-text email sent
// over SMTP (email.go), with the retry schedule both follow (backoff.go).
// It neither stores nor routes anything: models keeps the outbox, and the
// notifications job delivers it.
package notify

import (
	"errors"
	"fmt"
	"net/mail"
	"regexp"
	"strings"
	"unicode/utf8"
)

// Message is one notification, the same whichever channel carries it.
type Message struct {
	// Kind names the event as "<area>.<event>", such as
	// "retirement.reminder"; webhooks filter on it.
	Kind string `json:"kind"`
	// Title is one line: the email's subject and the Slack header.
	Title string `json:"title"`
	// Text is the body in plain text; it may span lines.
	Text string `json:"text,omitempty"`
	// URL is where to act: a Steward path ("/apis/pets") that senders make
	// absolute with STEWARD_BASE_URL, or an absolute http(s) URL.
	URL string `json:"url,omitempty"`
	// Audience is who the message is for.
	Audience Audience `json:"audience"`
	// Fields are short facts shown as a table ("Sunset": "1 Dec 2026").
	Fields []Field `json:"fields,omitempty"`
}

// Audience is who a message is for: email goes to each of them, and a
// webhook set up for a team or for governance receives the messages that
// name it.
type Audience struct {
	// Teams are team slugs; their owners receive the email.
	Teams []string `json:"teams,omitempty"`
	// Governance addresses the governance leads.
	Governance bool `json:"governance,omitempty"`
	// Emails are further addresses, such as a person who asked for a
	// decision.
	Emails []string `json:"emails,omitempty"`
}

// Field is one labelled fact of a message.
type Field struct {
	Label string `json:"label"`
	Value string `json:"value"`
}

// KindTest is the kind of the message the webhooks page's "send test"
// button sends.
const KindTest = "steward.test"

// Limits a message must keep, so every channel can carry it whole: Slack
// takes at most 10 fields and 150 characters in a header.
const (
	MaxTitle  = 150
	MaxText   = 3000
	MaxFields = 10
	MaxField  = 500
)

var kindPattern = regexp.MustCompile(`^[a-z0-9_-]+(\.[a-z0-9_-]+)+$`)

// Validate says what is wrong with a message, in words for its author.
func (m Message) Validate() error {
	var problems []string
	if !kindPattern.MatchString(m.Kind) || len(m.Kind) > 80 {
		problems = append(problems, fmt.Sprintf("kind %q must look like area.event (lower case)", m.Kind))
	}
	switch {
	case strings.TrimSpace(m.Title) == "":
		problems = append(problems, "a title is needed")
	case utf8.RuneCountInString(m.Title) > MaxTitle:
		problems = append(problems, fmt.Sprintf("the title is longer than %d characters", MaxTitle))
	case strings.ContainsAny(m.Title, "\r\n"):
		problems = append(problems, "the title must be one line")
	}
	if utf8.RuneCountInString(m.Text) > MaxText {
		problems = append(problems, fmt.Sprintf("the text is longer than %d characters", MaxText))
	}
	if m.URL != "" && !strings.HasPrefix(m.URL, "/") && !strings.HasPrefix(m.URL, "https://") && !strings.HasPrefix(m.URL, "http://") {
		problems = append(problems, "the URL must be a Steward path (/...) or an http(s) URL")
	}
	if len(m.Fields) > MaxFields {
		problems = append(problems, fmt.Sprintf("at most %d fields", MaxFields))
	}
	for _, f := range m.Fields {
		if f.Label == "" || utf8.RuneCountInString(f.Label)+utf8.RuneCountInString(f.Value) > MaxField {
			problems = append(problems, fmt.Sprintf("field %q needs a label and at most %d characters", f.Label, MaxField))
		}
	}
	for _, e := range m.Audience.Emails {
		if _, err := ParseAddress(e); err != nil {
			problems = append(problems, err.Error())
		}
	}
	if len(problems) > 0 {
		return errors.New("notify: " + strings.Join(problems, "; "))
	}
	return nil
}

// Link is the message's URL made absolute against base (STEWARD_BASE_URL);
// empty when there is no URL, or it is a path and no base is configured,
// since a relative link means nothing in a chat or a mailbox.
func (m Message) Link(base string) string {
	switch {
	case m.URL == "":
		return ""
	case strings.HasPrefix(m.URL, "/"):
		if base == "" {
			return ""
		}
		return strings.TrimRight(base, "/") + m.URL
	}
	return m.URL
}

// ParseAddress checks one email address and returns it bare
// ("a@example.com" from "A <a@example.com>"), refusing line breaks, which
// would let a value add mail headers of its own.
func ParseAddress(s string) (string, error) {
	if strings.ContainsAny(s, "\r\n") {
		return "", fmt.Errorf("email address %q holds a line break", s)
	}
	a, err := mail.ParseAddress(s)
	if err != nil {
		return "", fmt.Errorf("%q is not an email address", s)
	}
	return a.Address, nil
}

// Audiences a webhook can be set up for, besides a team's.
const (
	// AudienceAll receives every message.
	AudienceAll = ""
	// AudienceGovernance receives the messages for governance leads.
	AudienceGovernance = "governance"
)

// TeamAudience is the webhook audience of one team's messages.
func TeamAudience(slug string) string { return "team:" + slug }

// Route is what a webhook receives: messages of the listed kinds (all
// when empty; "retirement.*" matches every retirement kind) for its
// audience.
type Route struct {
	Kinds    []string
	Audience string
}

// Matches reports whether the route takes the message.
func (r Route) Matches(m Message) bool {
	if len(r.Kinds) > 0 {
		ok := false
		for _, k := range r.Kinds {
			if prefix, wild := strings.CutSuffix(k, "*"); wild {
				ok = ok || strings.HasPrefix(m.Kind, prefix)
			} else {
				ok = ok || k == m.Kind
			}
		}
		if !ok {
			return false
		}
	}
	switch {
	case r.Audience == AudienceAll:
		return true
	case r.Audience == AudienceGovernance:
		return m.Audience.Governance
	}
	if slug, ok := strings.CutPrefix(r.Audience, "team:"); ok {
		for _, t := range m.Audience.Teams {
			if t == slug {
				return true
			}
		}
	}
	return false
}

// ParseKinds reads a comma-separated kinds filter as typed on the webhooks
// page, refusing what no message kind could match.
func ParseKinds(s string) ([]string, error) {
	var out []string
	for _, k := range strings.Split(s, ",") {
		k = strings.TrimSpace(k)
		if k == "" {
			continue
		}
		probe := strings.TrimSuffix(k, "*")
		if strings.HasSuffix(k, ".*") {
			probe += "x"
		}
		if !kindPattern.MatchString(probe) {
			return nil, fmt.Errorf("%q is not a kind such as retirement.reminder or retirement.*", k)
		}
		out = append(out, k)
	}
	return out, nil
}
