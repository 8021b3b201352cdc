package jobs_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/steward-governance/steward/catalog"
	"github.com/steward-governance/steward/jobs"
	"github.com/steward-governance/steward/models"
	"github.com/steward-governance/steward/models/storetest"
	"github.com/steward-governance/steward/traffic"
	"github.com/steward-governance/steward/traffic/ingest"
)

// nginxBinary finds the nginx of Debian's nginx-light package. Outside CI
// a machine without it skips the test; CI installs it (.ci/run).
func nginxBinary(t *testing.T) string {
	t.Helper()
	if bin, err := exec.LookPath("nginx"); err == nil {
		return bin
	}
	if _, err := os.Stat("/usr/sbin/nginx"); err == nil {
		return "/usr/sbin/nginx"
	}
	if os.Getenv("CI") != "" {
		t.Fatal("nginx is required in CI: apt-get install nginx-light")
	}
	t.Skip("skipping: nginx is not installed (apt-get install nginx-light); CI runs it")
	return ""
}

// petStore is the small API behind the gateway: a documented pets API under
// /v1 that answers 404 for pet 404 and 500 for pet "crash", an
// undocumented metrics page, and orders that no catalogue entry owns.
func petStore() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/pets", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("RateLimit-Limit", "100")
		fmt.Fprint(w, `[{"id":1,"name":"Rex"}]`)
	})
	mux.HandleFunc("POST /v1/pets", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusCreated)
		fmt.Fprint(w, `{"id":2}`)
	})
	mux.HandleFunc("GET /v1/pets/{id}", func(w http.ResponseWriter, r *http.Request) {
		switch r.PathValue("id") {
		case "404":
			http.Error(w, "no such pet", http.StatusNotFound)
		case "crash":
			http.Error(w, "boom", http.StatusInternalServerError)
		default:
			fmt.Fprint(w, `{"id":1,"name":"Rex"}`)
		}
	})
	mux.HandleFunc("DELETE /v1/pets/{id}", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) })
	mux.HandleFunc("GET /v1/internal/metrics", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "up 1\n") })
	mux.HandleFunc("GET /orders/{id}", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, `{"order":1}`) })
	return mux
}

// nginxGateway runs nginx in the foreground in front of upstream, logging
// with Steward's documented log_format, and returns its address and the
// access log's path.
func nginxGateway(t *testing.T, upstream string) (addr, logPath string, cmd *exec.Cmd) {
	t.Helper()
	bin := nginxBinary(t)
	dir := t.TempDir()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr = l.Addr().String()
	l.Close()
	logPath = filepath.Join(dir, "steward.log")
	conf := fmt.Sprintf(`daemon off;
master_process off;
error_log stderr warn;
pid %[1]s/nginx.pid;
events {}
http {
  %[2]s
  access_log %[3]s steward;
  client_body_temp_path %[1]s; proxy_temp_path %[1]s; fastcgi_temp_path %[1]s;
  uwsgi_temp_path %[1]s; scgi_temp_path %[1]s;
  server {
    listen %[4]s;
    location / {
      proxy_pass %[5]s;
    }
  }
}
`, dir, ingest.NginxLogFormat, logPath, addr, upstream)
	confPath := filepath.Join(dir, "nginx.conf")
	if err := os.WriteFile(confPath, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd = exec.Command(bin, "-e", "stderr", "-c", confPath, "-p", dir+"/")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	for i := 0; ; i++ {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			c.Close()
			break
		}
		if i == 100 {
			t.Fatalf("nginx did not start: %s", stderr.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	return addr, logPath, cmd
}

// waitForLines waits until nginx has logged n lines to path: it writes a
// request's line after the response, so the client may be told first.
func waitForLines(t *testing.T, path string, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		b, err := os.ReadFile(path)
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			t.Fatal(err)
		}
		if got := bytes.Count(b, []byte("\n")); got >= n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("nginx logged %d lines to %s, want %d", bytes.Count(b, []byte("\n")), path, n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestNginxGatewayEndToEnd runs a real nginx as the gateway in front of a
// small API, sends requests through it, and checks what Steward reports
// after the log-read and rollup jobs: traffic per endpoint of the
// catalogued version, the host nobody catalogued, and the source's coverage.
// It then rotates nginx's log the way logrotate does (rename, then USR1)
// and checks that nothing is lost or counted twice.
func TestNginxGatewayEndToEnd(t *testing.T) {
	for _, engine := range storetest.Engines {
		t.Run(engine, func(t *testing.T) {
			ctx := context.Background()
			api := httptest.NewServer(petStore())
			t.Cleanup(api.Close)
			addr, logPath, nginx := nginxGateway(t, api.URL)

			s := storetest.New(t, engine)
			sys := catalog.SystemActor("test")
			must := func(err error) {
				t.Helper()
				if err != nil {
					t.Fatal(err)
				}
			}
			_, err := s.CreateTeam(ctx, sys, catalog.TeamInput{Slug: "zoo", Name: "Zoo"})
			must(err)
			_, err = s.CreateAPI(ctx, sys, catalog.APIInput{Slug: "pets", Name: "Pets", TeamSlug: "zoo", Kind: catalog.KindREST, Visibility: catalog.VisibilityPublic})
			must(err)
			version, err := s.CreateVersion(ctx, sys, "pets", catalog.VersionInput{Name: "v1", Stage: catalog.StageProduction})
			must(err)
			// Clients reach the API as pets.test; the deployment says https,
			// so plain-HTTP calls through this gateway show as such.
			_, err = s.PutDeployment(ctx, sys, "pets", "v1", catalog.DeploymentInput{Environment: "prod", BaseURL: "https://pets.test/v1"})
			must(err)
			_, _, err = s.SaveSpec(ctx, sys, "pets", "v1", models.SpecUpload{Content: []byte(`{}`), Hash: "h", Format: "json", SpecVersion: "3.0.3",
				Endpoints: []models.Endpoint{{Method: "GET", Path: "/pets"}, {Method: "POST", Path: "/pets"}, {Method: "GET", Path: "/pets/{petId}"}}})
			must(err)
			src := newLogSource(t, s, "edge nginx", traffic.KindNginxLog, logPath)

			const token = "Bearer e2e-secret-token"
			sent := 0
			send := func(method, host, path string, authorized bool, wantStatus int) {
				t.Helper()
				req, err := http.NewRequest(method, "http://"+addr+path, nil)
				must(err)
				req.Host = host
				if authorized {
					req.Header.Set("Authorization", token)
				}
				resp, err := http.DefaultClient.Do(req)
				must(err)
				resp.Body.Close()
				if resp.StatusCode != wantStatus {
					t.Fatalf("%s %s via nginx: %d, want %d", method, path, resp.StatusCode, wantStatus)
				}
				sent++
			}
			started := time.Now()
			send("GET", "pets.test", "/v1/pets", true, 200)
			send("GET", "pets.test", "/v1/pets", false, 200)
			send("GET", "pets.test", "/v1/pets/1", true, 200)
			send("GET", "pets.test", "/v1/pets/404", true, 404)
			send("GET", "pets.test", "/v1/pets/crash", false, 500)
			send("POST", "pets.test", "/v1/pets", true, 201)
			send("DELETE", "pets.test", "/v1/pets/1", true, 204)         // a method the spec lacks
			send("GET", "pets.test", "/v1/internal/metrics", false, 200) // a path the spec lacks
			send("GET", "shadow.test", "/orders/123", true, 200)         // a host nobody catalogued
			waitForLines(t, logPath, sent)

			jr := openJournal(t)
			logRead := &jobs.LogRead{Store: s, Journal: jr, Hasher: testHasher}
			rollup := &jobs.Rollup{Store: s, Journal: jr, Consumer: "e2e"}
			readAndRollUp := func() {
				t.Helper()
				if run := runRecorded(t, s, logRead); run.Status != jobs.StatusSucceeded || run.CountMap()["bad lines"] != 0 {
					t.Fatalf("log read: %s %q %v", run.Status, run.Error, run.CountMap())
				}
				if run := runRecorded(t, s, rollup); run.Status != jobs.StatusSucceeded {
					t.Fatalf("rollup: %s %q", run.Status, run.Error)
				}
			}
			readAt := time.Now()
			readAndRollUp()

			type counts struct {
				requests, s2xx, s4xx, s5xx, https, authenticated, rateLimited int64
				documented                                                    bool
			}
			report := func() map[string]counts {
				t.Helper()
				rows, err := s.TrafficRows(ctx, version.ID, started.Add(-2*time.Hour), started.Add(2*time.Hour))
				must(err)
				out := map[string]counts{}
				for _, r := range rows {
					k := r.Method + " " + r.Template
					c := out[k]
					c.requests += r.Requests
					c.s2xx += r.Status2xx
					c.s4xx += r.Status4xx
					c.s5xx += r.Status5xx
					c.https += r.HTTPS
					c.authenticated += r.Authenticated
					c.rateLimited += r.RateLimited
					c.documented = r.Documented
					out[k] = c
				}
				return out
			}
			want := map[string]counts{
				"GET /pets":             {requests: 2, s2xx: 2, authenticated: 1, rateLimited: 2, documented: true},
				"GET /pets/{petId}":     {requests: 3, s2xx: 1, s4xx: 1, s5xx: 1, authenticated: 2, documented: true},
				"POST /pets":            {requests: 1, s2xx: 1, authenticated: 1, documented: true},
				"DELETE /pets/{petId}":  {requests: 1, s2xx: 1, authenticated: 1},
				"GET /internal/metrics": {requests: 1, s2xx: 1},
			}
			if got := report(); !reflect.DeepEqual(got, want) {
				t.Errorf("traffic of pets v1:\n got  %+v\n want %+v", got, want)
			}

			hosts, err := s.DiscoveredHosts(ctx, started.Add(-2*time.Hour))
			must(err)
			if len(hosts) != 1 || hosts[0].Host != "shadow.test" || hosts[0].Requests != 1 || hosts[0].Authenticated != 1 || hosts[0].HTTPS != 0 {
				t.Errorf("discovered hosts: %+v", hosts)
			}
			consumers, err := s.TopConsumers(ctx, version.ID, started.Add(-48*time.Hour), started.Add(48*time.Hour), 10)
			must(err)
			for _, c := range consumers {
				if strings.Contains(c.Consumer, "e2e-secret-token") || c.Consumer == "127.0.0.1" {
					t.Errorf("a consumer is stored in clear: %q", c.Consumer)
				}
			}

			got := sourceByID(t, s, src.ID)
			if got.EventsTotal != int64(sent) || got.LastError != "" || got.LastEventAt == nil ||
				got.CoveredFrom == nil || got.CoveredFrom.Before(started.Add(-2*time.Second)) || got.CoveredFrom.After(readAt) ||
				got.CoveredTo == nil || got.CoveredTo.Before(readAt) {
				t.Errorf("source after the read: %d events (want %d), error %q, covered %v to %v (requests from %v, read at %v)",
					got.EventsTotal, sent, got.LastError, got.CoveredFrom, got.CoveredTo, started, readAt)
			}

			// logrotate: rename the log, have nginx reopen it with USR1. The
			// request before the reopen lands in the renamed file, the one
			// after in the new file; both are read, nothing twice.
			must(os.Rename(logPath, logPath+".1"))
			send("GET", "pets.test", "/v1/pets", true, 200)
			waitForLines(t, logPath+".1", sent)
			must(nginx.Process.Signal(syscall.SIGUSR1))
			deadline := time.Now().Add(10 * time.Second)
			for _, err := os.Stat(logPath); err != nil; _, err = os.Stat(logPath) {
				if time.Now().After(deadline) {
					t.Fatalf("nginx did not reopen its log after USR1: %v", err)
				}
				time.Sleep(20 * time.Millisecond)
			}
			send("GET", "pets.test", "/v1/pets", false, 200)
			waitForLines(t, logPath, 1)
			readAndRollUp()
			if got := report()["GET /pets"]; got.requests != 4 || got.authenticated != 2 {
				t.Errorf("GET /pets after rotation: %+v, want 4 requests, 2 authenticated", got)
			}
			if got := sourceByID(t, s, src.ID); got.EventsTotal != int64(sent) {
				t.Errorf("source after rotation: %d events, want %d", got.EventsTotal, sent)
			}
		})
	}
}
