-- Automatic checks of OIT evidence URLs, each with a snapshot of what was
-- fetched (size-capped body, SHA-256, headers), so a dispute is decided on
-- what the page showed then. Keys lead with agency_id.
CREATE TABLE evidence_checks (
    agency_id TEXT NOT NULL,
    id TEXT NOT NULL,
    round_id TEXT NOT NULL,
    item TEXT NOT NULL,
    url TEXT NOT NULL,
    purpose TEXT NOT NULL,
    checked_at BIGINT NOT NULL,
    light TEXT NOT NULL,
    findings TEXT NOT NULL,
    status BIGINT,
    final_url TEXT NOT NULL,
    content_type TEXT NOT NULL,
    bytes BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    headers TEXT NOT NULL,
    body BYTEA,
    PRIMARY KEY (agency_id, id),
    FOREIGN KEY (agency_id, round_id) REFERENCES participations (agency_id, round_id)
);
CREATE INDEX evidence_checks_item ON evidence_checks (agency_id, round_id, item, checked_at);
