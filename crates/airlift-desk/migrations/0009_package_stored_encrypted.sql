-- Whether the server stores the package's bytes encrypted (made from an image uploaded with
-- `datafile_encryption`), for the catalog to say so. Packages cached before this read 0 until
-- the next full sync (the server's answer carries the flag).
ALTER TABLE packages ADD COLUMN stored_encrypted INTEGER NOT NULL DEFAULT 0;
