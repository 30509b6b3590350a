-- What each computed survey-tool score was computed from: the answers that
-- counted (after the central office's data-quality decisions) beside the
-- minimum the framework asked of the agency. A score computed from fewer is
-- marked so wherever it appears. Scores entered as published have no rows:
-- their sample is not ours to judge.
CREATE TABLE score_samples (
    round_id TEXT NOT NULL,
    agency_id TEXT NOT NULL,
    tool TEXT NOT NULL,
    counted BIGINT NOT NULL,
    -- NULL when the population was not stated, so no minimum could be set.
    required BIGINT,
    PRIMARY KEY (round_id, agency_id, tool),
    FOREIGN KEY (agency_id, round_id) REFERENCES participations (agency_id, round_id)
);
