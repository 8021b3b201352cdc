// Package config reads Steward's settings from STEWARD_* environment
// variables and command-line flags (a flag wins over its variable). Every
// option is declared once in Options, which also feeds `--help` and the
// README's table.
package config

import (
	"flag"
	"fmt"
	"io"
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
}

// Option describes one setting: its flag, variable, default and meaning.
type Option struct {
	Flag, Env, Default, Usage string
	set                       func(c *Config, v string) error
}

// Options lists every setting of `steward serve`.
var Options = []Option{
	{"addr", "STEWARD_ADDR", "127.0.0.1:8080", "listen address (host:port)", func(c *Config, v string) error { c.Addr = v; return nil }},
	{"database-url", "STEWARD_DATABASE_URL", "steward.db", "a `postgres://` URL, or a SQLite file path", func(c *Config, v string) error { c.DatabaseURL = v; return nil }},
	{"demo", "STEWARD_DEMO", "true", "seed the demo organisation into an empty database", boolSetter(func(c *Config, b bool) { c.Demo = b })},
	{"max-spec-bytes", "STEWARD_MAX_SPEC_BYTES", "26214400", "largest spec upload accepted, in bytes (25 MB)", func(c *Config, v string) error {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n <= 0 {
			return fmt.Errorf("must be a positive number of bytes")
		}
		c.MaxSpecBytes = n
		return nil
	}},
	{"request-timeout", "STEWARD_REQUEST_TIMEOUT", "30s", "deadline for one request's work", durationSetter(func(c *Config, d time.Duration) { c.RequestTimeout = d })},
	{"shutdown-grace", "STEWARD_SHUTDOWN_GRACE", "10s", "how long shutdown waits for requests in flight", durationSetter(func(c *Config, d time.Duration) { c.ShutdownGrace = d })},
	{"log-level", "STEWARD_LOG_LEVEL", "info", "debug, info, warn or error", func(c *Config, v string) error {
		switch v {
		case "debug", "info", "warn", "error":
			c.LogLevel = v
			return nil
		}
		return fmt.Errorf("must be debug, info, warn or error")
	}},
	{"log-format", "STEWARD_LOG_FORMAT", "text", "text or json", func(c *Config, v string) error {
		if v != "text" && v != "json" {
			return fmt.Errorf("must be text or json")
		}
		c.LogFormat = v
		return nil
	}},
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
		values[o.Flag] = fs.String(o.Flag, "", fmt.Sprintf("%s (env %s, default %q)", o.Usage, o.Env, o.Default))
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
			return nil, fmt.Errorf("%s=%q: %w", source, v, err)
		}
	}
	return c, nil
}

// FromEnv loads with no flags, from the process environment.
func FromEnv() (*Config, error) { return Load(nil, os.Getenv, io.Discard) }
