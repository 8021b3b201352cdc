package config

import (
	"io"
	"strings"
	"testing"
)

func TestLoadSMTP(t *testing.T) {
	env := map[string]string{"STEWARD_SMTP_ADDR": "smtp.example.com:587", "STEWARD_SMTP_FROM": "Steward <steward@example.com>",
		"STEWARD_SMTP_USERNAME": "steward", "STEWARD_SMTP_PASSWORD": "pw"}
	c, err := Load(nil, func(k string) string { return env[k] }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if c.SMTPAddr != "smtp.example.com:587" || c.SMTPFrom != "Steward <steward@example.com>" || c.SMTPUsername != "steward" || c.SMTPPassword != "pw" {
		t.Errorf("SMTP settings: %+v", c)
	}
	cases := map[string]struct {
		env  map[string]string
		want string
	}{
		"no port":    {map[string]string{"STEWARD_SMTP_ADDR": "smtp.example.com", "STEWARD_SMTP_FROM": "s@example.com"}, "host:port"},
		"no sender":  {map[string]string{"STEWARD_SMTP_ADDR": "smtp.example.com:587"}, "STEWARD_SMTP_FROM is needed"},
		"bad sender": {map[string]string{"STEWARD_SMTP_ADDR": "smtp.example.com:587", "STEWARD_SMTP_FROM": "steward"}, "must be an email address"},
	}
	for name, c := range cases {
		_, err := Load(nil, func(k string) string { return c.env[k] }, io.Discard)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want it to mention %q", name, err, c.want)
		}
	}
}
