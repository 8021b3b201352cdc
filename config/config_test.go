package config

import (
	"io"
	"strings"
	"testing"
	"time"
)

func TestLoad(t *testing.T) {
	env := map[string]string{"STEWARD_ADDR": "0.0.0.0:9000", "STEWARD_DEMO": "false"}
	c, err := Load([]string{"--addr", "127.0.0.1:7000", "--request-timeout", "5s"}, func(k string) string { return env[k] }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != "127.0.0.1:7000" {
		t.Errorf("flag should win over env: %q", c.Addr)
	}
	if c.Demo {
		t.Error("STEWARD_DEMO=false ignored")
	}
	if c.DatabaseURL != "steward.db" || c.MaxSpecBytes != 25<<20 || c.RequestTimeout != 5*time.Second {
		t.Errorf("defaults: %+v", c)
	}
}

func TestLoadRejectsBadValues(t *testing.T) {
	cases := map[string]struct {
		args []string
		env  map[string]string
		want string
	}{
		"bad bool env":     {env: map[string]string{"STEWARD_DEMO": "maybe"}, want: `STEWARD_DEMO="maybe": must be true or false`},
		"bad duration":     {args: []string{"--request-timeout", "soon"}, want: "--request-timeout"},
		"negative size":    {env: map[string]string{"STEWARD_MAX_SPEC_BYTES": "-1"}, want: "positive number"},
		"stray argument":   {args: []string{"extra"}, want: `unexpected argument "extra"`},
		"unknown log form": {args: []string{"--log-format", "xml"}, want: "text or json"},
	}
	for name, c := range cases {
		_, err := Load(c.args, func(k string) string { return c.env[k] }, io.Discard)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want it to mention %q", name, err, c.want)
		}
	}
}
