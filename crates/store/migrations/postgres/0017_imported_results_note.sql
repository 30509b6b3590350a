-- What the central office says of an imported row (e.g. "demo figures", or
-- that the NACC corrected the published result): shown beside the year.
ALTER TABLE imported_results ADD COLUMN note TEXT NOT NULL DEFAULT '';
