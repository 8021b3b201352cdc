// Package web holds Steward's templ views. Components take view models,
// plain structs with only the fields they show, never database rows.
package web

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Shell is what the page frame needs: title, current path for the nav, the
// demo banner, the CSRF token for forms, and asset URLs.
type Shell struct {
	Title     string
	Path      string
	Demo      bool
	CSRFToken string
	CSSURL    string
	JSURL     string
	// User is the signed-in person's name; empty when nobody is.
	User string
	// Admin shows the admin links.
	Admin bool
	// DevSignIn marks a Steward that signs people in as demo personas.
	DevSignIn bool
	// InboxCount is how many decisions wait for the signed-in person; the
	// navigation shows an inbox link when there are any.
	InboxCount int
}

// navClass marks the nav link of the section the page is in.
func (s Shell) navClass(prefix string) string {
	if s.Path == prefix || strings.HasPrefix(s.Path, prefix+"/") {
		return "nav-link active"
	}
	return "nav-link"
}

// Crumb is one step of a breadcrumb trail.
type Crumb struct {
	Label, URL string
}

// FieldErrors maps a form field to its message.
type FieldErrors map[string]string

// Has reports whether field has an error.
func (f FieldErrors) Has(field string) bool { _, ok := f[field]; return ok }

// Option is one choice of a select box.
type Option struct {
	Value, Label string
}

func stageClass(stage string) string { return "badge stage-" + stage }

func fmtTime(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.UTC().Format("2 Jan 2006 15:04 UTC")
}

func fmtDate(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.UTC().Format("2 Jan 2006")
}

func itoa(n int) string { return strconv.Itoa(n) }

func i64(n int64) string { return strconv.FormatInt(n, 10) }

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

func bytesLabel(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

// withQuery returns base with the query values set (empty values removed).
func withQuery(base string, v url.Values) string {
	clean := url.Values{}
	for k, vs := range v {
		for _, x := range vs {
			if x != "" {
				clean.Add(k, x)
			}
		}
	}
	if len(clean) == 0 {
		return base
	}
	return base + "?" + clean.Encode()
}

func tagURL(tag string) string { return "/apis?tag=" + url.QueryEscape(tag) }

func queryEscape(s string) string { return url.QueryEscape(s) }
