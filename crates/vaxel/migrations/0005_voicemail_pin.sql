-- Dial-in to voicemail (decision 0509): each mailbox's PIN (argon2 PHC string, never the
-- digits) and its lockout after wrong PINs, counted across calls (portable SQL, see 0001).
CREATE TABLE voicemail_pins (
    user_id INTEGER PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    -- NULL: no PIN set, so the mailbox cannot be opened from another phone.
    pin_hash TEXT,
    -- Wrong PINs in a row since the last right one or the last lock.
    failures INTEGER NOT NULL DEFAULT 0,
    -- Unix seconds until which dial-in from other phones is refused (0: not locked).
    locked_until BIGINT NOT NULL DEFAULT 0
);
