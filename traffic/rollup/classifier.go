package rollup

import (
	"bytes"
	"fmt"
	"path"
	"slices"
	"strings"

	"github.com/steward-governance/steward/traffic"
)

// Class is what a request was, as far as "is this API still used?" goes.
type Class uint8

const (
	// Legitimate requests come from real consumers.
	Legitimate Class = iota
	// Probe requests are health checks and uptime monitors, or known
	// scanners, recognised by path or user agent.
	Probe
	// Scanner requests are unauthenticated requests answered 401, 403 or
	// 404 (by default): someone trying doors, not using the API.
	Scanner
)

// String names the class for logs and pages.
func (c Class) String() string {
	switch c {
	case Legitimate:
		return "legitimate"
	case Probe:
		return "probe"
	case Scanner:
		return "scanner"
	}
	return fmt.Sprintf("Class(%d)", c)
}

// ClassifierConfig says what a Classifier takes for probes and scanners.
// Start from DefaultClassifierConfig and add to it.
type ClassifierConfig struct {
	// Paths are patterns matched against the whole request path. A
	// segment "**" matches any number of segments (none included); other
	// segments match one segment, with path.Match's wildcards (*, ?,
	// [a-z]). A trailing slash on the request does not matter.
	Paths []string
	// UserAgents are substrings looked for in the User-Agent, ignoring
	// case.
	UserAgents []string
	// ScannerStatuses are response statuses that mark an unauthenticated
	// request as a scanner's.
	ScannerStatuses []int
}

// DefaultClassifierConfig returns the default patterns:
//
//   - paths: health, readiness and liveness endpoints (/health, /healthz,
//     /healthcheck, /ready, /readyz, /live, /livez and anything under
//     /health, /healthz, /readyz, /livez, /actuator/health), /ping,
//     /status, /metrics, /favicon.ico and /robots.txt at the root, and
//     /health, /healthz and /ping one segment down (/api/health);
//   - user agents: kube-probe, ELB-HealthChecker, GoogleHC, Pingdom,
//     UptimeRobot, StatusCake, Datadog/Synthetics,
//     Amazon-Route53-Health-Check-Service, Consul Health Check, Blackbox
//     Exporter, Site24x7, and the scanners zgrab, masscan, Nikto, sqlmap
//     and CensysInspect. Not curl: people use APIs with curl;
//   - scanner statuses: 401, 403, 404.
func DefaultClassifierConfig() ClassifierConfig {
	return ClassifierConfig{
		Paths: []string{
			"/health/**", "/healthz/**", "/healthcheck", "/ready", "/readyz/**", "/live", "/livez/**",
			"/actuator/health/**", "/ping", "/status", "/metrics", "/favicon.ico", "/robots.txt",
			"/*/health/**", "/*/healthz/**", "/*/ping",
		},
		UserAgents: []string{
			"kube-probe", "ELB-HealthChecker", "GoogleHC", "Pingdom", "UptimeRobot", "StatusCake",
			"Datadog/Synthetics", "Amazon-Route53-Health-Check-Service", "Consul Health Check",
			"Blackbox Exporter", "Site24x7",
			"zgrab", "masscan", "Nikto", "sqlmap", "CensysInspect",
		},
		ScannerStatuses: []int{401, 403, 404},
	}
}

// Classifier sorts requests into legitimate ones, probes and scanners. It
// never changes after NewClassifier and is safe for concurrent use.
type Classifier struct {
	byFirst    map[string][]glob // patterns whose first segment is literal
	otherPaths []glob            // patterns starting with a wildcard
	userAgents [][]byte          // lower-case
	statuses   []int
}

// glob is one compiled path pattern: its segments.
type glob []globSegment

// globSegment is one segment of a path pattern.
type globSegment struct {
	text     string
	wildcard bool // text has path.Match wildcards
	anyOne   bool // "*": any one segment, without path.Match's cost
	anyDepth bool // "**"
}

// NewClassifier compiles cfg.
func NewClassifier(cfg ClassifierConfig) (*Classifier, error) {
	c := &Classifier{byFirst: make(map[string][]glob), statuses: slices.Clone(cfg.ScannerStatuses)}
	for _, p := range cfg.Paths {
		if !strings.HasPrefix(p, "/") {
			return nil, fmt.Errorf("rollup: path pattern %q: must start with /", p)
		}
		var g glob
		for seg, rest := nextSegment(p); seg != ""; seg, rest = nextSegment(rest) {
			if seg != "**" {
				if strings.Contains(seg, "**") {
					return nil, fmt.Errorf("rollup: path pattern %q: ** must be a whole segment", p)
				}
				if _, err := path.Match(seg, ""); err != nil {
					return nil, fmt.Errorf("rollup: path pattern %q: %w", p, err)
				}
			}
			g = append(g, globSegment{text: seg, wildcard: strings.ContainsAny(seg, `*?[\`), anyOne: seg == "*", anyDepth: seg == "**"})
		}
		if len(g) > 0 && !g[0].wildcard {
			c.byFirst[g[0].text] = append(c.byFirst[g[0].text], g)
		} else {
			c.otherPaths = append(c.otherPaths, g)
		}
	}
	for _, ua := range cfg.UserAgents {
		if ua != "" {
			c.userAgents = append(c.userAgents, []byte(strings.ToLower(ua)))
		}
	}
	return c, nil
}

// DefaultClassifier returns a Classifier with DefaultClassifierConfig.
func DefaultClassifier() *Classifier {
	c, err := NewClassifier(DefaultClassifierConfig())
	if err != nil {
		panic(err) // the defaults compile; a test makes sure
	}
	return c
}

// Classify tells what e was: a probe by its path or user agent, a scanner
// by its unauthenticated 401/403/404, or else legitimate.
func (c *Classifier) Classify(e *traffic.Event) Class {
	return c.classify(e, nil)
}

// classify is Classify with a cache of user-agent verdicts: a rollup sees
// the same few user agents millions of times.
func (c *Classifier) classify(e *traffic.Event, agents *agentCache) Class {
	if c.probePath(e.Path) || agents.probe(c, e.UserAgent) {
		return Probe
	}
	if !e.Authenticated && slices.Contains(c.statuses, e.Status) {
		return Scanner
	}
	return Legitimate
}

func (c *Classifier) probePath(p string) bool {
	first, _ := nextSegment(p)
	for _, g := range c.byFirst[first] {
		if g.match(p) {
			return true
		}
	}
	for _, g := range c.otherPaths {
		if g.match(p) {
			return true
		}
	}
	return false
}

// probeAgent looks for the configured substrings in ua, lower-cased in a
// buffer on the stack (user agents are cut to 256 bytes).
func (c *Classifier) probeAgent(ua string) bool {
	if ua == "" || len(c.userAgents) == 0 {
		return false
	}
	var buf [256]byte
	lower := buf[:0]
	if len(ua) > len(buf) {
		lower = make([]byte, 0, len(ua))
	}
	for i := 0; i < len(ua); i++ {
		ch := ua[i]
		if ch >= 'A' && ch <= 'Z' {
			ch += 'a' - 'A'
		}
		lower = append(lower, ch)
	}
	for _, needle := range c.userAgents {
		if bytes.Contains(lower, needle) {
			return true
		}
	}
	return false
}

// match reports whether request path p fits g.
func (g glob) match(p string) bool {
	seg, rest := nextSegment(p)
	if len(g) == 0 {
		return seg == ""
	}
	switch {
	case g[0].anyDepth:
		if g[1:].match(p) {
			return true
		}
		return seg != "" && g.match(rest)
	case seg == "":
		return false
	case g[0].anyOne:
	case g[0].wildcard:
		if ok, _ := path.Match(g[0].text, seg); !ok {
			return false
		}
	case g[0].text != seg:
		return false
	}
	return g[1:].match(rest)
}

// nextSegment returns the first non-empty segment of p and what follows.
func nextSegment(p string) (seg, rest string) {
	for len(p) > 0 && p[0] == '/' {
		p = p[1:]
	}
	if i := strings.IndexByte(p, '/'); i >= 0 {
		return p[:i], p[i:]
	}
	return p, ""
}

// agentCache remembers probeAgent's answers. A nil cache remembers nothing.
type agentCache struct {
	probes map[string]bool
}

// maxCachedAgents bounds the cache against traffic that varies its user
// agent on every request; past it the cache starts over.
const maxCachedAgents = 4096

func (a *agentCache) probe(c *Classifier, ua string) bool {
	if a == nil {
		return c.probeAgent(ua)
	}
	if probe, ok := a.probes[ua]; ok {
		return probe
	}
	if a.probes == nil || len(a.probes) >= maxCachedAgents {
		a.probes = make(map[string]bool)
	}
	probe := c.probeAgent(ua)
	a.probes[ua] = probe
	return probe
}
