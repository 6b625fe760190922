//! Bytes encrypted on their way into storage and decrypted on their way to a hash, one piece at
//! a time (bounded memory; plain bytes exist only in these buffers, never in a file).

use airlift_core::encryption::{
    DecryptError, SegmentDecryptor, SegmentEncryptor, SegmentLayout, NONCE_PREFIX_BYTES,
};
use bytes::Bytes;
use futures_util::{Stream, StreamExt as _};

use super::DataKey;
use crate::error::AppError;

struct Encrypting<S, F> {
    plain: S,
    encryptor: Option<SegmentEncryptor>,
    on_plain: F,
}

/// `plain` encrypted as it flows: each plain piece is shown to `on_plain` (to hash and count
/// it), and only stored bytes come out; the final segment follows the last piece. An error of
/// `plain` ends the stream with that error (the caller's write then aborts).
pub fn encrypting<S, F>(
    plain: S,
    encryptor: SegmentEncryptor,
    on_plain: F,
) -> impl Stream<Item = Result<Bytes, AppError>>
where
    S: Stream<Item = Result<Bytes, AppError>> + Unpin,
    F: FnMut(&Bytes),
{
    let state = Encrypting {
        plain,
        encryptor: Some(encryptor),
        on_plain,
    };
    futures_util::stream::unfold(state, |mut st| async move {
        loop {
            let encryptor = st.encryptor.as_mut()?;
            match st.plain.next().await {
                Some(Ok(piece)) => {
                    (st.on_plain)(&piece);
                    match encryptor.push(&piece) {
                        Ok(out) if out.is_empty() => continue,
                        Ok(out) => return Some((Ok(Bytes::from(out)), st)),
                        Err(e) => {
                            st.encryptor = None;
                            return Some((Err(internal(e)), st));
                        }
                    }
                }
                Some(Err(e)) => {
                    st.encryptor = None;
                    return Some((Err(e), st));
                }
                None => {
                    let last = st.encryptor.take()?.finish().map_err(internal);
                    return Some((last.map(Bytes::from), st));
                }
            }
        }
    })
}

fn internal(e: DecryptError) -> AppError {
    AppError::internal("encrypting an image", e)
}

/// Stored bytes of an encrypted object, decrypted piece by piece for hashing: feed every stored
/// piece in order to [`Decrypting::push`], then [`Decrypting::finish`].
pub struct Decrypting {
    decryptor: SegmentDecryptor,
}

impl Decrypting {
    pub fn new(decryptor: SegmentDecryptor) -> Self {
        Self { decryptor }
    }

    /// The plain bytes of every segment these stored bytes complete.
    pub fn push(&mut self, stored: &[u8]) -> Result<Vec<u8>, AppError> {
        self.decryptor.push(stored).map_err(stored_damaged)
    }

    pub fn finish(self) -> Result<(), AppError> {
        self.decryptor.finish().map_err(stored_damaged)
    }
}

/// Stored bytes that do not decrypt were damaged at rest (or the key file is not the one they
/// were written with): the server's problem, not the request's.
fn stored_damaged(e: DecryptError) -> AppError {
    AppError::internal("decrypting a stored image", e)
}

/// An encrypted upload part's stored form: its own nonce prefix, then its segments (under the
/// job's data key). The stored length of a part of `plain_len` bytes.
pub fn part_stored_len(plain_len: u64) -> u64 {
    NONCE_PREFIX_BYTES as u64 + SegmentLayout::new(plain_len).stored_size()
}

/// The plain bytes of an encrypted upload part read as `stored` (see [`part_stored_len`]),
/// piece by piece; a part that does not decrypt whole ends the stream with an error.
pub fn decrypting_part<S>(
    stored: S,
    job_key: DataKey,
    plain_len: u64,
) -> impl Stream<Item = Result<Bytes, AppError>>
where
    S: Stream<Item = Result<Bytes, AppError>> + Unpin,
{
    struct St<S> {
        stored: S,
        header: Vec<u8>,
        decrypting: Option<Decrypting>,
        job_key: DataKey,
        plain_len: u64,
        done: bool,
    }
    let st = St {
        stored,
        header: Vec::with_capacity(NONCE_PREFIX_BYTES),
        decrypting: None,
        job_key,
        plain_len,
        done: false,
    };
    futures_util::stream::unfold(st, |mut st| async move {
        if st.done {
            return None;
        }
        loop {
            match st.stored.next().await {
                Some(Ok(piece)) => {
                    let mut piece = &piece[..];
                    if st.decrypting.is_none() {
                        let take = (NONCE_PREFIX_BYTES - st.header.len()).min(piece.len());
                        st.header.extend_from_slice(&piece[..take]);
                        piece = &piece[take..];
                        if st.header.len() < NONCE_PREFIX_BYTES {
                            continue;
                        }
                        let mut prefix = [0u8; NONCE_PREFIX_BYTES];
                        prefix.copy_from_slice(&st.header);
                        let cipher = st.job_key.with_prefix(prefix).cipher(st.plain_len);
                        st.decrypting = Some(Decrypting::new(SegmentDecryptor::new(cipher)));
                    }
                    let Some(d) = st.decrypting.as_mut() else {
                        continue;
                    };
                    match d.push(piece) {
                        Ok(plain) if plain.is_empty() => continue,
                        Ok(plain) => return Some((Ok(Bytes::from(plain)), st)),
                        Err(e) => {
                            st.done = true;
                            return Some((Err(e), st));
                        }
                    }
                }
                Some(Err(e)) => {
                    st.done = true;
                    return Some((Err(e), st));
                }
                None => {
                    st.done = true;
                    let finished = match st.decrypting.take() {
                        Some(d) => d.finish(),
                        None => Err(stored_damaged(DecryptError::BadKeyMaterial)),
                    };
                    return finished.err().map(|e| (Err(e), st));
                }
            }
        }
    })
}
