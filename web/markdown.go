package web

import (
	"bytes"
	"html"
	"strings"
	"sync"

	"github.com/microcosm-cc/bluemonday"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"
	gmhtml "github.com/yuin/goldmark/renderer/html"
)

var (
	// Raw HTML is passed through to the sanitiser rather than dropped: spec
	// descriptions often use <p> and <br>, and bluemonday below decides what
	// survives, so the renderer itself need not be trusted.
	md = goldmark.New(goldmark.WithExtensions(extension.GFM), goldmark.WithRendererOptions(gmhtml.WithUnsafe()))
	// ugc allows what people write in descriptions (links, lists, code,
	// tables) and strips scripts, styles, event handlers and javascript: URLs.
	ugc = func() *bluemonday.Policy {
		p := bluemonday.UGCPolicy()
		p.RequireNoFollowOnLinks(true)
		p.AddTargetBlankToFullyQualifiedLinks(true)
		return p
	}()
)

// Markdown renders user-written markdown to sanitised HTML.
func Markdown(src string) string {
	var buf bytes.Buffer
	if err := md.Convert([]byte(src), &buf); err != nil {
		return ugc.Sanitize(src)
	}
	return ugc.Sanitize(buf.String())
}

var strict = bluemonday.StrictPolicy()

// Summary renders markdown (which may hold HTML, as many specs' descriptions
// do) to plain text of at most max runes, for one-line previews. Rendering
// and sanitising cost far more than the rest of a catalogue row, and the
// same descriptions are listed again and again, so results are remembered.
func Summary(src string, max int) string {
	key := summaryKey{src, max}
	summaries.mu.Lock()
	text, ok := summaries.m[key]
	summaries.mu.Unlock()
	if ok {
		return text
	}
	text = summarize(src, max)
	summaries.mu.Lock()
	if len(summaries.m) >= maxSummaries {
		clear(summaries.m) // starting over is cheaper than tracking recency
	}
	summaries.m[key] = text
	summaries.mu.Unlock()
	return text
}

// maxSummaries bounds the remembered summaries: the catalogue's first
// paragraphs are cut at 1,000 characters, so this stays under ~20 MB.
const maxSummaries = 10000

type summaryKey struct {
	src string
	max int
}

var summaries = struct {
	mu sync.Mutex
	m  map[summaryKey]string
}{m: map[summaryKey]string{}}

func summarize(src string, max int) string {
	var buf bytes.Buffer
	if err := md.Convert([]byte(src), &buf); err != nil {
		buf.Reset()
		buf.WriteString(src)
	}
	text := html.UnescapeString(strict.Sanitize(buf.String()))
	text = strings.Join(strings.Fields(text), " ")
	if r := []rune(text); len(r) > max {
		text = strings.TrimSpace(string(r[:max])) + "…"
	}
	return text
}
