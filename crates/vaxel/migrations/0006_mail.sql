-- E-mail (decision 0510): each user's voicemail notice setting and the persisted outbox
-- (portable SQL, see 0001).
CREATE TABLE voicemail_notify (
    user_id INTEGER PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    enabled INTEGER NOT NULL DEFAULT 0,
    -- NULL: the user's directory e-mail at the time a message arrives.
    address TEXT,
    attach_audio INTEGER NOT NULL DEFAULT 1,
    language TEXT NOT NULL DEFAULT 'sv'
);

-- A mail waits here until the relay accepted it (then the row is deleted) or it was given up
-- (state 'failed', kept with the last error for the administrator).
CREATE TABLE mail_outbox (
    id INTEGER PRIMARY KEY,
    recipient TEXT NOT NULL,
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    -- A file read when sending (the mailer never changes or removes it), its name in the mail
    -- and its content type.
    attachment_path TEXT,
    attachment_name TEXT,
    attachment_type TEXT,
    queued_at BIGINT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_at BIGINT NOT NULL,
    state TEXT NOT NULL DEFAULT 'pending',
    last_error TEXT
);
CREATE INDEX mail_outbox_due ON mail_outbox(state, next_at);
