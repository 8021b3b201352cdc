package demotraffic

import (
	"cmp"
	"encoding/base64"
	"fmt"
	"math"
	"slices"
	"time"
)

// profile is how one API behaves and is called. It comes from hashes of
// the API's slug, so an API keeps its character whatever the seed.
type profile struct {
	popularity      float64 // relative traffic, 0.2 to 4
	plainHTTP       float64 // share of calls over http to an https deployment
	unauthenticated float64 // share of calls without credentials
	open            bool    // serves anonymous calls instead of answering 401
	compresses      bool
	rateLimits      bool
	hsts            bool
	securityHeaders bool
	routes          bool // the SDK reports route templates
	gzipPayloads    bool // the SDK gzips its payloads to Steward
	medianLatency   float64
	clientErrors    float64
	serverErrors    float64
	consumers       []consumer
	serverIP        string
}

func profileOf(api string) profile {
	p := profile{
		popularity:      0.2 * math.Pow(20, unit("popularity", api)),
		compresses:      unit("compress", api) < 0.55,
		rateLimits:      unit("ratelimit", api) < 0.45,
		hsts:            unit("hsts", api) < 0.70,
		securityHeaders: unit("security-headers", api) < 0.50,
		routes:          unit("routes", api) < 0.35,
		gzipPayloads:    unit("gzip-payloads", api) < 0.35,
		medianLatency:   12 * math.Pow(2, 4*unit("latency", api)),
		clientErrors:    between("4xx", api, 0.02, 0.07),
		serverErrors:    between("5xx", api, 0.002, 0.01),
	}
	switch u := unit("http", api); {
	case u < 0.65:
	case u < 0.85:
		p.plainHTTP = between("http-share", api, 0.05, 0.15)
	default:
		p.plainHTTP = between("http-share", api, 0.30, 0.60)
	}
	switch u := unit("auth", api); {
	case u < 0.12:
		p.open = true
		p.unauthenticated = between("auth-share", api, 0.5, 0.9)
	case u < 0.30:
		p.unauthenticated = between("auth-share", api, 0.05, 0.15)
	default:
		p.unauthenticated = between("auth-share", api, 0.005, 0.02)
	}
	if unit("flaky", api) < 0.15 {
		p.serverErrors = between("5xx", api, 0.03, 0.06)
	}
	// Two to six consumers, a different handful per API.
	pool := slices.Clone(consumers)
	slices.SortFunc(pool, func(a, b consumer) int {
		return cmp.Compare(hash("consumer", a.name+"/"+api), hash("consumer", b.name+"/"+api))
	})
	p.consumers = pool[:2+int(5*unit("consumers", api))]
	h := hash("server", api)
	p.serverIP = fmt.Sprintf("10.%d.%d.%d", 16+h%16, (h>>8)%256, 2+(h>>16)%250)
	return p
}

// authScheme is how a consumer sends its credentials.
type authScheme uint8

const (
	authBearer authScheme = iota
	authAPIKey
	authBasic
)

// consumer is one of the demo company's API clients.
type consumer struct {
	name      string
	userAgent string
	auth      authScheme
	ip        string
}

// credential returns the header a consumer authenticates with and its
// value. The values are invented and the same on every API, as one client
// application's credentials would be.
func (c consumer) credential() (header, value string) {
	secret := fmt.Sprintf("%016x", hash("credential", c.name))
	switch c.auth {
	case authAPIKey:
		return "x-api-key", "dk_demo_" + secret
	case authBasic:
		return "authorization", "Basic " + base64.StdEncoding.EncodeToString([]byte(c.name+":"+secret))
	}
	return "authorization", "Bearer demo_tok_" + c.name + "_" + secret
}

// consumers is the pool every API draws its consumers from, most used
// first once shuffled per API.
var consumers = []consumer{
	{"checkout-web", "acme-checkout-web/4.12.0 (+https://shop.example.com)", authBearer, "10.20.1.11"},
	{"mobile-ios", "AcmeApp/7.3.1 (iPhone; iOS 18.2; Scale/3.00)", authBearer, "198.51.100.23"},
	{"mobile-android", "okhttp/4.12.0", authBearer, "198.51.100.87"},
	{"data-warehouse", "python-requests/2.32.3", authAPIKey, "10.20.4.40"},
	{"billing-batch", "Go-http-client/1.1", authAPIKey, "10.20.7.15"},
	{"partner-globex", "Globex-Integration/2.0 (Java/21.0.2)", authAPIKey, "203.0.113.54"},
	{"partner-initech", "axios/1.7.2", authBearer, "203.0.113.121"},
	{"ops-scripts", "curl/8.5.0", authBasic, "10.20.9.3"},
	{"reporting-service", "node-fetch/3.3.2", authBearer, "10.20.5.28"},
	{"support-console", "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15", authBearer, "10.20.2.77"},
}

// anonymousAgents are what calls without credentials come from: scripts,
// browsers and the odd scanner-looking client.
var anonymousAgents = []string{
	"python-requests/2.31.0",
	"curl/7.88.1",
	"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36",
	"PostmanRuntime/7.39.0",
	"Go-http-client/2.0",
	"Apache-HttpClient/4.5.14 (Java/17.0.11)",
}

// probeAgent is the Kubernetes kubelet's health-check user agent.
const probeAgent = "kube-probe/1.31"

// logNormal returns a log-normal value around median, z a standard normal draw.
func logNormal(median, sigma, z float64) float64 {
	return median * math.Exp(sigma*z)
}

// roundMillis keeps 10 µs of a latency: what load_time's two decimals
// carry.
func roundMillis(ms float64) time.Duration {
	return time.Duration(math.Round(ms*100)) * 10 * time.Microsecond
}
