-- IIT/EIT collection (SQLite). Keep in lockstep with ../postgres/0002_collection.sql.
-- Anonymity: nothing here links an answer to a person, an address or an exact time.

-- Public survey links: /s/{code}. Rotating a link revokes the old code.
CREATE TABLE survey_links (
    code TEXT PRIMARY KEY,
    agency_id TEXT NOT NULL,
    round_id TEXT NOT NULL,
    tool TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    revoked_at BIGINT,
    FOREIGN KEY (agency_id, round_id) REFERENCES participations (agency_id, round_id)
);
CREATE INDEX survey_links_agency ON survey_links (agency_id, round_id, tool);

-- Whether a tool of an agency requires a single-use code.
CREATE TABLE survey_settings (
    agency_id TEXT NOT NULL,
    round_id TEXT NOT NULL,
    tool TEXT NOT NULL,
    require_code BOOLEAN NOT NULL,
    PRIMARY KEY (agency_id, round_id, tool)
);

-- Single-use codes: only a hash is kept, and a used code is only marked used,
-- never tied to the response it allowed.
CREATE TABLE access_codes (
    agency_id TEXT NOT NULL,
    round_id TEXT NOT NULL,
    tool TEXT NOT NULL,
    code_hash TEXT NOT NULL,
    used BOOLEAN NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (agency_id, round_id, tool, code_hash)
);

-- One row per response; answers packed as JSON; `day` is the only time kept.
-- `id` is a random (v4) submission id from the form, so a retried POST is harmless.
CREATE TABLE responses (
    agency_id TEXT NOT NULL,
    round_id TEXT NOT NULL,
    id TEXT NOT NULL,
    tool TEXT NOT NULL,
    day TEXT NOT NULL,
    answers TEXT NOT NULL,
    PRIMARY KEY (agency_id, round_id, id)
);

-- Option counts, appended per (agency, tool) for every batch of responses in
-- the same transaction: `counts` packs every item's per-cell option counts as
-- JSON. Scores and dashboards sum these, never the raw responses; compaction
-- merges an agency's deltas into one row (DELETE … RETURNING, so two servers
-- compacting at once can never count a delta twice).
CREATE TABLE tally_deltas (
    agency_id TEXT NOT NULL,
    round_id TEXT NOT NULL,
    id TEXT NOT NULL,
    tool TEXT NOT NULL,
    n BIGINT NOT NULL,
    counts TEXT NOT NULL,
    PRIMARY KEY (agency_id, round_id, id)
);

CREATE TABLE response_counts (
    agency_id TEXT NOT NULL,
    round_id TEXT NOT NULL,
    tool TEXT NOT NULL,
    n BIGINT NOT NULL,
    PRIMARY KEY (agency_id, round_id, tool)
);

-- Answers of a questionnaire in progress, under a random cookie token (hashed).
CREATE TABLE drafts (
    token_hash TEXT PRIMARY KEY,
    link_code TEXT NOT NULL,
    submission_id TEXT NOT NULL,
    answers TEXT NOT NULL,
    day TEXT NOT NULL
);
CREATE INDEX drafts_day ON drafts (day);
