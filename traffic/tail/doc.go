// Package tail reads access logs as they grow: complete lines from a
// saved position, surviving restarts and log rotation, so that each line
// is handed to a parser once (at least once across a crash between reading
// and saving the position).
//
// It deals only in lines and positions; turning lines into
// traffic.Events is the ingest package's job. Like the rest of Steward's
// traffic code it keeps nothing from the lines itself: no bodies, no
// header values; the caller's parser keeps only facts.
package tail
