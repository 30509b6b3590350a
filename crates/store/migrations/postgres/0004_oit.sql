-- OIT evidence: what the agency submits per checklist item, and the
-- assessors' decisions in review rounds 1 and 2. Keys lead with agency_id.
CREATE TABLE oit_evidence (
    agency_id TEXT NOT NULL,
    round_id TEXT NOT NULL,
    item TEXT NOT NULL,
    urls TEXT NOT NULL,
    explanation TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    updated_by TEXT,
    PRIMARY KEY (agency_id, round_id, item),
    FOREIGN KEY (agency_id, round_id) REFERENCES participations (agency_id, round_id)
);

-- When the agency submitted its checklist (locks it until revision).
CREATE TABLE oit_submissions (
    agency_id TEXT NOT NULL,
    round_id TEXT NOT NULL,
    submitted_at BIGINT NOT NULL,
    submitted_by TEXT,
    PRIMARY KEY (agency_id, round_id),
    FOREIGN KEY (agency_id, round_id) REFERENCES participations (agency_id, round_id)
);

CREATE TABLE oit_decisions (
    agency_id TEXT NOT NULL,
    round_id TEXT NOT NULL,
    item TEXT NOT NULL,
    review BIGINT NOT NULL,
    passed BOOLEAN NOT NULL,
    reason TEXT NOT NULL,
    comment TEXT NOT NULL,
    assessor_id TEXT NOT NULL,
    decided_at BIGINT NOT NULL,
    PRIMARY KEY (agency_id, round_id, item, review),
    FOREIGN KEY (agency_id, round_id) REFERENCES participations (agency_id, round_id)
);
