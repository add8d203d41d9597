-- The location table kept over a restart (portable SQL, see 0001): one row per binding the
-- switch can still reach once it runs again (UDP only, see decision 0507).
CREATE TABLE registrations (
    username TEXT NOT NULL,
    contact TEXT NOT NULL,
    -- Transport and address the REGISTER came from ("udp", "192.0.2.7:5060"): requests go
    -- there, not to the Contact host, so a device behind NAT stays reachable.
    transport TEXT NOT NULL,
    source TEXT NOT NULL,
    -- Unix seconds.
    expires_at BIGINT NOT NULL,
    call_id TEXT NOT NULL,
    cseq BIGINT NOT NULL,
    PRIMARY KEY (username, contact)
);
