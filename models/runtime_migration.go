package models

import "gorm.io/gorm"

// migrateRuntime adds what the runtime issue needs: traffic sources, the
// hourly rollups per documented endpoint and per discovered host, the
// status codes and consumers seen per endpoint, the journal consumer's
// position, and the record of every job run with the jobs' schedules.
func migrateRuntime(tx *gorm.DB) error {
	return execAll(tx,
		// A source delivers or is read for traffic. Push sources (SDK,
		// OpenTelemetry) authenticate with an ingest key kept only as a
		// SHA-256 hash; pulled ones keep their credential sealed with the
		// key from STEWARD_SECRET_KEY and their read position.
		`CREATE TABLE sources (
			id {{id}},
			name VARCHAR(120) NOT NULL UNIQUE,
			kind VARCHAR(20) NOT NULL,
			api_id {{ref}} REFERENCES apis(id) ON DELETE SET NULL,
			key_hash VARCHAR(64) UNIQUE,
			key_hint VARCHAR(16) NOT NULL DEFAULT '',
			settings TEXT NOT NULL DEFAULT '{}',
			secret_sealed TEXT NOT NULL DEFAULT '',
			position TEXT NOT NULL DEFAULT '',
			covered_from {{time}},
			covered_to {{time}},
			last_event_at {{time}},
			events_total BIGINT NOT NULL DEFAULT 0,
			last_error TEXT NOT NULL DEFAULT '',
			failures INTEGER NOT NULL DEFAULT 0,
			retry_at {{time}},
			enabled {{bool}} NOT NULL DEFAULT {{true}},
			demo {{bool}} NOT NULL DEFAULT {{false}},
			created_by VARCHAR(200) NOT NULL DEFAULT '',
			created_at {{time}},
			updated_at {{time}})`,
		`CREATE TABLE endpoint_traffic (
			id {{id}},
			version_id {{ref}} NOT NULL REFERENCES versions(id) ON DELETE CASCADE,
			method VARCHAR(10) NOT NULL,
			template VARCHAR(500) NOT NULL,
			documented {{bool}} NOT NULL,
			hour {{time}} NOT NULL,
			requests BIGINT NOT NULL DEFAULT 0,
			status_1xx BIGINT NOT NULL DEFAULT 0,
			status_2xx BIGINT NOT NULL DEFAULT 0,
			status_3xx BIGINT NOT NULL DEFAULT 0,
			status_4xx BIGINT NOT NULL DEFAULT 0,
			status_5xx BIGINT NOT NULL DEFAULT 0,
			status_other BIGINT NOT NULL DEFAULT 0,
			bytes_sum BIGINT NOT NULL DEFAULT 0,
			bytes_known BIGINT NOT NULL DEFAULT 0,
			https BIGINT NOT NULL DEFAULT 0,
			authenticated BIGINT NOT NULL DEFAULT 0,
			rate_limited BIGINT NOT NULL DEFAULT 0,
			compressed BIGINT NOT NULL DEFAULT 0,
			hsts BIGINT NOT NULL DEFAULT 0,
			security_headers BIGINT NOT NULL DEFAULT 0,
			legitimate BIGINT NOT NULL DEFAULT 0,
			first_seen {{time}} NOT NULL,
			last_seen {{time}} NOT NULL,
			last_legitimate {{time}},
			sketches {{blob}},
			UNIQUE (version_id, method, template, hour))`,
		`CREATE INDEX idx_endpoint_traffic_hour ON endpoint_traffic (hour)`,
		`CREATE TABLE discovered_traffic (
			id {{id}},
			host VARCHAR(255) NOT NULL,
			method VARCHAR(10) NOT NULL,
			template VARCHAR(500) NOT NULL,
			hour {{time}} NOT NULL,
			requests BIGINT NOT NULL DEFAULT 0,
			status_2xx BIGINT NOT NULL DEFAULT 0,
			status_4xx BIGINT NOT NULL DEFAULT 0,
			status_5xx BIGINT NOT NULL DEFAULT 0,
			https BIGINT NOT NULL DEFAULT 0,
			authenticated BIGINT NOT NULL DEFAULT 0,
			legitimate BIGINT NOT NULL DEFAULT 0,
			first_seen {{time}} NOT NULL,
			last_seen {{time}} NOT NULL,
			UNIQUE (host, method, template, hour))`,
		`CREATE INDEX idx_discovered_traffic_hour ON discovered_traffic (hour)`,
		// What people decided about a discovered host: claimed into the
		// catalogue (with the API it became) or ignored.
		`CREATE TABLE discovered_hosts (
			host VARCHAR(255) PRIMARY KEY,
			status VARCHAR(20) NOT NULL,
			api_id {{ref}} REFERENCES apis(id) ON DELETE SET NULL,
			decided_by VARCHAR(200) NOT NULL DEFAULT '',
			decided_at {{time}})`,
		`CREATE TABLE endpoint_statuses (
			version_id {{ref}} NOT NULL REFERENCES versions(id) ON DELETE CASCADE,
			method VARCHAR(10) NOT NULL,
			template VARCHAR(500) NOT NULL,
			status INTEGER NOT NULL,
			requests BIGINT NOT NULL DEFAULT 0,
			last_seen {{time}} NOT NULL,
			PRIMARY KEY (version_id, method, template, status))`,
		`CREATE TABLE endpoint_consumers (
			version_id {{ref}} NOT NULL REFERENCES versions(id) ON DELETE CASCADE,
			method VARCHAR(10) NOT NULL,
			template VARCHAR(500) NOT NULL,
			consumer VARCHAR(64) NOT NULL,
			day {{time}} NOT NULL,
			requests BIGINT NOT NULL DEFAULT 0,
			legitimate BIGINT NOT NULL DEFAULT 0,
			last_seen {{time}} NOT NULL,
			PRIMARY KEY (version_id, method, template, consumer, day))`,
		`CREATE INDEX idx_endpoint_consumers_day ON endpoint_consumers (day)`,
		`CREATE TABLE journal_positions (
			consumer VARCHAR(200) PRIMARY KEY,
			position VARCHAR(100) NOT NULL,
			updated_at {{time}})`,
		`CREATE TABLE job_settings (
			job VARCHAR(40) PRIMARY KEY,
			schedule VARCHAR(100) NOT NULL,
			enabled {{bool}} NOT NULL DEFAULT {{true}},
			updated_by VARCHAR(200) NOT NULL DEFAULT '',
			updated_at {{time}})`,
		`CREATE TABLE job_runs (
			id {{id}},
			job VARCHAR(40) NOT NULL,
			trigger VARCHAR(20) NOT NULL,
			tick {{time}},
			started_by VARCHAR(200) NOT NULL DEFAULT '',
			instance VARCHAR(200) NOT NULL DEFAULT '',
			started_at {{time}} NOT NULL,
			finished_at {{time}},
			status VARCHAR(20) NOT NULL,
			done BIGINT NOT NULL DEFAULT 0,
			total BIGINT NOT NULL DEFAULT 0,
			counts TEXT NOT NULL DEFAULT '{}',
			error TEXT NOT NULL DEFAULT '')`,
		`CREATE INDEX idx_job_runs_job ON job_runs (job, started_at)`,
		// A scheduled tick runs once however many replicas fire it; manual
		// runs have no tick (NULLs never collide).
		`CREATE UNIQUE INDEX idx_job_runs_tick ON job_runs (job, tick)`,
	)
}
