-- An agency's size in a round (S, M, L … as the framework's minimum-sample
-- table names them; empty when not set). The NACC sets the EIT minimum by
-- agency group and size, and an agency's size can change from year to year.
ALTER TABLE participations ADD COLUMN size TEXT NOT NULL DEFAULT '';
