-- Reads through a token are counted per token and hour, not written to the
-- audit log one row each: a script's GETs can no longer push real changes out
-- of view. Every write through a token is still one audit entry.
CREATE TABLE api_token_calls (
    token_id TEXT NOT NULL REFERENCES api_tokens (id) ON DELETE CASCADE,
    -- Milliseconds since 1970 at the start of the hour (UTC).
    hour BIGINT NOT NULL,
    calls BIGINT NOT NULL,
    PRIMARY KEY (token_id, hour)
);
