package config

import (
	"os"
	"strings"
	"testing"
)

// TestREADMEListsEveryOption keeps the README's configuration table in step
// with Options, the single declaration of every setting.
func TestREADMEListsEveryOption(t *testing.T) {
	b, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := string(b)
	for _, o := range Options {
		def := "`" + o.Default + "`"
		if o.Default == "" {
			def = "(none)"
		}
		row := "| `--" + o.Flag + "` | `" + o.Env + "` | " + def + " | " + o.Usage + " |"
		if !strings.Contains(readme, row) {
			t.Errorf("README lacks the row:\n%s", row)
		}
	}
}
