-- Anonymity in storage and data-quality aggregates (SQLite).
-- Keep in lockstep with ../postgres/0007_anonymity_and_quality.sql.

-- Responses and tallies are stored in key order (agency, round, random id),
-- not in arrival order: WITHOUT ROWID leaves no rowid that counts arrivals.
CREATE TABLE responses_by_key (
    agency_id TEXT NOT NULL,
    round_id TEXT NOT NULL,
    id TEXT NOT NULL,
    tool TEXT NOT NULL,
    day TEXT NOT NULL,
    answers TEXT NOT NULL,
    PRIMARY KEY (agency_id, round_id, id)
) WITHOUT ROWID;
INSERT INTO responses_by_key SELECT agency_id, round_id, id, tool, day, answers FROM responses ORDER BY agency_id, round_id, id;
DROP TABLE responses;
ALTER TABLE responses_by_key RENAME TO responses;

-- Tallies: one merged row per agency and tool (a batch merges into it in the
-- same transaction), under a random id; no row holds one respondent's answers
-- beside anything that dates them.
CREATE TABLE tallies_by_key (
    agency_id TEXT NOT NULL,
    round_id TEXT NOT NULL,
    id TEXT NOT NULL,
    tool TEXT NOT NULL,
    n BIGINT NOT NULL,
    counts TEXT NOT NULL,
    PRIMARY KEY (agency_id, round_id, id)
) WITHOUT ROWID;
INSERT INTO tallies_by_key SELECT agency_id, round_id, id, tool, n, counts FROM tally_deltas ORDER BY agency_id, round_id, id;
DROP TABLE tally_deltas;
ALTER TABLE tallies_by_key RENAME TO tally_deltas;

-- Data-quality aggregates, kept as counters by the response writer. None
-- holds an identity; the finest time is the hour, and never beside an answer.
ALTER TABLE response_counts ADD COLUMN straight BIGINT NOT NULL DEFAULT 0;
ALTER TABLE response_counts ADD COLUMN duplicates BIGINT NOT NULL DEFAULT 0;
ALTER TABLE response_counts ADD COLUMN largest_cluster BIGINT NOT NULL DEFAULT 0;
ALTER TABLE response_counts ADD COLUMN peak_hour BIGINT NOT NULL DEFAULT 0;

-- Submissions per agency, tool and hour (Asia/Bangkok, 'YYYY-MM-DDTHH').
CREATE TABLE hourly_counts (
    agency_id TEXT NOT NULL,
    round_id TEXT NOT NULL,
    tool TEXT NOT NULL,
    hour TEXT NOT NULL,
    n BIGINT NOT NULL,
    PRIMARY KEY (agency_id, round_id, tool, hour)
) WITHOUT ROWID;

-- How many responses gave each distinct answer vector (by SHA-256 of it).
CREATE TABLE answer_vectors (
    agency_id TEXT NOT NULL,
    round_id TEXT NOT NULL,
    tool TEXT NOT NULL,
    vector_hash TEXT NOT NULL,
    n BIGINT NOT NULL,
    PRIMARY KEY (agency_id, round_id, tool, vector_hash)
) WITHOUT ROWID;

-- Completion speed buckets ('one_shot', 'lt1m', '1to3m', '3to10m', 'ge10m').
CREATE TABLE speed_counts (
    agency_id TEXT NOT NULL,
    round_id TEXT NOT NULL,
    tool TEXT NOT NULL,
    bucket TEXT NOT NULL,
    n BIGINT NOT NULL,
    PRIMARY KEY (agency_id, round_id, tool, bucket)
) WITHOUT ROWID;

-- The central office's decision on an agency's flagged answers.
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
