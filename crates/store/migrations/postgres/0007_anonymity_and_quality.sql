-- Anonymity in storage and data-quality aggregates (PostgreSQL).
-- Keep in lockstep with ../sqlite/0007_anonymity_and_quality.sql.
--
-- PostgreSQL stores rows in heap order, which follows arrival until the table
-- is rewritten: `itas privacy-maintenance` (CLUSTER on the primary keys) puts
-- responses and tallies in key order; see docs/privacy.md.

ALTER TABLE response_counts ADD COLUMN straight BIGINT NOT NULL DEFAULT 0;
ALTER TABLE response_counts ADD COLUMN duplicates BIGINT NOT NULL DEFAULT 0;
ALTER TABLE response_counts ADD COLUMN largest_cluster BIGINT NOT NULL DEFAULT 0;
ALTER TABLE response_counts ADD COLUMN peak_hour BIGINT NOT NULL DEFAULT 0;

CREATE TABLE hourly_counts (
    agency_id TEXT NOT NULL,
    round_id TEXT NOT NULL,
    tool TEXT NOT NULL,
    hour TEXT NOT NULL,
    n BIGINT NOT NULL,
    PRIMARY KEY (agency_id, round_id, tool, hour)
);

CREATE TABLE answer_vectors (
    agency_id TEXT NOT NULL,
    round_id TEXT NOT NULL,
    tool TEXT NOT NULL,
    vector_hash TEXT NOT NULL,
    n BIGINT NOT NULL,
    PRIMARY KEY (agency_id, round_id, tool, vector_hash)
);

CREATE TABLE speed_counts (
    agency_id TEXT NOT NULL,
    round_id TEXT NOT NULL,
    tool TEXT NOT NULL,
    bucket TEXT NOT NULL,
    n BIGINT NOT NULL,
    PRIMARY KEY (agency_id, round_id, tool, bucket)
);

CREATE TABLE quality_decisions (
    agency_id TEXT NOT NULL,
    round_id TEXT NOT NULL,
    tool TEXT NOT NULL,
    decision TEXT NOT NULL,
    reason TEXT NOT NULL,
    decided_by TEXT NOT NULL,
    decided_at BIGINT NOT NULL,
    PRIMARY KEY (agency_id, round_id, tool)
);
