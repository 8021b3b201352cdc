package identity_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/oauth2-proxy/mockoidc"
	"gopkg.in/yaml.v3"

	"github.com/steward-governance/steward/config"
	"github.com/steward-governance/steward/identity"
)

// The docker compose setup (docker-compose.yml) runs Keycloak with the
// realm in deploy/keycloak/steward-realm.json. Docker is not available where
// the tests run, so these tests check the realm file against the compose
// file and Steward's expectations, then sign each realm user in through
// Steward's real OIDC client code against an in-process provider
// (mockoidc) configured like the realm: same client, same groups claim.

const (
	realmPath   = "../deploy/keycloak/steward-realm.json"
	composePath = "../docker-compose.yml"
	readmePath  = "../README.md"
	readmeTitle = "## Single sign-on with docker compose"
)

// documented is what README.md promises for each realm user.
var documented = []struct {
	user              string
	admin, governance bool
	role              string // as written in the README's table
}{
	{user: "alice", admin: true, role: "**admin**"},
	{user: "bob", governance: true, role: "**governance lead**"},
	{user: "carol", role: "**no global role**"},
}

// keycloakBuiltInScopes are the client scopes Keycloak creates in every new
// realm (when the realm file declares no clientScopes) and attaches to new
// clients as default or optional scopes. Keycloak refuses an authorization
// request naming any other scope (TokenManager.isValidScope: invalid_scope).
var keycloakBuiltInScopes = []string{
	"profile", "email", "roles", "web-origins", "acr", "basic",
	"address", "phone", "offline_access", "microprofile-jwt", "organization",
}

// realmFile is the part of Keycloak's RealmRepresentation the realm file
// uses. Unknown fields are rejected so that a misspelt field, which
// Keycloak would not apply, fails here: add a field only after checking its
// name in Keycloak's representation.
type realmFile struct {
	Realm                  string        `json:"realm"`
	DisplayName            string        `json:"displayName"`
	Enabled                bool          `json:"enabled"`
	SSLRequired            string        `json:"sslRequired"`
	RegistrationAllowed    bool          `json:"registrationAllowed"`
	LoginWithEmailAllowed  bool          `json:"loginWithEmailAllowed"`
	DuplicateEmailsAllowed bool          `json:"duplicateEmailsAllowed"`
	ResetPasswordAllowed   bool          `json:"resetPasswordAllowed"`
	EditUsernameAllowed    bool          `json:"editUsernameAllowed"`
	Groups                 []realmGroup  `json:"groups"`
	Clients                []realmClient `json:"clients"`
	Users                  []realmUser   `json:"users"`
}

type realmGroup struct {
	Name string `json:"name"`
	Path string `json:"path"`
}

type realmClient struct {
	ClientID                  string            `json:"clientId"`
	Name                      string            `json:"name"`
	Description               string            `json:"description"`
	Enabled                   bool              `json:"enabled"`
	Protocol                  string            `json:"protocol"`
	PublicClient              bool              `json:"publicClient"`
	BearerOnly                bool              `json:"bearerOnly"`
	ClientAuthenticatorType   string            `json:"clientAuthenticatorType"`
	Secret                    string            `json:"secret"`
	StandardFlowEnabled       bool              `json:"standardFlowEnabled"`
	ImplicitFlowEnabled       bool              `json:"implicitFlowEnabled"`
	DirectAccessGrantsEnabled bool              `json:"directAccessGrantsEnabled"`
	ServiceAccountsEnabled    bool              `json:"serviceAccountsEnabled"`
	ConsentRequired           bool              `json:"consentRequired"`
	FrontchannelLogout        bool              `json:"frontchannelLogout"`
	RootURL                   string            `json:"rootUrl"`
	BaseURL                   string            `json:"baseUrl"`
	RedirectURIs              []string          `json:"redirectUris"`
	WebOrigins                []string          `json:"webOrigins"`
	Attributes                map[string]string `json:"attributes"`
	ProtocolMappers           []realmMapper     `json:"protocolMappers"`
}

type realmMapper struct {
	Name            string            `json:"name"`
	Protocol        string            `json:"protocol"`
	ProtocolMapper  string            `json:"protocolMapper"`
	ConsentRequired bool              `json:"consentRequired"`
	Config          map[string]string `json:"config"`
}

type realmUser struct {
	Username      string `json:"username"`
	Enabled       bool   `json:"enabled"`
	Email         string `json:"email"`
	EmailVerified bool   `json:"emailVerified"`
	FirstName     string `json:"firstName"`
	LastName      string `json:"lastName"`
	Credentials   []struct {
		Type      string `json:"type"`
		Value     string `json:"value"`
		Temporary bool   `json:"temporary"`
	} `json:"credentials"`
	RequiredActions []string `json:"requiredActions"`
	Groups          []string `json:"groups"`
}

// password is the user's permanent password, or "".
func (u realmUser) password() string {
	for _, c := range u.Credentials {
		if c.Type == "password" && !c.Temporary {
			return c.Value
		}
	}
	return ""
}

// groupNames is what Keycloak's group membership mapper emits with
// full.path false: the last segment of each group path.
func (u realmUser) groupNames() []string {
	var out []string
	for _, p := range u.Groups {
		out = append(out, p[strings.LastIndex(p, "/")+1:])
	}
	return out
}

type composeFile struct {
	Services map[string]composeService `yaml:"services"`
}

type composeService struct {
	Image       string            `yaml:"image"`
	Command     []string          `yaml:"command"`
	NetworkMode string            `yaml:"network_mode"`
	Ports       []string          `yaml:"ports"`
	Volumes     []string          `yaml:"volumes"`
	Environment map[string]string `yaml:"environment"`
}

// setup is the realm, the compose file and Steward's configuration as the
// compose file gives it to the steward container.
type setup struct {
	realm    realmFile
	client   realmClient
	compose  composeFile
	keycloak composeService
	steward  composeService
	cfg      *config.Config
}

func loadSetup(t *testing.T) *setup {
	t.Helper()
	s := &setup{}
	b, err := os.ReadFile(realmPath)
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&s.realm); err != nil {
		t.Fatalf("%s: %v", realmPath, err)
	}
	b, err = os.ReadFile(composePath)
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(b, &s.compose); err != nil {
		t.Fatalf("%s: %v", composePath, err)
	}
	var ok bool
	if s.keycloak, ok = s.compose.Services["keycloak"]; !ok {
		t.Fatalf("%s has no keycloak service", composePath)
	}
	if s.steward, ok = s.compose.Services["steward"]; !ok {
		t.Fatalf("%s has no steward service", composePath)
	}
	// The same loading `steward serve` does in the container.
	s.cfg, err = config.Load(nil, func(k string) string { return s.steward.Environment[k] }, io.Discard)
	if err != nil {
		t.Fatalf("the steward service's environment does not load: %v", err)
	}
	if s.cfg.DevSignIn() {
		t.Fatal("the steward service has no STEWARD_OIDC_ISSUER: it would refuse to start on 0.0.0.0")
	}
	for _, c := range s.realm.Clients {
		if c.ClientID == s.cfg.OIDCClientID {
			s.client = c
		}
	}
	if s.client.ClientID == "" {
		t.Fatalf("the realm has no client %q (STEWARD_OIDC_CLIENT_ID)", s.cfg.OIDCClientID)
	}
	return s
}

func TestRealmClientMatchesSteward(t *testing.T) {
	s := loadSetup(t)
	c, base := s.client, s.cfg.BaseURL
	if s.realm.Realm == "" || !s.realm.Enabled {
		t.Errorf("realm %q: want a named, enabled realm", s.realm.Realm)
	}
	if !c.Enabled || c.PublicClient || c.BearerOnly || c.Secret == "" {
		t.Errorf("client %s: want an enabled confidential client with a secret (enabled %v, public %v, bearer-only %v)", c.ClientID, c.Enabled, c.PublicClient, c.BearerOnly)
	}
	if c.ClientAuthenticatorType != "" && c.ClientAuthenticatorType != "client-secret" {
		t.Errorf("client %s authenticates with %q; Steward sends a client secret", c.ClientID, c.ClientAuthenticatorType)
	}
	if c.Secret != s.cfg.OIDCClientSecret {
		t.Errorf("STEWARD_OIDC_CLIENT_SECRET differs from the realm client's secret")
	}
	if c.Protocol != "openid-connect" || !c.StandardFlowEnabled || c.ImplicitFlowEnabled {
		t.Errorf("client %s: want openid-connect with the standard (code) flow only", c.ClientID)
	}
	if c.Attributes["pkce.code.challenge.method"] != "S256" {
		t.Errorf("client %s: PKCE S256 is not required (pkce.code.challenge.method %q)", c.ClientID, c.Attributes["pkce.code.challenge.method"])
	}
	if !slices.Contains(c.RedirectURIs, base+"/auth/callback") {
		t.Errorf("client %s: redirect URIs %q lack %s/auth/callback (STEWARD_BASE_URL)", c.ClientID, c.RedirectURIs, base)
	}
	// Steward's sign-out sends the browser to the provider with this
	// post-logout address (handlers/auth_login.go).
	if postLogout := base + "/login?signed_out=1"; !keycloakRedirectAllowed(strings.Split(c.Attributes["post.logout.redirect.uris"], "##"), c.RedirectURIs, postLogout) {
		t.Errorf("client %s: post.logout.redirect.uris %q does not allow %s", c.ClientID, c.Attributes["post.logout.redirect.uris"], postLogout)
	}
	if !slices.Contains(c.WebOrigins, base) && !slices.Contains(c.WebOrigins, "+") {
		t.Errorf("client %s: web origins %q lack %s", c.ClientID, c.WebOrigins, base)
	}

	// The groups mapper: Steward reads the groups claim of the ID token
	// and compares plain group names.
	var mappers []realmMapper
	for _, m := range c.ProtocolMappers {
		if m.ProtocolMapper == "oidc-group-membership-mapper" {
			mappers = append(mappers, m)
		}
	}
	if len(mappers) != 1 {
		t.Fatalf("client %s: want one oidc-group-membership-mapper, found %d", c.ClientID, len(mappers))
	}
	m := mappers[0]
	if m.Protocol != "openid-connect" || m.Config["claim.name"] != s.cfg.GroupsClaim || m.Config["id.token.claim"] != "true" || m.Config["full.path"] != "false" {
		t.Errorf("groups mapper %q: want claim %q (STEWARD_OIDC_GROUPS_CLAIM) in the ID token without the full path; config %v", m.Name, s.cfg.GroupsClaim, m.Config)
	}

	// Scopes: the realm declares no client scopes of its own, so Keycloak
	// creates its built-in ones; Steward must request only those.
	for _, sc := range s.cfg.OIDCScopes {
		if !slices.Contains(keycloakBuiltInScopes, sc) {
			t.Errorf("STEWARD_OIDC_SCOPES asks for %q, which Keycloak does not know in this realm (invalid_scope); the groups claim needs no scope here", sc)
		}
	}
}

// keycloakRedirectAllowed mirrors Keycloak's RedirectUtils for absolute
// URIs: an exact match, or a pattern ending in * (without a query) that
// prefixes the URI once its query is stripped; for post-logout URIs, "+"
// stands for the client's redirect URIs.
func keycloakRedirectAllowed(valid, redirectURIs []string, uri string) bool {
	for _, v := range valid {
		if v == uri || v == "+" && keycloakRedirectAllowed(redirectURIs, nil, uri) {
			return true
		}
		if p, ok := strings.CutSuffix(v, "*"); ok && !strings.Contains(v, "?") {
			r, _, _ := strings.Cut(uri, "?")
			if strings.HasPrefix(r, p) {
				return true
			}
		}
	}
	return false
}

func TestRealmGroupsAndUsers(t *testing.T) {
	s := loadSetup(t)
	groups := map[string]bool{}
	for _, g := range s.realm.Groups {
		if g.Path != "" && g.Path != "/"+g.Name {
			t.Errorf("group %q has path %q", g.Name, g.Path)
		}
		groups[g.Name] = true
	}
	for _, list := range [][]string{s.cfg.AdminGroups, s.cfg.GovernanceGroups} {
		for _, g := range list {
			if !groups[g] {
				t.Errorf("docker-compose.yml names group %q, which the realm lacks", g)
			}
		}
	}
	if len(s.cfg.AdminGroups) == 0 || len(s.cfg.GovernanceGroups) == 0 {
		t.Errorf("the steward service should set STEWARD_ADMIN_GROUPS and STEWARD_GOVERNANCE_GROUPS")
	}
	var users []string
	for _, u := range s.realm.Users {
		users = append(users, u.Username)
		if !u.Enabled || u.Email == "" || !u.EmailVerified || u.FirstName == "" || u.LastName == "" {
			t.Errorf("user %s: want enabled, with a verified email and a first and last name (else Keycloak asks at first sign-in)", u.Username)
		}
		if u.password() == "" || len(u.Credentials) != 1 {
			t.Errorf("user %s: want exactly one permanent password", u.Username)
		}
		if len(u.RequiredActions) > 0 {
			t.Errorf("user %s has required actions %q", u.Username, u.RequiredActions)
		}
		for _, p := range u.Groups {
			if !strings.HasPrefix(p, "/") || !groups[strings.TrimPrefix(p, "/")] {
				t.Errorf("user %s: group %q is not a top-level group path of the realm", u.Username, p)
			}
		}
	}
	var want []string
	for _, d := range documented {
		want = append(want, d.user)
	}
	slices.Sort(users)
	slices.Sort(want)
	if !slices.Equal(users, want) {
		t.Errorf("realm users %q, documented users %q", users, want)
	}
}

// TestComposeIssuerIsOneURL checks what makes the issuer identical for the
// browser and for Steward: Keycloak's fixed hostname, its port, and Steward
// sharing Keycloak's network namespace (see the comment in
// docker-compose.yml).
func TestComposeIssuerIsOneURL(t *testing.T) {
	s := loadSetup(t)
	kc := s.keycloak.Environment
	if want := kc["KC_HOSTNAME"] + "/realms/" + s.realm.Realm; s.cfg.OIDCIssuer != want {
		t.Errorf("STEWARD_OIDC_ISSUER is %q; Keycloak will issue tokens as %q (KC_HOSTNAME + /realms/ + realm)", s.cfg.OIDCIssuer, want)
	}
	iss, err := url.Parse(s.cfg.OIDCIssuer)
	if err != nil {
		t.Fatal(err)
	}
	if iss.Hostname() != "localhost" || iss.Port() != kc["KC_HTTP_PORT"] {
		t.Errorf("issuer %s: want localhost on Keycloak's own port KC_HTTP_PORT=%s", iss, kc["KC_HTTP_PORT"])
	}
	if s.steward.NetworkMode != "service:keycloak" {
		t.Errorf("steward network_mode %q: without service:keycloak, localhost in the steward container is not Keycloak", s.steward.NetworkMode)
	}
	base, err := url.Parse(s.cfg.BaseURL)
	if err != nil {
		t.Fatal(err)
	}
	_, addrPort, err := net.SplitHostPort(s.cfg.Addr)
	if err != nil {
		t.Fatal(err)
	}
	if base.Port() != addrPort {
		t.Errorf("STEWARD_BASE_URL port %s differs from STEWARD_ADDR port %s", base.Port(), addrPort)
	}
	for _, port := range []string{iss.Port(), base.Port()} {
		if !slices.ContainsFunc(s.keycloak.Ports, func(p string) bool { return strings.HasSuffix(p, ":"+port+":"+port) || p == port+":"+port }) {
			t.Errorf("the keycloak service does not publish port %s as itself (ports %q)", port, s.keycloak.Ports)
		}
	}
	if !slices.Contains(s.keycloak.Command, "--import-realm") {
		t.Errorf("keycloak command %q lacks --import-realm", s.keycloak.Command)
	}
	if !slices.ContainsFunc(s.keycloak.Volumes, func(v string) bool { return strings.HasPrefix(v, "./deploy/keycloak:/opt/keycloak/data/import") }) {
		t.Errorf("keycloak volumes %q do not mount ./deploy/keycloak on /opt/keycloak/data/import", s.keycloak.Volumes)
	}
	// Keycloak's directory import reads files named <realm>-realm.json, and
	// tries every other *.json file of the folder as a single-file import.
	if !strings.HasSuffix(realmPath, "/"+s.realm.Realm+"-realm.json") {
		t.Errorf("%s: Keycloak imports a realm from <realm>-realm.json, and this realm is %q", realmPath, s.realm.Realm)
	}
	entries, err := os.ReadDir(filepath.Dir(realmPath))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".json") && e.Name() != filepath.Base(realmPath) {
			t.Errorf("%s/%s: Keycloak would try to import it too", filepath.Dir(realmPath), e.Name())
		}
	}
	if _, tag, _ := strings.Cut(s.keycloak.Image, ":"); tag == "" || tag == "latest" {
		t.Errorf("keycloak image %q: pin a version", s.keycloak.Image)
	}
}

func TestREADMEDocumentsRealmUsers(t *testing.T) {
	s := loadSetup(t)
	b, err := os.ReadFile(readmePath)
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(b), "\n"+readmeTitle+"\n")
	if !ok {
		t.Fatalf("README.md lacks the section %q", readmeTitle)
	}
	section, _, _ = strings.Cut(section, "\n## ")
	for _, d := range documented {
		var u realmUser
		for _, ru := range s.realm.Users {
			if ru.Username == d.user {
				u = ru
			}
		}
		var row string
		for _, line := range strings.Split(section, "\n") {
			if strings.HasPrefix(line, "| `"+d.user+"` |") {
				row = line
			}
		}
		if row == "" {
			t.Errorf("README: no row for %s in %q", d.user, readmeTitle)
			continue
		}
		if !strings.HasPrefix(row, "| `"+d.user+"` | `"+u.password()+"` |") {
			t.Errorf("README row %q: want the realm password of %s in the second column", row, d.user)
		}
		for _, g := range u.groupNames() {
			if !strings.Contains(row, "`"+g+"`") {
				t.Errorf("README row %q lacks group %s", row, g)
			}
		}
		if !strings.Contains(row, d.role) {
			t.Errorf("README row %q lacks %q", row, d.role)
		}
	}
}

// TestRealmUsersSignIn signs every realm user in through identity.Provider,
// configured from the compose environment, against an in-process provider
// holding the realm's client and emitting each user's groups the way the
// realm's mapper does, and checks the roles the README documents.
func TestRealmUsersSignIn(t *testing.T) {
	s := loadSetup(t)
	if s.cfg.GroupsClaim != "groups" {
		t.Fatalf("the in-process provider emits its groups claim as \"groups\", not %q", s.cfg.GroupsClaim)
	}
	mock, err := mockoidc.NewServer(nil)
	if err != nil {
		t.Fatal(err)
	}
	mock.ClientID, mock.ClientSecret = s.client.ClientID, s.client.Secret
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if err := mock.Start(ln, nil); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { mock.Shutdown() })

	// As cli/serve.go builds it, except the issuer. mockoidc emits groups
	// only when the groups scope is asked for; Keycloak's client mapper
	// emits them whatever the scopes, so compose does not ask for it.
	settings := identity.Settings{
		Issuer: mock.Issuer(), ClientID: s.cfg.OIDCClientID, ClientSecret: s.cfg.OIDCClientSecret,
		RedirectURL: s.cfg.BaseURL + "/auth/callback", GroupsClaim: s.cfg.GroupsClaim,
		Scopes:      append(slices.Clone(s.cfg.OIDCScopes), "groups"),
		AdminGroups: s.cfg.AdminGroups, GovernanceGroups: s.cfg.GovernanceGroups, AdminEmails: s.cfg.AdminEmails,
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	p := identity.NewProvider(ctx, settings, slog.New(slog.DiscardHandler))
	for deadline := time.Now().Add(10 * time.Second); p.Ready() != nil; {
		if time.Now().After(deadline) {
			t.Fatalf("discovery: %v", p.Ready())
		}
		time.Sleep(20 * time.Millisecond)
	}
	browser := &http.Client{Timeout: 10 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

	for _, d := range documented {
		t.Run(d.user, func(t *testing.T) {
			var u realmUser
			for _, ru := range s.realm.Users {
				if ru.Username == d.user {
					u = ru
				}
			}
			if u.Username == "" {
				t.Fatalf("the realm has no user %s", d.user)
			}
			mock.QueueUser(&mockoidc.MockUser{
				Subject: "kc-" + u.Username, Email: u.Email, EmailVerified: u.EmailVerified,
				PreferredUsername: u.Username, Groups: u.groupNames(),
			})
			a, err := identity.NewAttempt()
			if err != nil {
				t.Fatal(err)
			}
			authURL, err := p.AuthCodeURL(a)
			if err != nil {
				t.Fatal(err)
			}
			q := mustParse(t, authURL).Query()
			if q.Get("client_id") != s.client.ClientID || q.Get("code_challenge_method") != "S256" || !slices.Contains(s.client.RedirectURIs, q.Get("redirect_uri")) {
				t.Fatalf("authorization request %s: want client %s, PKCE S256 and a redirect URI the realm client allows", authURL, s.client.ClientID)
			}
			res, err := browser.Get(authURL)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			cb := mustParse(t, res.Header.Get("Location"))
			if res.StatusCode != http.StatusFound || !strings.HasPrefix(cb.String(), s.cfg.BaseURL+"/auth/callback?") || cb.Query().Get("state") != a.State {
				t.Fatalf("provider redirect: %d %q", res.StatusCode, cb)
			}
			claims, err := p.Exchange(ctx, cb.Query().Get("code"), a)
			if err != nil {
				t.Fatal(err)
			}
			if claims.Email != u.Email || !slices.Equal(claims.Groups, u.groupNames()) {
				t.Errorf("claims: email %q groups %q; want %q %q", claims.Email, claims.Groups, u.Email, u.groupNames())
			}
			if claims.Admin != d.admin || claims.Governance != d.governance {
				t.Errorf("%s signs in as admin=%v governance=%v; README says admin=%v governance=%v", d.user, claims.Admin, claims.Governance, d.admin, d.governance)
			}
		})
	}
}

func mustParse(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}
