-- What a pending upload becomes once its bytes are on the server (package fields, the SHA-256
-- the person confirmed, the signing key's id; never a passphrase), as JSON written by
-- `ops::upload`. With it the pending upload is one record: the app's next launch and
-- airlift-cli both resume from here.
ALTER TABLE pending_uploads ADD COLUMN request TEXT;
