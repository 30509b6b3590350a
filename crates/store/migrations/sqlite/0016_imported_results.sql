-- Results of earlier years as the NACC published them, loaded by the central
-- office from a file (itas import-results): one row per agency and fiscal
-- year. Scores in hundredths; tools and indicators as JSON objects of
-- hundredths ({"IIT":8603,...}; indicators empty when the file had none);
-- level is the code under that year's own rule, label what the file printed.
CREATE TABLE imported_results (
    agency_id TEXT NOT NULL REFERENCES agencies (id) ON DELETE CASCADE,
    fiscal_year BIGINT NOT NULL,
    framework_code TEXT NOT NULL,
    overall BIGINT NOT NULL,
    tools TEXT NOT NULL,
    indicators TEXT NOT NULL,
    level TEXT NOT NULL,
    label TEXT NOT NULL,
    imported_at BIGINT NOT NULL,
    PRIMARY KEY (agency_id, fiscal_year)
);
CREATE INDEX imported_results_year ON imported_results (fiscal_year);
