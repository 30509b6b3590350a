-- Improvement plans: the measures an agency commits to after a round's
-- results, and their monthly progress. Keys lead with agency_id.
CREATE TABLE plan_measures (
    agency_id TEXT NOT NULL,
    round_id TEXT NOT NULL,
    id TEXT NOT NULL,
    position BIGINT NOT NULL,
    tool TEXT NOT NULL,
    measure TEXT NOT NULL,
    weakness TEXT NOT NULL,
    owner TEXT NOT NULL,
    starts_on TEXT NOT NULL,
    ends_on TEXT NOT NULL,
    follow_up TEXT NOT NULL,
    status TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (agency_id, id),
    FOREIGN KEY (agency_id, round_id) REFERENCES participations (agency_id, round_id)
);
CREATE INDEX plan_measures_round ON plan_measures (agency_id, round_id, position);

CREATE TABLE plan_progress (
    agency_id TEXT NOT NULL,
    measure_id TEXT NOT NULL,
    month TEXT NOT NULL,
    percent BIGINT NOT NULL,
    note TEXT NOT NULL,
    author_id TEXT,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (agency_id, measure_id, month),
    FOREIGN KEY (agency_id, measure_id) REFERENCES plan_measures (agency_id, id)
);
