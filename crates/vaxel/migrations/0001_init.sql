-- Portable SQL subset: plain types, no SQLite-only functions, explicit ids via INTEGER PRIMARY KEY
-- (a PostgreSQL migration set would use GENERATED ... AS IDENTITY for the same columns).
CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    username TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    title TEXT NOT NULL DEFAULT '',
    department TEXT NOT NULL DEFAULT '',
    email TEXT NOT NULL DEFAULT '',
    mobile TEXT,
    direct TEXT,
    short_number TEXT,
    keywords TEXT NOT NULL DEFAULT '[]',
    ha1_md5 TEXT,
    ha1_sha256 TEXT,
    password_hash TEXT,
    activity_id TEXT NOT NULL DEFAULT 'available',
    activity_until BIGINT,
    activity_note TEXT
);

CREATE TABLE contacts (
    id INTEGER PRIMARY KEY,
    owner_id INTEGER REFERENCES users(id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    number TEXT NOT NULL,
    note TEXT
);
CREATE INDEX contacts_owner ON contacts(owner_id);

CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    expires_at BIGINT NOT NULL
);

CREATE TABLE sms_codes (
    id INTEGER PRIMARY KEY,
    mobile TEXT NOT NULL,
    code_hash TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    used INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX sms_codes_mobile ON sms_codes(mobile, created_at);
