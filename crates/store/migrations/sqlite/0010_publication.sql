-- Results go public only when the central office publishes them (after
-- computing and reviewing), and publishing can be withdrawn. Rounds whose
-- publication phase has already begun stay public as they were.
ALTER TABLE rounds ADD COLUMN published_at BIGINT;
ALTER TABLE rounds ADD COLUMN published_by TEXT;
-- The last scoring run, for the review before publishing: how many agencies
-- were computed and which were not, and why (JSON).
ALTER TABLE rounds ADD COLUMN last_scoring TEXT NOT NULL DEFAULT '';
UPDATE rounds SET published_at = 0 WHERE id IN
    (SELECT round_id FROM round_phases WHERE phase = 'publication' AND starts_on <= date('now'));
