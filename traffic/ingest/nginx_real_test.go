package ingest

import (
	"bytes"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestNginxLogFormatRealNginx runs nginx with NginxLogFormat, sends it
// requests and parses what it logs. It needs an nginx binary on PATH
// (Debian's nginx-light, which .ci/run installs); outside CI it skips
// without one.
func TestNginxLogFormatRealNginx(t *testing.T) {
	bin, err := exec.LookPath("nginx")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("nginx is required in CI: apt-get install nginx-light")
		}
		t.Skip("skipping: nginx is not installed (apt-get install nginx-light); CI runs it")
	}
	dir := t.TempDir()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	logPath := filepath.Join(dir, "steward.log")
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
      add_header Strict-Transport-Security "max-age=31536000" always;
      add_header X-Content-Type-Options nosniff always;
      add_header X-Frame-Options DENY always;
      add_header RateLimit-Limit 100 always;
      return 200 "hello\n";
    }
    location /limited {
      add_header Retry-After 7 always;
      return 429;
    }
  }
}
`, dir, NginxLogFormat, logPath, addr)
	confPath := filepath.Join(dir, "nginx.conf")
	if err := os.WriteFile(confPath, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-c", confPath, "-p", dir+"/")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	}()
	for i := 0; ; i++ {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			c.Close()
			break
		}
		if i == 50 {
			t.Fatalf("nginx did not start: %s", stderr.String())
		}
		time.Sleep(50 * time.Millisecond)
	}

	send := func(method, path string, headers ...string) {
		req, err := http.NewRequest(method, "http://"+addr+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i+1 < len(headers); i += 2 {
			req.Header.Set(headers[i], headers[i+1])
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	send("GET", "/v1/caf%C3%A9?x=1", "Authorization", "Bearer tok_1", "User-Agent", `ua "quoted" \ é`)
	send("POST", "/limited", "X-Api-Key", "k1")
	send("DELETE", "/v1/things/7?access_token=z")

	var lines [][]byte
	for i := 0; i < 50 && len(lines) < 3; i++ {
		time.Sleep(20 * time.Millisecond)
		b, _ := os.ReadFile(logPath)
		lines = bytes.Split(bytes.TrimSuffix(b, []byte("\n")), []byte("\n"))
		if len(b) == 0 {
			lines = nil
		}
	}
	if len(lines) != 3 {
		t.Fatalf("nginx logged %d lines, want 3", len(lines))
	}
	host, _, _ := net.SplitHostPort(addr)
	want := []struct {
		method, path, ua string
		status           int
		consumer         string
		auth, rl, sec    bool
	}{
		{"GET", "/v1/café", `ua "quoted" \ é`, 200, "tok_1", true, true, true},
		{"POST", "/limited", "Go-http-client/1.1", 429, "k1", true, true, false},
		{"DELETE", "/v1/things/7", "Go-http-client/1.1", 200, "127.0.0.1", true, true, true},
	}
	for i, line := range lines {
		e, err := ParseNginx(line, testHasher)
		if err != nil {
			t.Fatalf("line %d: %v\n%s", i, err, line)
		}
		w := want[i]
		if e.Method != w.method || e.Path != w.path || e.UserAgent != w.ua || e.Status != w.status ||
			e.Host != host || e.Scheme != "http" || e.Consumer != testHasher.Consumer(w.consumer) ||
			e.Authenticated != w.auth || e.RateLimitHeaders != w.rl || e.SecurityHeaders != w.sec {
			t.Errorf("line %d parsed as %+v\n%s", i, e, line)
		}
		checkInvariants(t, e)
	}
}
