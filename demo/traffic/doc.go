// Package demotraffic generates the demo organisation's traffic: plausible
// request events in the Treblle SDK format, sent through Steward's real
// ingest path (POST /ingest/treblle) with a demo source's key, so a new
// install shows runtime scores, drift and discovered APIs on first start.
//
// It is demo data and says so: every payload's sdk is "steward-demo"
// (SDKName) and every request to Steward carries the user agent
// "steward-demo-traffic/1" (UserAgent). Nothing in it is a real caller.
//
// The generator takes the catalogue as plain data (Version) and is
// deterministic: the same catalogue, Options.Seed and Options.Now give the
// same events, byte for byte. Event timestamps are spread over the
// Options.Days (default 14) days before Options.Now with a daily rhythm:
// working hours (08:00-18:00 UTC) on weekdays are busiest, evenings
// quieter, nights and weekends quietest. Steward rolls up by event time,
// so sending two weeks of history at once is fine.
//
// # Volume
//
// About Options.Events events (DefaultEvents, 30,000, by default; at most
// MaxEvents), one request each, so a first start stays quick. Each
// version with traffic gets at least a handful, so the total can run a
// little over.
//
// # Mix
//
//   - Which versions: versions in production, preview and deprecated with
//     a deployment get traffic; design, development, testing and retired
//     ones get none. Production carries most (weight 1), deprecated less
//     and fading over the window (0.35), preview little and growing
//     (0.2), each scaled by an API popularity between 0.2 and 4.
//     Production and deprecated versions are called on their production
//     deployment 92% of the time and on staging otherwise.
//   - Silent versions: about one in ten production versions that could
//     be told apart as zombies get no traffic at all (SilentVersions):
//     the API's only live version, on a host and base path no other API
//     shares. They are chosen by a hash of the API slug, not by the seed.
//   - Endpoints: within a version, 91% of requests call documented
//     operations (GETs most, a few operations most of all, so some
//     documented operations go unseen), 6% call undocumented endpoints
//     (paths in no spec on that deployment, such as /internal/reindex)
//     and 3% call a documented path with a method its spec does not
//     document.
//   - Statuses: 2xx mostly; 2-7% 4xx (400, 404, 409, 422, and 429 where
//     the API rate-limits); 0.2-1% 5xx (500, 502, 503, 504), 3-6% on a
//     few flaky APIs; 405 for some undocumented methods and 404 for some
//     undocumented paths; 401 (and some 403) for most unauthenticated
//     calls to APIs that require credentials.
//   - Authentication: each API has two to six consumers from a pool of
//     ten (web, mobile, batch, partner and ops clients), sending a bearer
//     token, an X-Api-Key header or Basic credentials, never masked, so
//     Steward's keyed hash tells them apart. Most APIs see 0.5-2% of
//     calls without credentials, some 5-15%, and about one in eight is
//     open, with half or more of its calls anonymous.
//   - Plain HTTP: a deployment whose URL is http:// is always called over
//     http; otherwise about two APIs in three are https only, one in five
//     sees 5-15% plain-http calls and the rest 30-60%.
//   - Response traits, per API so runtime scores differ: gzip responses
//     (about 55% of APIs, on responses of 1 KiB or more), rate-limit
//     headers (45%), HSTS on https (70%), security headers (50%).
//   - Latency is log-normal around a per-API median of 12-190 ms, with
//     about one endpoint in eight six times slower; 504s take ~30 s.
//     Response sizes are log-normal around a per-endpoint median
//     (collections larger than items; 204s and DELETEs empty).
//   - Health probes: 4% of events are kube-probe GETs of /healthz under
//     each deployment's base path, spread evenly over the day.
//   - Shadow APIs: 3% of events go to two hosts that are not in the
//     catalogue (legacy-billing.example.com and partner-sync.example.com,
//     or the next free names), mostly over plain http, so discovery has
//     something to show.
//   - Payloads: about a third of APIs report route templates
//     (route_path) as framework SDKs do, and about a third have their
//     payloads gzipped on the way to Steward.
//
// Send posts the events one per request, as the SDKs do, waiting out 429
// answers (Retry-After) without dropping anything.
package demotraffic
