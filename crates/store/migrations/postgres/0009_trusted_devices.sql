-- Browsers that signed in successfully as a user (a random cookie, kept here
-- only as its hash). During an attack on an account, sign-in from a trusted
-- device stays open while attempts from anywhere else are held back, so an
-- attacker cannot lock the real user out.
CREATE TABLE trusted_devices (
    token_hash TEXT NOT NULL,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (token_hash, user_id)
);
CREATE INDEX trusted_devices_user ON trusted_devices (user_id);
