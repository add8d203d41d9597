-- What the call queues keep over a restart (portable SQL, see 0001): each member's own login
-- choice and the day's counters.
CREATE TABLE queue_logins (
    queue_id TEXT NOT NULL,
    username TEXT NOT NULL,
    logged_in INTEGER NOT NULL,
    PRIMARY KEY (queue_id, username)
);

CREATE TABLE queue_counters (
    queue_id TEXT PRIMARY KEY,
    day BIGINT NOT NULL,
    answered BIGINT NOT NULL,
    abandoned BIGINT NOT NULL
);
