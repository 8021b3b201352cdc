package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/steward-governance/steward/catalog"
	"github.com/steward-governance/steward/config"
	"github.com/steward-governance/steward/identity"
	"github.com/steward-governance/steward/models"
	"github.com/steward-governance/steward/policy"
)

// localIssuer marks users created from the command line rather than by an
// identity provider.
const localIssuer = "steward:local"

// runToken implements `steward token create`, for bootstrapping and scripts.
func runToken(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] != "create" {
		fmt.Fprintln(stderr, "Usage: steward token create --email EMAIL --role admin|governance|member [--team SLUG] [--scope read|write-specs|admin] [--expires 30d] [--name NAME]")
		return 2
	}
	fs := flag.NewFlagSet("steward token create", flag.ContinueOnError)
	fs.SetOutput(stderr)
	email := fs.String("email", "", "the person the token acts for (created if needed)")
	role := fs.String("role", "", "admin, governance or member")
	team := fs.String("team", "", "team slug: with --role member, the team joined; the token then acts for that team only")
	scope := fs.String("scope", "", "read, write-specs or admin (default: admin for admin and governance, write-specs for member)")
	expires := fs.String("expires", "30d", "lifetime: days (30d) or a Go duration (12h); at most 365d")
	name := fs.String("name", "cli", "a name to tell the token apart")
	dbURL := fs.String("database-url", "", "database (default: STEWARD_DATABASE_URL, else steward.db)")
	if err := fs.Parse(args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	fail := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "steward token create: "+format+"\n", a...)
		return 2
	}
	*email = strings.TrimSpace(*email)
	if !strings.Contains(*email, "@") {
		return fail("--email must be an email address")
	}
	if *role != "admin" && *role != "governance" && *role != "member" {
		return fail("--role must be admin, governance or member")
	}
	if *role == "member" && *team == "" {
		return fail("--role member needs --team SLUG")
	}
	if *scope == "" {
		*scope = map[string]string{"admin": "admin", "governance": "admin", "member": "write-specs"}[*role]
	}
	if *scope != string(policy.ScopeRead) && *scope != string(policy.ScopeWriteSpecs) && *scope != string(policy.ScopeAdmin) {
		return fail("--scope must be read, write-specs or admin")
	}
	life, err := parseLifetime(*expires)
	if err != nil {
		return fail("--expires %q: %v", *expires, err)
	}
	cfg, err := config.Load(nil, getenv, stderr)
	if err != nil {
		return fail("%v", err)
	}
	if *dbURL != "" {
		cfg.DatabaseURL = *dbURL
	}
	store, err := models.Open(cfg.DatabaseURL, nil)
	if err != nil {
		return fail("%v", err)
	}
	defer store.Close()
	if err := store.Migrate(); err != nil {
		return fail("%v", err)
	}
	actor := catalog.Actor{Name: "cli:token"}
	// The team is checked before anything is written, so a typo leaves no
	// user behind.
	var t *models.Team
	if *team != "" {
		t, err = store.GetTeam(ctx, *team)
		if errors.Is(err, catalog.ErrNotFound) {
			return fail("there is no team %q", *team)
		} else if err != nil {
			return fail("%v", err)
		}
	}
	u, err := store.UpsertUser(ctx, models.Identity{
		Issuer: localIssuer, Subject: strings.ToLower(*email), Email: *email, Name: *email,
		Admin: *role == "admin", Governance: *role == "governance",
	})
	if err != nil {
		return fail("%v", err)
	}
	var teamID *uint
	if t != nil {
		teamID = &t.ID
		if *role == "member" {
			if err := store.SetMember(ctx, actor, t.Slug, u.ID, string(policy.RoleMember)); err != nil {
				return fail("%v", err)
			}
		}
	}
	secret, shown, err := identity.NewTokenSecret()
	if err != nil {
		return fail("%v", err)
	}
	until := time.Now().UTC().Add(life)
	if _, err := store.CreateToken(ctx, actor, models.APIToken{Name: *name, Prefix: shown, UserID: u.ID, TeamID: teamID, Scope: *scope, ExpiresAt: &until}, secret); err != nil {
		return fail("%v", err)
	}
	fmt.Fprintf(stdout, "Created token %q for %s (%s, scope %s), expiring %s. It is shown once:\n", *name, *email, *role, *scope, until.Format(time.RFC3339))
	fmt.Fprintln(stdout, secret)
	return 0
}

// parseLifetime reads "30d" or a Go duration, from one hour to 365 days.
func parseLifetime(s string) (time.Duration, error) {
	var d time.Duration
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil {
			return 0, errors.New("use days such as 30d, or a duration such as 12h")
		}
		d = time.Duration(n) * 24 * time.Hour
	} else {
		var err error
		if d, err = time.ParseDuration(s); err != nil {
			return 0, errors.New("use days such as 30d, or a duration such as 12h")
		}
	}
	if d < time.Hour || d > 365*24*time.Hour {
		return 0, errors.New("must be between 1h and 365d")
	}
	return d, nil
}
