-- One row the server rewrites to prove that the storage takes writes again
-- after a fault (see store::health). Its payload makes the proof need room.
CREATE TABLE write_probe (
    id BIGINT PRIMARY KEY,
    n BIGINT NOT NULL,
    payload BLOB NOT NULL
);

-- Drafts live within a budget per link and in total. `touched` is an order of
-- last use (a counter, not a time), so the least recently used unfinished
-- draft is evicted first; `bytes` is the size of its answers.
ALTER TABLE drafts ADD COLUMN touched BIGINT NOT NULL DEFAULT 0;
ALTER TABLE drafts ADD COLUMN bytes BIGINT NOT NULL DEFAULT 0;
CREATE INDEX drafts_link_touched ON drafts (link_code, touched, bytes);
CREATE INDEX drafts_touched ON drafts (touched, bytes);

-- An evidence body seen before (same agency, same SHA-256) is stored once;
-- later checks keep their own row with the hash and no body.
CREATE INDEX evidence_checks_body ON evidence_checks (agency_id, sha256);
