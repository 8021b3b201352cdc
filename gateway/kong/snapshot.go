package kong

import (
	"bytes"
	"encoding/json"
	"time"
)

// Snapshot is the gateway configuration read by one Fetch. Kong's Admin API
// has no transactions, so a snapshot is only as consistent as the gateway
// was while its pages were read: a route may name a service created after
// the services were listed.
type Snapshot struct {
	Workspace string
	Services  []Service
	Routes    []Route
	Plugins   []Plugin
}

// Service is a Kong Gateway Service: the upstream API that routes forward to.
type Service struct {
	ID        string
	Name      string
	Protocol  string
	Host      string
	Port      int
	Path      string
	Enabled   bool
	Tags      []string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Route is a Kong Route: what requests match it and which service it forwards to.
type Route struct {
	ID        string
	Name      string
	ServiceID string // empty when the route has no service
	Protocols []string
	Methods   []string // empty means every method
	Hosts     []string
	Paths     []string
	// Expression is set instead of Protocols, Paths and so on when Kong runs
	// the expressions router.
	Expression string
	StripPath  bool
	Tags       []string
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// Plugin is a Kong plugin instance and the entities it is scoped to; empty
// IDs mean "not scoped to one", so a plugin with none is global. Its config
// is not kept: plugin configs hold client secrets and keys (openid-connect,
// ldap-auth, vault-auth), and Steward only needs to know what runs where.
type Plugin struct {
	ID              string
	Name            string
	InstanceName    string
	Enabled         bool
	ServiceID       string
	RouteID         string
	ConsumerID      string
	ConsumerGroupID string
	Protocols       []string
	Tags            []string
	CreatedAt       time.Time
	UpdatedAt       time.Time
}

// The *JSON types mirror the Admin API's entity shapes. They are decoded
// separately so the exported types stay free of JSON quirks: nullable
// fields, Kong's defaults for absent ones, and Lua's empty-table-as-object.

type ref struct {
	ID string `json:"id"`
}

func (r *ref) id() string {
	if r == nil {
		return ""
	}
	return r.ID
}

type serviceJSON struct {
	ID        string     `json:"id"`
	Name      string     `json:"name"`
	Protocol  string     `json:"protocol"`
	Host      string     `json:"host"`
	Port      int        `json:"port"`
	Path      string     `json:"path"`
	Enabled   *bool      `json:"enabled"`
	Tags      stringList `json:"tags"`
	CreatedAt unixTime   `json:"created_at"`
	UpdatedAt unixTime   `json:"updated_at"`
}

func (s serviceJSON) service() Service {
	return Service{
		ID:        s.ID,
		Name:      s.Name,
		Protocol:  s.Protocol,
		Host:      s.Host,
		Port:      s.Port,
		Path:      s.Path,
		Enabled:   orTrue(s.Enabled), // Kong before 2.7 has no enabled field; its services always ran
		Tags:      s.Tags,
		CreatedAt: s.CreatedAt.time(),
		UpdatedAt: s.UpdatedAt.time(),
	}
}

type routeJSON struct {
	ID         string     `json:"id"`
	Name       string     `json:"name"`
	Service    *ref       `json:"service"`
	Protocols  stringList `json:"protocols"`
	Methods    stringList `json:"methods"`
	Hosts      stringList `json:"hosts"`
	Paths      stringList `json:"paths"`
	Expression string     `json:"expression"`
	StripPath  *bool      `json:"strip_path"`
	Tags       stringList `json:"tags"`
	CreatedAt  unixTime   `json:"created_at"`
	UpdatedAt  unixTime   `json:"updated_at"`
}

func (r routeJSON) route() Route {
	return Route{
		ID:         r.ID,
		Name:       r.Name,
		ServiceID:  r.Service.id(),
		Protocols:  r.Protocols,
		Methods:    r.Methods,
		Hosts:      r.Hosts,
		Paths:      r.Paths,
		Expression: r.Expression,
		StripPath:  orTrue(r.StripPath), // Kong's default
		Tags:       r.Tags,
		CreatedAt:  r.CreatedAt.time(),
		UpdatedAt:  r.UpdatedAt.time(),
	}
}

type pluginJSON struct {
	ID            string     `json:"id"`
	Name          string     `json:"name"`
	InstanceName  string     `json:"instance_name"`
	Enabled       *bool      `json:"enabled"`
	Service       *ref       `json:"service"`
	Route         *ref       `json:"route"`
	Consumer      *ref       `json:"consumer"`
	ConsumerGroup *ref       `json:"consumer_group"`
	Protocols     stringList `json:"protocols"`
	Tags          stringList `json:"tags"`
	CreatedAt     unixTime   `json:"created_at"`
	UpdatedAt     unixTime   `json:"updated_at"`
}

func (p pluginJSON) plugin() Plugin {
	return Plugin{
		ID:              p.ID,
		Name:            p.Name,
		InstanceName:    p.InstanceName,
		Enabled:         orTrue(p.Enabled), // Kong's default
		ServiceID:       p.Service.id(),
		RouteID:         p.Route.id(),
		ConsumerID:      p.Consumer.id(),
		ConsumerGroupID: p.ConsumerGroup.id(),
		Protocols:       p.Protocols,
		Tags:            p.Tags,
		CreatedAt:       p.CreatedAt.time(),
		UpdatedAt:       p.UpdatedAt.time(),
	}
}

func orTrue(b *bool) bool {
	return b == nil || *b
}

// stringList accepts null, an array of strings, and {}: Lua cannot tell an
// empty array from an empty object, and older Kong versions encode an empty
// list as {}.
type stringList []string

func (l *stringList) UnmarshalJSON(b []byte) error {
	if isEmptyObject(b) || bytes.Equal(bytes.TrimSpace(b), []byte("null")) {
		*l = nil
		return nil
	}
	var s []string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	*l = s
	return nil
}

func isEmptyObject(b []byte) bool {
	b = bytes.TrimSpace(b)
	if len(b) < 2 || b[0] != '{' || b[len(b)-1] != '}' {
		return false
	}
	return len(bytes.TrimSpace(b[1:len(b)-1])) == 0
}

// unixTime is Kong's timestamp: seconds since the epoch, as a JSON number.
type unixTime float64

func (t unixTime) time() time.Time {
	if t <= 0 {
		return time.Time{}
	}
	return time.Unix(int64(t), 0).UTC()
}
