-- An agency's public ITA page for one round: its result, its analysis, its
-- measures and their progress, at a stable address. The agency publishes it
-- when it chooses; a withdrawn page keeps its row so the address answers
-- "withdrawn" (410) instead of vanishing.
CREATE TABLE public_pages (
    agency_id TEXT NOT NULL,
    round_id TEXT NOT NULL,
    published_at BIGINT,
    withdrawn_at BIGINT,
    PRIMARY KEY (agency_id, round_id),
    FOREIGN KEY (agency_id, round_id) REFERENCES participations (agency_id, round_id)
);
