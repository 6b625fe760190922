-- The uploaded file's modification time (Unix milliseconds) when its job was created: a resume
-- only continues a job whose file still has the same path, size and mtime.
ALTER TABLE pending_uploads ADD COLUMN file_mtime_ms INTEGER;
