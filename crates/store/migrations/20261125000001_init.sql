-- Contacts saved by the user. Multi-valued fields (emails, numbers, keywords) are JSON arrays:
-- they are always read and written together with the contact and never queried by SQL (search
-- runs over the in-memory index in koppla-search), so separate tables would only add joins.
CREATE TABLE contacts (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    name        TEXT    NOT NULL,
    company     TEXT    NOT NULL DEFAULT '',
    title       TEXT    NOT NULL DEFAULT '',
    emails      TEXT    NOT NULL DEFAULT '[]',
    numbers     TEXT    NOT NULL DEFAULT '[]',
    keywords    TEXT    NOT NULL DEFAULT '[]',
    kind        TEXT    NOT NULL DEFAULT 'contact'
                CHECK (kind IN ('favourite', 'contact', 'vip', 'blocked')),
    notes       TEXT    NOT NULL DEFAULT '',
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);
CREATE INDEX contacts_kind ON contacts (kind);

-- One row per call, inserted when the call starts and updated as it progresses, so a crash
-- mid-call still leaves a row (ended_at NULL = in progress or unknown end).
CREATE TABLE calls (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    direction      TEXT    NOT NULL CHECK (direction IN ('in', 'out')),
    remote_uri     TEXT    NOT NULL,
    remote_number  TEXT    NOT NULL DEFAULT '',
    display_name   TEXT    NOT NULL DEFAULT '',
    started_at     INTEGER NOT NULL,
    answered_at    INTEGER,
    ended_at       INTEGER,
    end_reason     TEXT,
    missed         INTEGER NOT NULL DEFAULT 0 CHECK (missed IN (0, 1)),
    recording_path TEXT,
    seen           INTEGER NOT NULL DEFAULT 0 CHECK (seen IN (0, 1))
);
CREATE INDEX calls_started ON calls (started_at DESC, id DESC);
CREATE INDEX calls_missed_unseen ON calls (missed, seen);

CREATE TABLE settings (
    key         TEXT    PRIMARY KEY NOT NULL,
    value       TEXT    NOT NULL,
    updated_at  INTEGER NOT NULL
);
