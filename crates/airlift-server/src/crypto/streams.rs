//! Bytes encrypted on their way into storage and decrypted on their way to a hash, one piece at
//! a time (bounded memory; plain bytes exist only in these buffers, never in a file).

use airlift_core::encryption::{DecryptError, SegmentDecryptor, SegmentEncryptor};
use bytes::Bytes;
use futures_util::{Stream, StreamExt as _};

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
