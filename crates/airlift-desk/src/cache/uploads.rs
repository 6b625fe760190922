//! Pending uploads: what a restarted app needs to resume a multipart upload.
//!
//! Only the local file path, sizes, acknowledged part numbers and (once known) the digest are
//! kept: that is all a resume needs, and the server stays the authority on which chunks it
//! holds (the uploader re-lists the job's chunks before sending more).
//!
//! A pending upload belongs to the cache file, that is to one server and tenant
//! ([`super::location`]), not to a connection's name: the app (which names its connections)
//! and `airlift-cli` (which may name the server by URL alone) open the same file and find the
//! same record, so either one resumes what the other left. The connection that started an
//! upload is recorded with it, and forgetting that connection forgets its uploads.

use std::path::PathBuf;

use rusqlite::params;

use super::rows::PendingUpload;
use super::{get_u64, to_sql_u64, Cache};
use crate::clock::now_ms;
use crate::error::DeskError;

impl Cache {
    /// Records a new upload job (or replaces one with the same id), started on `connection_id`.
    /// The acknowledged parts of a replaced job are forgotten, since they belonged to the old
    /// file.
    pub fn save_pending_upload(
        &mut self,
        connection_id: &str,
        job_id: &str,
        file_path: &std::path::Path,
        size_bytes: u64,
        part_size: u64,
    ) -> Result<PendingUpload, DeskError> {
        let path = file_path.to_str().ok_or_else(|| {
            DeskError::invalid_argument(format!(
                "{} is not valid Unicode; rename the file to upload it",
                file_path.display()
            ))
        })?;
        let size = to_sql_u64("size_bytes", size_bytes)?;
        let part = to_sql_u64("part_size", part_size)?;
        if part_size == 0 {
            return Err(DeskError::invalid_argument(
                "part size must be at least 1 byte",
            ));
        }
        let created_at_ms = now_ms();
        let fail = |err: rusqlite::Error| DeskError::cache("save the upload", &err);
        let tx = self.conn.transaction().map_err(fail)?;
        // Deleting first cascades to the old job's parts (whoever recorded it).
        tx.execute(
            "DELETE FROM pending_uploads WHERE job_id = ?1",
            params![job_id],
        )
        .map_err(fail)?;
        tx.execute(
            "INSERT INTO pending_uploads
                 (connection_id, job_id, file_path, size_bytes, part_size, sha256, created_at_ms)
             VALUES (?1, ?2, ?3, ?4, ?5, NULL, ?6)",
            params![connection_id, job_id, path, size, part, created_at_ms],
        )
        .map_err(fail)?;
        tx.commit().map_err(fail)?;
        Ok(PendingUpload {
            job_id: job_id.to_string(),
            file_path: file_path.to_path_buf(),
            size_bytes,
            part_size,
            sha256: None,
            parts_acknowledged: Vec::new(),
            created_at_ms,
            file_mtime_ms: None,
            request: None,
        })
    }

    /// Notes that the server acknowledged `part_number`. Idempotent.
    pub fn ack_upload_part(&mut self, job_id: &str, part_number: u32) -> Result<(), DeskError> {
        let changed = self
            .conn
            .execute(
                "INSERT OR IGNORE INTO pending_upload_parts (connection_id, job_id, part_number)
                 SELECT connection_id, job_id, ?2 FROM pending_uploads WHERE job_id = ?1",
                params![job_id, part_number],
            )
            .map_err(|err| DeskError::cache("record an uploaded part", &err))?;
        if changed == 0 && self.pending_upload(job_id)?.is_none() {
            return Err(DeskError::new(
                crate::error::DeskErrorCode::NotFound,
                format!("upload job {job_id} is not pending"),
            ));
        }
        Ok(())
    }

    /// Records the file's modification time (Unix ms), so a resume can tell the file changed.
    pub fn set_upload_file_mtime(&mut self, job_id: &str, mtime_ms: i64) -> Result<(), DeskError> {
        self.conn
            .execute(
                "UPDATE pending_uploads SET file_mtime_ms = ?2 WHERE job_id = ?1",
                params![job_id, mtime_ms],
            )
            .map_err(|err| DeskError::cache("record the upload's file time", &err))?;
        Ok(())
    }

    /// Stores the file's SHA-256 once hashing has finished.
    pub fn set_upload_sha256(&mut self, job_id: &str, sha256_hex: &str) -> Result<(), DeskError> {
        self.conn
            .execute(
                "UPDATE pending_uploads SET sha256 = ?2 WHERE job_id = ?1",
                params![job_id, sha256_hex],
            )
            .map_err(|err| DeskError::cache("record the upload's digest", &err))?;
        Ok(())
    }

    /// Stores what the upload becomes once its bytes are on the server (JSON of
    /// `ops::upload::BuildRequest`, no secrets), so the upload is resumable from this row alone.
    pub fn set_upload_request(
        &mut self,
        job_id: &str,
        request_json: &str,
    ) -> Result<(), DeskError> {
        self.conn
            .execute(
                "UPDATE pending_uploads SET request = ?2 WHERE job_id = ?1",
                params![job_id, request_json],
            )
            .map_err(|err| DeskError::cache("record what the upload becomes", &err))?;
        Ok(())
    }

    /// Forgets an upload (finished or abandoned), with its parts.
    pub fn remove_pending_upload(&mut self, job_id: &str) -> Result<(), DeskError> {
        self.conn
            .execute(
                "DELETE FROM pending_uploads WHERE job_id = ?1",
                params![job_id],
            )
            .map_err(|err| DeskError::cache("forget the upload", &err))?;
        Ok(())
    }

    pub fn pending_upload(&self, job_id: &str) -> Result<Option<PendingUpload>, DeskError> {
        Ok(self.load_uploads(Some(job_id))?.pop())
    }

    /// Every pending upload of this server and tenant, whichever front started it, oldest
    /// first, with acknowledged parts ascending.
    pub fn pending_uploads(&self) -> Result<Vec<PendingUpload>, DeskError> {
        self.load_uploads(None)
    }

    /// The pending uploads, all of them or the one with `job_id`.
    fn load_uploads(&self, job_id: Option<&str>) -> Result<Vec<PendingUpload>, DeskError> {
        let fail = |err: rusqlite::Error| DeskError::cache("list pending uploads", &err);
        let mut uploads = self
            .conn
            .prepare_cached(
                "SELECT job_id, file_path, size_bytes, part_size, sha256, created_at_ms,
                        file_mtime_ms, request
                 FROM pending_uploads WHERE ?1 IS NULL OR job_id = ?1
                 ORDER BY created_at_ms, job_id",
            )
            .and_then(|mut stmt| {
                stmt.query_map(params![job_id], |row| {
                    Ok(PendingUpload {
                        job_id: row.get(0)?,
                        file_path: PathBuf::from(row.get::<_, String>(1)?),
                        size_bytes: get_u64(row, 2)?,
                        part_size: get_u64(row, 3)?,
                        sha256: row.get(4)?,
                        parts_acknowledged: Vec::new(),
                        created_at_ms: row.get(5)?,
                        file_mtime_ms: row.get(6)?,
                        request: row.get(7)?,
                    })
                })?
                .collect::<rusqlite::Result<Vec<_>>>()
            })
            .map_err(fail)?;
        let mut parts = self
            .conn
            .prepare_cached(
                "SELECT part_number FROM pending_upload_parts WHERE job_id = ?1
                 ORDER BY part_number",
            )
            .map_err(fail)?;
        for upload in &mut uploads {
            upload.parts_acknowledged = parts
                .query_map([upload.job_id.as_str()], |row| row.get(0))
                .and_then(|rows| rows.collect())
                .map_err(fail)?;
        }
        Ok(uploads)
    }
}
