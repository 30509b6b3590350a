-- itas schema v1 (SQLite). Keep in lockstep with ../postgres/0001_init.sql:
-- the test `schemas_match` compares the two.
-- Ids are UUIDv7 text; times are UTC epoch milliseconds; dates are ISO text.

CREATE TABLE agencies (
    id TEXT PRIMARY KEY,
    code TEXT NOT NULL,
    name_th TEXT NOT NULL,
    name_en TEXT NOT NULL DEFAULT '',
    kind TEXT NOT NULL,
    province TEXT NOT NULL DEFAULT '',
    parent_id TEXT REFERENCES agencies (id),
    website TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX agencies_code ON agencies (code);
CREATE INDEX agencies_parent ON agencies (parent_id);
CREATE INDEX agencies_province ON agencies (province);

CREATE TABLE rounds (
    id TEXT PRIMARY KEY,
    fiscal_year BIGINT NOT NULL,
    name TEXT NOT NULL,
    framework_code TEXT NOT NULL,
    framework_source TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX rounds_name ON rounds (name);

CREATE TABLE round_phases (
    round_id TEXT NOT NULL REFERENCES rounds (id),
    phase TEXT NOT NULL,
    starts_on TEXT NOT NULL,
    ends_on TEXT NOT NULL,
    PRIMARY KEY (round_id, phase)
);

CREATE TABLE participations (
    agency_id TEXT NOT NULL REFERENCES agencies (id),
    round_id TEXT NOT NULL REFERENCES rounds (id),
    iit_population BIGINT NOT NULL DEFAULT 0,
    eit_population BIGINT NOT NULL DEFAULT 0,
    joined_at BIGINT NOT NULL,
    PRIMARY KEY (agency_id, round_id)
);
CREATE INDEX participations_round ON participations (round_id);

CREATE TABLE indicator_scores (
    agency_id TEXT NOT NULL,
    round_id TEXT NOT NULL,
    indicator BIGINT NOT NULL,
    hundredths BIGINT NOT NULL,
    source TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (agency_id, round_id, indicator),
    FOREIGN KEY (agency_id, round_id) REFERENCES participations (agency_id, round_id)
);

CREATE TABLE users (
    id TEXT PRIMARY KEY,
    username TEXT NOT NULL,
    display_name TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL,
    agency_id TEXT REFERENCES agencies (id),
    active BOOLEAN NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX users_username ON users (username);

CREATE TABLE assessor_assignments (
    agency_id TEXT NOT NULL,
    round_id TEXT NOT NULL,
    assessor_id TEXT NOT NULL REFERENCES users (id),
    assigned_at BIGINT NOT NULL,
    PRIMARY KEY (agency_id, round_id, assessor_id),
    FOREIGN KEY (agency_id, round_id) REFERENCES participations (agency_id, round_id)
);
CREATE INDEX assessor_assignments_assessor ON assessor_assignments (assessor_id, round_id);

CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id),
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX sessions_expires ON sessions (expires_at);

CREATE TABLE audit_log (
    id TEXT PRIMARY KEY,
    at BIGINT NOT NULL,
    actor_id TEXT,
    action TEXT NOT NULL,
    entity TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    before_json TEXT,
    after_json TEXT
);
CREATE INDEX audit_log_entity ON audit_log (entity, entity_id);

CREATE TABLE rate_limits (
    bucket TEXT PRIMARY KEY,
    window_start BIGINT NOT NULL,
    hits BIGINT NOT NULL
);
