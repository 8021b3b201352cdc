package rollup

import (
	"strings"
	"testing"

	"github.com/steward-governance/steward/traffic"
)

func TestClassifyDefaults(t *testing.T) {
	c := DefaultClassifier()
	tests := []struct {
		name  string
		event traffic.Event
		want  Class
	}{
		{"API call", traffic.Event{Path: "/v1/orders/42", Status: 200, UserAgent: "okhttp/4.12.0"}, Legitimate},
		{"curl is a person", traffic.Event{Path: "/v1/orders", Status: 200, UserAgent: "curl/8.4.0"}, Legitimate},
		{"health", traffic.Event{Path: "/health", Status: 200}, Probe},
		{"health with trailing slash", traffic.Event{Path: "/health/", Status: 200}, Probe},
		{"health subpath", traffic.Event{Path: "/healthz/ready", Status: 200}, Probe},
		{"readyz", traffic.Event{Path: "/readyz", Status: 200}, Probe},
		{"livez verbose", traffic.Event{Path: "/livez/ping", Status: 200}, Probe},
		{"health under a mount", traffic.Event{Path: "/api/health", Status: 200}, Probe},
		{"spring actuator", traffic.Event{Path: "/actuator/health/liveness", Status: 200}, Probe},
		{"root status", traffic.Event{Path: "/status", Status: 200}, Probe},
		{"a resource's status is API", traffic.Event{Path: "/orders/42/status", Status: 200}, Legitimate},
		{"health deep down is API", traffic.Event{Path: "/fleet/trucks/7/health", Status: 200}, Legitimate},
		{"metrics", traffic.Event{Path: "/metrics", Status: 200}, Probe},
		{"favicon", traffic.Event{Path: "/favicon.ico", Status: 404}, Probe},
		{"robots", traffic.Event{Path: "/robots.txt", Status: 200}, Probe},
		{"kube-probe", traffic.Event{Path: "/v1/orders", Status: 200, UserAgent: "kube-probe/1.29"}, Probe},
		{"ELB", traffic.Event{Path: "/", Status: 200, UserAgent: "ELB-HealthChecker/2.0"}, Probe},
		{"GoogleHC", traffic.Event{Path: "/", Status: 200, UserAgent: "GoogleHC/1.0"}, Probe},
		{"UptimeRobot mid-string, any case", traffic.Event{Path: "/v1/orders", Status: 200, UserAgent: "Mozilla/5.0+(compatible; UPTIMEROBOT/2.0; http://www.uptimerobot.com/)"}, Probe},
		{"Datadog synthetics", traffic.Event{Path: "/v1/orders", Status: 200, UserAgent: "Datadog/Synthetics"}, Probe},
		{"scanner user agent", traffic.Event{Path: "/v1/orders", Status: 200, UserAgent: "Mozilla/5.0 zgrab/0.x"}, Probe},
		{"long user agent", traffic.Event{Path: "/v1/orders", Status: 200, UserAgent: strings.Repeat("x", 300) + "Pingdom.com_bot"}, Probe},
		{"unauthenticated 404", traffic.Event{Path: "/wp-login.php", Status: 404}, Scanner},
		{"unauthenticated 401", traffic.Event{Path: "/v1/orders", Status: 401}, Scanner},
		{"unauthenticated 403", traffic.Event{Path: "/admin", Status: 403}, Scanner},
		{"authenticated 404", traffic.Event{Path: "/v1/orders/9", Status: 404, Authenticated: true}, Legitimate},
		{"unauthenticated 200", traffic.Event{Path: "/v1/catalog", Status: 200}, Legitimate},
		{"unauthenticated 500", traffic.Event{Path: "/v1/catalog", Status: 500}, Legitimate},
	}
	for _, tt := range tests {
		if got := c.Classify(&tt.event); got != tt.want {
			t.Errorf("%s: Classify(%s, UA %q, %d) = %s, want %s", tt.name, tt.event.Path, tt.event.UserAgent, tt.event.Status, got, tt.want)
		}
	}
}

func TestClassifyCustom(t *testing.T) {
	c, err := NewClassifier(ClassifierConfig{
		Paths:      []string{"/internal/**", "/*/_ping", "/svc-[0-9]/up"},
		UserAgents: []string{"MyMonitor"},
	})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		event traffic.Event
		want  Class
	}{
		{traffic.Event{Path: "/internal"}, Probe},
		{traffic.Event{Path: "/internal/cache/stats"}, Probe},
		{traffic.Event{Path: "/billing/_ping"}, Probe},
		{traffic.Event{Path: "/billing/v1/_ping"}, Legitimate},
		{traffic.Event{Path: "/svc-3/up"}, Probe},
		{traffic.Event{Path: "/health"}, Legitimate},
		{traffic.Event{Path: "/x", UserAgent: "mymonitor/1"}, Probe},
		{traffic.Event{Path: "/x", UserAgent: "kube-probe/1.29"}, Legitimate},
		{traffic.Event{Path: "/x", Status: 404}, Legitimate},
	}
	for _, tt := range tests {
		if got := c.Classify(&tt.event); got != tt.want {
			t.Errorf("Classify(%s, UA %q, %d) = %s, want %s", tt.event.Path, tt.event.UserAgent, tt.event.Status, got, tt.want)
		}
	}
}

func TestNewClassifierRejectsBadPatterns(t *testing.T) {
	for _, p := range []string{"health", "/a**b", "/[z-"} {
		if _, err := NewClassifier(ClassifierConfig{Paths: []string{p}}); err == nil {
			t.Errorf("NewClassifier(%q) succeeded, want an error", p)
		}
	}
}
