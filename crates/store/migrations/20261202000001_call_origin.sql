-- Calls learnt from elsewhere (the switch's missed-call list) carry the key they were learnt
-- under, so fetching the list again never adds them twice.
ALTER TABLE calls ADD COLUMN origin_key TEXT;
CREATE UNIQUE INDEX calls_origin_key ON calls (origin_key) WHERE origin_key IS NOT NULL;
