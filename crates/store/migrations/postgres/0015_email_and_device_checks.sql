-- Where a user's one-time sign-in links go (device verification while the
-- account is under attack). Optional: without it the central office unlocks.
ALTER TABLE users ADD COLUMN email TEXT;

-- One-time links that let a new browser prove it is the user's while the
-- account is under attack: only the SHA-256 of the link's token is kept; each
-- is used once, within its lifetime.
CREATE TABLE device_checks (
    token_hash TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT
);
CREATE INDEX device_checks_user ON device_checks (user_id);
