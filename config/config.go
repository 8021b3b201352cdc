// Package config reads Steward's settings from STEWARD_* environment
// variables and command-line flags (a flag wins over its variable). Every
// option is declared once in Options, which also feeds `--help` and the
// README's table.
package config

import (
	"flag"
	"fmt"
	"io"
	"net"
	"net/mail"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"
)

// Config is the resolved configuration, passed explicitly to what needs it.
type Config struct {
	Addr           string
	DatabaseURL    string
	Demo           bool
	MaxSpecBytes   int64
	RequestTimeout time.Duration
	ShutdownGrace  time.Duration
	LogLevel       string
	LogFormat      string

	BaseURL          string
	OIDCIssuer       string
	OIDCClientID     string
	OIDCClientSecret string
	GroupsClaim      string
	OIDCScopes       []string
	AdminGroups      []string
	GovernanceGroups []string
	AdminEmails      []string
	SessionIdle      time.Duration
	SessionMax       time.Duration
	InsecureDevLogin bool

	SecretKey      string
	JournalDir     string
	IngestMaxBytes int64

	// SMTP settings for notification email; no SMTPAddr, no email.
	SMTPAddr     string
	SMTPUsername string
	SMTPPassword string
	SMTPFrom     string
}

// DevSignIn reports whether Steward offers the demo personas instead of
// OIDC: only with no issuer configured.
func (c *Config) DevSignIn() bool { return c.OIDCIssuer == "" }

// Option describes one setting: its flag, variable, default and meaning.
type Option struct {
	Flag, Env, Default, Usage string
	set                       func(c *Config, v string) error
	// Secret options are never echoed back in errors or logs.
	Secret bool
}

// Options lists every setting of `steward serve`.
var Options = []Option{
	{"addr", "STEWARD_ADDR", "127.0.0.1:8080", "listen address (host:port)", func(c *Config, v string) error { c.Addr = v; return nil }, false},
	{"database-url", "STEWARD_DATABASE_URL", "steward.db", "a `postgres://` URL, or a SQLite file path", func(c *Config, v string) error { c.DatabaseURL = v; return nil }, false},
	{"demo", "STEWARD_DEMO", "true", "seed the demo organisation into an empty database", boolSetter(func(c *Config, b bool) { c.Demo = b }), false},
	{"max-spec-bytes", "STEWARD_MAX_SPEC_BYTES", "26214400", "largest spec upload accepted, in bytes (25 MB)", func(c *Config, v string) error {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n <= 0 {
			return fmt.Errorf("must be a positive number of bytes")
		}
		c.MaxSpecBytes = n
		return nil
	}, false},
	{"request-timeout", "STEWARD_REQUEST_TIMEOUT", "30s", "deadline for one request's work", durationSetter(func(c *Config, d time.Duration) { c.RequestTimeout = d }), false},
	{"shutdown-grace", "STEWARD_SHUTDOWN_GRACE", "10s", "how long shutdown waits for requests in flight", durationSetter(func(c *Config, d time.Duration) { c.ShutdownGrace = d }), false},
	{"log-level", "STEWARD_LOG_LEVEL", "info", "debug, info, warn or error", func(c *Config, v string) error {
		switch v {
		case "debug", "info", "warn", "error":
			c.LogLevel = v
			return nil
		}
		return fmt.Errorf("must be debug, info, warn or error")
	}, false},
	{"log-format", "STEWARD_LOG_FORMAT", "text", "text or json", func(c *Config, v string) error {
		if v != "text" && v != "json" {
			return fmt.Errorf("must be text or json")
		}
		c.LogFormat = v
		return nil
	}, false},
	{"base-url", "STEWARD_BASE_URL", "", "public URL of Steward; the OIDC redirect URI is `<base>/auth/callback`", func(c *Config, v string) error {
		if v == "" {
			c.BaseURL = ""
			return nil
		}
		u, err := url.Parse(v)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("must be an absolute http(s) URL such as https://steward.example.com")
		}
		c.BaseURL = strings.TrimRight(v, "/")
		return nil
	}, false},
	{"oidc-issuer", "STEWARD_OIDC_ISSUER", "", "OIDC issuer URL; empty offers dev sign-in on loopback only", func(c *Config, v string) error { c.OIDCIssuer = v; return nil }, false},
	{"oidc-client-id", "STEWARD_OIDC_CLIENT_ID", "", "OIDC client id", func(c *Config, v string) error { c.OIDCClientID = v; return nil }, false},
	{"oidc-client-secret", "STEWARD_OIDC_CLIENT_SECRET", "", "OIDC client secret (never logged)", func(c *Config, v string) error { c.OIDCClientSecret = v; return nil }, true},
	{"groups-claim", "STEWARD_OIDC_GROUPS_CLAIM", "groups", "ID token claim that lists the user's groups", func(c *Config, v string) error { c.GroupsClaim = v; return nil }, false},
	{"oidc-scopes", "STEWARD_OIDC_SCOPES", "profile,email", "comma-separated scopes requested besides openid (add groups for Dex or Okta)", listSetter(func(c *Config, l []string) { c.OIDCScopes = l }), false},
	{"admin-groups", "STEWARD_ADMIN_GROUPS", "", "comma-separated IdP groups whose members are admins", listSetter(func(c *Config, l []string) { c.AdminGroups = l }), false},
	{"governance-groups", "STEWARD_GOVERNANCE_GROUPS", "", "comma-separated IdP groups whose members are governance leads", listSetter(func(c *Config, l []string) { c.GovernanceGroups = l }), false},
	{"admin-emails", "STEWARD_ADMIN_EMAILS", "", "comma-separated emails made admin at sign-in (bootstrap)", listSetter(func(c *Config, l []string) { c.AdminEmails = l }), false},
	{"session-idle", "STEWARD_SESSION_IDLE", "8h", "sign out after this long without a request", durationSetter(func(c *Config, d time.Duration) { c.SessionIdle = d }), false},
	{"session-max", "STEWARD_SESSION_MAX", "168h", "sign out this long after sign-in, whatever the activity", durationSetter(func(c *Config, d time.Duration) { c.SessionMax = d }), false},
	{"secret-key", "STEWARD_SECRET_KEY", "", "random string (32+ characters) that encrypts stored source credentials and keys consumer hashes; without it, dev sign-in keeps one in `<database>.secret`, other setups cannot add pulled sources", func(c *Config, v string) error { c.SecretKey = v; return nil }, true},
	{"journal-dir", "STEWARD_JOURNAL_DIR", "steward-journal", "folder of the ingest journal, where acknowledged events are kept until rolled up (one per replica)", func(c *Config, v string) error { c.JournalDir = v; return nil }, false},
	{"ingest-max-bytes", "STEWARD_INGEST_MAX_BYTES", "2097152", "largest ingest request accepted after decompression, in bytes (2 MB, as Treblle's backend)", func(c *Config, v string) error {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n <= 0 {
			return fmt.Errorf("must be a positive number of bytes")
		}
		c.IngestMaxBytes = n
		return nil
	}, false},
	{"smtp-addr", "STEWARD_SMTP_ADDR", "", "mail server (host:port) for notification email, with STARTTLS when offered; empty sends no email", func(c *Config, v string) error {
		if v != "" {
			if _, port, err := net.SplitHostPort(v); err != nil || port == "" {
				return fmt.Errorf("must be host:port, such as smtp.example.com:587")
			}
		}
		c.SMTPAddr = v
		return nil
	}, false},
	{"smtp-username", "STEWARD_SMTP_USERNAME", "", "SMTP user for PLAIN authentication (only over STARTTLS or to a loopback relay)", func(c *Config, v string) error { c.SMTPUsername = v; return nil }, false},
	{"smtp-password", "STEWARD_SMTP_PASSWORD", "", "SMTP password (never logged)", func(c *Config, v string) error { c.SMTPPassword = v; return nil }, true},
	{"smtp-from", "STEWARD_SMTP_FROM", "", "sender of notification email, such as `Steward <steward@example.com>`", func(c *Config, v string) error {
		if v != "" {
			if _, err := mail.ParseAddress(v); err != nil || strings.ContainsAny(v, "\r\n") {
				return fmt.Errorf("must be an email address, such as Steward <steward@example.com>")
			}
		}
		c.SMTPFrom = v
		return nil
	}, false},
	{"insecure-dev-signin", "STEWARD_INSECURE_DEV_SIGNIN", "false", "allow the demo personas on a non-loopback address (never in production)", boolSetter(func(c *Config, b bool) { c.InsecureDevLogin = b }), false},
}

func listSetter(f func(*Config, []string)) func(*Config, string) error {
	return func(c *Config, v string) error {
		var out []string
		for _, p := range strings.Split(v, ",") {
			if p = strings.TrimSpace(p); p != "" {
				out = append(out, p)
			}
		}
		f(c, out)
		return nil
	}
}

func boolSetter(f func(*Config, bool)) func(*Config, string) error {
	return func(c *Config, v string) error {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return fmt.Errorf("must be true or false")
		}
		f(c, b)
		return nil
	}
}

func durationSetter(f func(*Config, time.Duration)) func(*Config, string) error {
	return func(c *Config, v string) error {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			return fmt.Errorf("must be a positive duration such as 30s or 2m")
		}
		f(c, d)
		return nil
	}
}

// Load resolves the configuration from defaults, then getenv, then args.
// Errors name the flag or variable at fault and say what it accepts.
func Load(args []string, getenv func(string) string, usageOut io.Writer) (*Config, error) {
	c := &Config{}
	fs := flag.NewFlagSet("steward serve", flag.ContinueOnError)
	fs.SetOutput(usageOut)
	values := map[string]*string{}
	for _, o := range Options {
		v := &flagValue{isBool: o.Default == "true" || o.Default == "false"}
		values[o.Flag] = &v.s
		fs.Var(v, o.Flag, fmt.Sprintf("%s (env %s, default %q)", o.Usage, o.Env, o.Default))
	}
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	for _, o := range Options {
		v, source := o.Default, "default"
		if e := strings.TrimSpace(getenv(o.Env)); e != "" {
			v, source = e, o.Env
		}
		if set[o.Flag] {
			v, source = *values[o.Flag], "--"+o.Flag
		}
		if err := o.set(c, v); err != nil {
			if o.Secret {
				return nil, fmt.Errorf("%s: %w", source, err)
			}
			return nil, fmt.Errorf("%s=%q: %w", source, v, err)
		}
	}
	if c.OIDCIssuer != "" && (c.OIDCClientID == "" || c.BaseURL == "") {
		return nil, fmt.Errorf("STEWARD_OIDC_ISSUER is set, so STEWARD_OIDC_CLIENT_ID and STEWARD_BASE_URL are needed too (the redirect URI is <base>/auth/callback)")
	}
	if c.SMTPAddr != "" && c.SMTPFrom == "" {
		return nil, fmt.Errorf("STEWARD_SMTP_ADDR is set, so STEWARD_SMTP_FROM is needed too: the address notification email comes from")
	}
	return c, nil
}

// FromEnv loads with no flags, from the process environment.
func FromEnv() (*Config, error) { return Load(nil, os.Getenv, io.Discard) }

// flagValue holds a flag as typed; boolean options may be given bare
// ("--demo") as well as with a value ("--demo=false").
type flagValue struct {
	s      string
	isBool bool
}

func (f *flagValue) String() string     { return f.s }
func (f *flagValue) Set(v string) error { f.s = v; return nil }
func (f *flagValue) IsBoolFlag() bool   { return f.isBool }
