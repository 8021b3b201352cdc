// Package identity speaks OpenID Connect for Steward's sign-in: discovery
// (retried in the background while the provider is down), the authorization
// code flow with PKCE, ID token verification, and turning claims into a
// person with global roles. It knows nothing of Echo, sessions or storage.
package identity

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

// Settings configure the provider and how claims map to roles.
type Settings struct {
	Issuer, ClientID, ClientSecret string
	RedirectURL                    string   // <base>/auth/callback
	GroupsClaim                    string   // "groups" unless configured
	Scopes                         []string // requested besides openid; "profile email" unless configured
	AdminGroups                    []string
	GovernanceGroups               []string
	AdminEmails                    []string
}

// Provider is the configured OIDC provider, discovered lazily: Steward
// starts while the provider is down and keeps trying in the background.
type Provider struct {
	settings Settings
	log      *slog.Logger

	mu        sync.RWMutex
	oidc      *oidc.Provider
	endSess   string
	lastError error
}

// ErrUnavailable means discovery has not succeeded yet.
var ErrUnavailable = errors.New("the identity provider is not reachable yet")

// NewProvider starts discovery in the background, retrying with backoff
// until it succeeds or ctx ends.
func NewProvider(ctx context.Context, s Settings, log *slog.Logger) *Provider {
	if s.GroupsClaim == "" {
		s.GroupsClaim = "groups"
	}
	if len(s.Scopes) == 0 {
		s.Scopes = []string{"profile", "email"}
	}
	p := &Provider{settings: s, log: log, lastError: ErrUnavailable}
	go p.discover(ctx)
	return p
}

func (p *Provider) discover(ctx context.Context) {
	wait := time.Second
	for {
		dctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		op, err := oidc.NewProvider(dctx, p.settings.Issuer)
		cancel()
		if err == nil {
			var extra struct {
				EndSession string `json:"end_session_endpoint"`
			}
			_ = op.Claims(&extra) // optional field; absent means no provider sign-out
			p.mu.Lock()
			p.oidc, p.endSess, p.lastError = op, extra.EndSession, nil
			p.mu.Unlock()
			p.log.Info("identity provider discovered", "issuer", p.settings.Issuer)
			return
		}
		p.mu.Lock()
		p.lastError = fmt.Errorf("%w: %v", ErrUnavailable, err)
		p.mu.Unlock()
		p.log.Warn("identity provider discovery failed; retrying", "issuer", p.settings.Issuer, "error", err, "retry_in", wait)
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		wait = min(wait*2, time.Minute)
	}
}

// Ready returns nil once discovery has succeeded, else why not.
func (p *Provider) Ready() error {
	p.mu.RLock()
	defer p.mu.RUnlock()
	return p.lastError
}

// Issuer names the provider for pages.
func (p *Provider) Issuer() string { return p.settings.Issuer }

func (p *Provider) ready() (*oidc.Provider, string, error) {
	p.mu.RLock()
	defer p.mu.RUnlock()
	if p.oidc == nil {
		return nil, "", p.lastError
	}
	return p.oidc, p.endSess, nil
}

func (p *Provider) oauth(op *oidc.Provider) *oauth2.Config {
	return &oauth2.Config{
		ClientID: p.settings.ClientID, ClientSecret: p.settings.ClientSecret, RedirectURL: p.settings.RedirectURL,
		Endpoint: op.Endpoint(), Scopes: append([]string{oidc.ScopeOpenID}, p.settings.Scopes...),
	}
}

// Attempt is what a sign-in must remember between the redirect to the
// provider and the callback.
type Attempt struct {
	State, Nonce, Verifier string
}

// NewAttempt makes fresh random state, nonce and PKCE verifier.
func NewAttempt() (Attempt, error) {
	state, err := RandomString(32)
	if err != nil {
		return Attempt{}, err
	}
	nonce, err := RandomString(32)
	if err != nil {
		return Attempt{}, err
	}
	return Attempt{State: state, Nonce: nonce, Verifier: oauth2.GenerateVerifier()}, nil
}

// AuthCodeURL is where to send the browser to sign in (PKCE S256).
func (p *Provider) AuthCodeURL(a Attempt) (string, error) {
	op, _, err := p.ready()
	if err != nil {
		return "", err
	}
	return p.oauth(op).AuthCodeURL(a.State, oidc.Nonce(a.Nonce), oauth2.S256ChallengeOption(a.Verifier)), nil
}

// Claims are what Steward reads from a verified ID token.
type Claims struct {
	Issuer, Subject, Email, Name string
	Groups                       []string
	Admin, Governance            bool
	RawIDToken                   string
}

// Exchange trades the code for tokens and verifies the ID token: signature,
// issuer, audience, expiry and the nonce of this attempt.
func (p *Provider) Exchange(ctx context.Context, code string, a Attempt) (*Claims, error) {
	op, _, err := p.ready()
	if err != nil {
		return nil, err
	}
	tok, err := p.oauth(op).Exchange(ctx, code, oauth2.VerifierOption(a.Verifier))
	if err != nil {
		return nil, fmt.Errorf("identity: the provider refused the sign-in code: %w", err)
	}
	raw, ok := tok.Extra("id_token").(string)
	if !ok || raw == "" {
		return nil, errors.New("identity: the provider sent no ID token")
	}
	idt, err := op.Verifier(&oidc.Config{ClientID: p.settings.ClientID}).Verify(ctx, raw)
	if err != nil {
		return nil, fmt.Errorf("identity: the ID token is not valid: %w", err)
	}
	if idt.Nonce != a.Nonce {
		return nil, errors.New("identity: the ID token's nonce does not match this sign-in")
	}
	var all map[string]any
	if err := idt.Claims(&all); err != nil {
		return nil, fmt.Errorf("identity: read claims: %w", err)
	}
	c := &Claims{Issuer: idt.Issuer, Subject: idt.Subject, RawIDToken: raw}
	c.Email, _ = all["email"].(string)
	c.Name, _ = all["name"].(string)
	if c.Name == "" {
		c.Name, _ = all["preferred_username"].(string)
	}
	c.Groups = stringList(all[p.settings.GroupsClaim])
	c.Admin, c.Governance = Roles(p.settings, c.Email, c.Groups)
	return c, nil
}

// EndSessionURL is the provider's sign-out address for this ID token, or
// "" when the provider advertises none.
func (p *Provider) EndSessionURL(idTokenHint, postLogout string) string {
	_, end, err := p.ready()
	if err != nil || end == "" {
		return ""
	}
	sep := "?"
	if strings.Contains(end, "?") {
		sep = "&"
	}
	q := "post_logout_redirect_uri=" + url.QueryEscape(postLogout) + "&client_id=" + url.QueryEscape(p.settings.ClientID)
	if idTokenHint != "" {
		q += "&id_token_hint=" + url.QueryEscape(idTokenHint)
	}
	return end + sep + q
}

// Roles maps a person's email and groups to Steward's global roles.
func Roles(s Settings, email string, groups []string) (admin, governance bool) {
	for _, g := range groups {
		if slices.Contains(s.AdminGroups, g) {
			admin = true
		}
		if slices.Contains(s.GovernanceGroups, g) {
			governance = true
		}
	}
	for _, e := range s.AdminEmails {
		if email != "" && strings.EqualFold(e, email) {
			admin = true
		}
	}
	return admin, governance
}

// stringList reads a claim that may be a list of strings or one string.
// Keycloak's group paths ("/steward-admins") are kept as sent.
func stringList(v any) []string {
	switch x := v.(type) {
	case string:
		return []string{x}
	case []any:
		out := make([]string, 0, len(x))
		for _, e := range x {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

// RandomString returns n random bytes, URL-safe base64 encoded.
func RandomString(n int) (string, error) {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("identity: random: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// TokenPrefix starts every API token, so secret scanners and people can
// recognise one.
const TokenPrefix = "stw_"

// NewTokenSecret returns a fresh API token and the short prefix shown in
// lists to tell tokens apart.
func NewTokenSecret() (secret, shown string, err error) {
	r, err := RandomString(32)
	if err != nil {
		return "", "", err
	}
	secret = TokenPrefix + r
	return secret, secret[:len(TokenPrefix)+6], nil
}
