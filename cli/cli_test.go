package cli

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/steward-governance/steward/config"
	"github.com/steward-governance/steward/models"
)

func run(args ...string) (int, string, string) {
	var out, errOut bytes.Buffer
	code := Run(context.Background(), args, &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestHelpListsSubcommands(t *testing.T) {
	code, out, _ := run("--help")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	for _, cmd := range []string{"serve", "import", "diff", "healthcheck"} {
		if !strings.Contains(out, "  "+cmd+" ") {
			t.Errorf("help does not list %s:\n%s", cmd, out)
		}
	}
	if code, _, errOut := run("frobnicate"); code != 2 || !strings.Contains(errOut, `unknown command "frobnicate"`) {
		t.Errorf("unknown command: %d %q", code, errOut)
	}
}

func TestImportBackstageTwiceNeverDuplicates(t *testing.T) {
	db := filepath.Join(t.TempDir(), "import.db")
	code, out, errOut := run("import", "--database-url", db, filepath.Join("..", "backstage", "testdata", "example"))
	if code != 0 {
		t.Fatalf("first import: exit %d\n%s", code, errOut)
	}
	if !strings.Contains(out, "APIs 4 created") || !strings.Contains(out, "teams 3 created") {
		t.Errorf("first import: %s", out)
	}
	code, out, errOut = run("import", "--database-url", db, filepath.Join("..", "backstage", "testdata", "example"))
	if code != 0 || !strings.Contains(out, "teams 0 created, 0 updated; APIs 0 created, 0 updated") || !strings.Contains(out, "0 spec revisions stored") {
		t.Errorf("second import must change nothing: exit %d\n%s%s", code, out, errOut)
	}
	if code, _, errOut := run("import", "--database-url", db, "/no/such/folder"); code != 2 || !strings.Contains(errOut, "not a folder") {
		t.Errorf("missing folder: %d %q", code, errOut)
	}
}

func TestServeShutsDownGracefully(t *testing.T) {
	cfg, err := config.Load([]string{"--addr", "127.0.0.1:0", "--database-url", filepath.Join(t.TempDir(), "s.db"), "--demo=false", "--journal-dir", filepath.Join(t.TempDir(), "journal")}, func(string) string { return "" }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	done := make(chan error, 1)
	go func() { done <- serve(ctx, cfg, slog.New(slog.DiscardHandler), ready) }()
	var addr string
	select {
	case addr = <-ready:
	case err := <-done:
		t.Fatalf("serve stopped early: %v", err)
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not start")
	}
	res, err := http.Get("http://" + addr + "/readyz")
	if err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("readyz: %v %v", res, err)
	}
	res.Body.Close()
	if code, out, _ := run("healthcheck", "--url", "http://"+addr+"/readyz"); code != 0 || !strings.Contains(out, "ok") {
		t.Errorf("healthcheck: %d %q", code, out)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("shutdown: %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("serve did not shut down")
	}
}

func TestDevSignInOnlyOnLoopback(t *testing.T) {
	cases := []struct {
		args []string
		ok   bool
	}{
		{[]string{"--addr", "127.0.0.1:8080"}, true},
		{[]string{"--addr", "localhost:8080"}, true},
		{[]string{"--addr", "[::1]:8080"}, true},
		{[]string{"--addr", "0.0.0.0:8080"}, false},
		{[]string{"--addr", ":8080"}, false},
		{[]string{"--addr", "0.0.0.0:8080", "--insecure-dev-signin"}, true},
		{[]string{"--addr", "0.0.0.0:8080", "--oidc-issuer", "https://id.example.com", "--oidc-client-id", "steward", "--base-url", "https://steward.example.com"}, true},
	}
	for _, c := range cases {
		cfg, err := config.Load(c.args, func(string) string { return "" }, io.Discard)
		if err != nil {
			t.Fatal(err)
		}
		err = checkSignInSetup(cfg)
		if (err == nil) != c.ok {
			t.Errorf("%v: %v", c.args, err)
		}
		if err != nil && !strings.Contains(err.Error(), "STEWARD_OIDC_ISSUER") {
			t.Errorf("the refusal must say how to configure OIDC: %v", err)
		}
	}
}

func TestTokenCreatePrintsAWorkingToken(t *testing.T) {
	db := filepath.Join(t.TempDir(), "tokens.db")
	code, out, errOut := run("token", "create", "--database-url", db, "--email", "ops@example.com", "--role", "admin", "--expires", "7d")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	secret := lines[len(lines)-1]
	if !strings.HasPrefix(secret, "stw_") || strings.Contains(secret, " ") {
		t.Fatalf("the last line must be the token alone: %q", secret)
	}
	store, err := models.Open(db, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	tok, err := store.TokenBySecret(context.Background(), secret)
	if err != nil || tok.Scope != "admin" || tok.UserEmail != "ops@example.com" {
		t.Errorf("stored token: %+v %v", tok, err)
	}
	for _, bad := range [][]string{
		{"token", "create", "--database-url", db, "--email", "x", "--role", "admin"},
		{"token", "create", "--database-url", db, "--email", "a@example.com", "--role", "root"},
		{"token", "create", "--database-url", db, "--email", "a@example.com", "--role", "member"},
		{"token", "create", "--database-url", db, "--email", "a@example.com", "--role", "member", "--team", "ghosts"},
		{"token", "create", "--database-url", db, "--email", "a@example.com", "--role", "admin", "--expires", "900d"},
	} {
		if code, _, errOut := run(bad...); code == 0 || errOut == "" {
			t.Errorf("%v: exit %d, %q", bad, code, errOut)
		}
	}
}
