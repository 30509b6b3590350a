-- Deadline reminders by email (the central office sends them from a round's
-- page). A user who turned reminders off gets none (account mail still
-- comes); a user gets at most one reminder a day, whichever group it was
-- for: the primary key is the rule, so two servers cannot both send.
CREATE TABLE reminder_opt_outs (
    user_id TEXT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    at BIGINT NOT NULL
);
CREATE TABLE reminder_sends (
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    day TEXT NOT NULL,
    round_id TEXT NOT NULL,
    reminder TEXT NOT NULL,
    sent_at BIGINT NOT NULL,
    PRIMARY KEY (user_id, day)
);
