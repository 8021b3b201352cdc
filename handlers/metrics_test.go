package handlers_test

import (
	"net/http"
	"strings"
	"testing"
)

func TestMetricsForPrometheus(t *testing.T) {
	s := newSite(t, "sqlite")
	s.petsDeployed()
	key := s.addSource("edge SDK", "treblle", "")
	if p := s.send("/ingest/treblle", "application/json", []byte(treblleEvent(key)), nil); p.status != http.StatusAccepted {
		t.Fatalf("ingest: %d", p.status)
	}
	s.send("/ingest/treblle", "application/json", []byte("{"), nil) // a refusal, counted by status class
	anon := newAnonymousSite(t, "sqlite")
	if p := anon.get("/metrics"); p.status != http.StatusUnauthorized && p.status != http.StatusSeeOther {
		t.Errorf("anonymous scrape: %d, want it refused", p.status)
	}
	token := s.createToken("prometheus", "read", "")
	req, _ := http.NewRequest(http.MethodGet, s.srv.URL+"/metrics", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	p := s.do(req)
	if p.status != http.StatusOK {
		t.Fatalf("scrape with a token: %d", p.status)
	}
	for _, want := range []string{
		`steward_ingest_events_total{kind="treblle"} 1`,
		`steward_http_requests_total{code="2xx",method="POST",route="/ingest/treblle"} 1`,
		`steward_http_requests_total{code="4xx",method="POST",route="/ingest/treblle"} 1`,
		`steward_apis{grade="none"} 1`,
		`go_goroutines`,
	} {
		if !strings.Contains(p.body, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}
