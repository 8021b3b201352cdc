package sealing

import (
	"errors"
	"strings"
	"testing"
)

const secret = "0123456789abcdef0123456789abcdef-test"

func TestSealOpen(t *testing.T) {
	box, err := New(secret)
	if err != nil {
		t.Fatal(err)
	}
	sealed, err := box.Seal("kong-admin-token", "source:1:token")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(sealed, "kong-admin-token") {
		t.Fatal("sealed value holds the plaintext")
	}
	other, _ := box.Seal("kong-admin-token", "source:1:token")
	if other == sealed {
		t.Error("two seals of one value are equal: the nonce is not random")
	}
	other2, _ := New(strings.Repeat("z", 40))
	tests := []struct {
		name    string
		box     *Box
		sealed  string
		context string
		wantErr bool
	}{
		{"same key and context", box, sealed, "source:1:token", false},
		{"other context", box, sealed, "source:2:token", true},
		{"other key", other2, sealed, "source:1:token", true},
		{"altered", box, sealed[:len(sealed)-2] + "AA", "source:1:token", true},
		{"not sealed", box, "kong-admin-token", "source:1:token", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.box.Open(tt.sealed, tt.context)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tt.wantErr)
			}
			if !tt.wantErr && got != "kong-admin-token" {
				t.Errorf("opened %q", got)
			}
		})
	}
}

func TestKeyRequirements(t *testing.T) {
	if _, err := New("short"); err == nil {
		t.Error("a short secret was accepted")
	}
	empty, err := New("")
	if err != nil {
		t.Fatal(err)
	}
	if empty.Ready() {
		t.Error("an empty secret is ready")
	}
	if _, err := empty.Seal("x", "c"); !errors.Is(err, ErrNoKey) {
		t.Errorf("seal without key: %v", err)
	}
	a, _ := New(secret)
	if len(a.ConsumerKey()) != 32 || string(a.ConsumerKey()) == secret {
		t.Error("consumer key is not derived")
	}
}
