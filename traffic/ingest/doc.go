// Package ingest turns what SDKs, tracers and proxies report about HTTP
// requests into traffic.Events: Treblle SDK payloads, OTLP/HTTP traces, and
// nginx, Kong and Envoy access-log lines.
//
// Steward keeps no bodies and no header values, only facts. The decoders
// read a header's value only to decide a fact (was the response compressed)
// or to derive the caller's identity, which leaves the package only as a
// keyed hash (see Hasher); bodies are skipped, never decoded. An Event holds
// nothing a caller sent except the method, host, path, route and a
// shortened User-Agent.
//
// The package is pure: it takes bytes and readers and returns events. It
// knows no HTTP handlers, no SQL and no files; decompression and size limits
// are here (ReadBody) so every entry point enforces the same ones.
package ingest
