-- Missed calls and voicemail messages per user (portable SQL, see 0001).
CREATE TABLE missed_calls (
    id INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    caller TEXT NOT NULL,
    at BIGINT NOT NULL
);
CREATE INDEX missed_calls_user ON missed_calls(user_id, at);

CREATE TABLE voicemails (
    id INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    caller TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    duration_ms BIGINT NOT NULL,
    file TEXT NOT NULL,
    heard INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX voicemails_user ON voicemails(user_id, created_at);
