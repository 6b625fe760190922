//! Statements of one transaction sent together: one round trip instead of one per statement.
//!
//! tokio-postgres pipelines the requests of one connection that are in flight at once: each is
//! sent when its future is first polled, PostgreSQL runs them one after the other in that
//! order, and the answers come back in that order. The rollout port keeps the writes whose
//! answer nobody reads (a deadline, the last report, the report and history rows, ...) in
//! [`Pending`] and sends them ahead of the next statement whose answer it needs, or at the end
//! of the unit: a device report then costs two round trips (its reads, then its writes with
//! the rollout row's update) instead of ten. What a later statement sees is what it would
//! have seen one round trip at a time: same connection, same transaction, same order.

use std::future::Future;
use std::pin::Pin;
use std::task::Poll;

use deadpool_postgres::GenericClient;
use tokio_postgres::types::ToSql;
use tokio_postgres::Row;

use super::{db, ApiError, StoreResult};

/// A parameter owned by a statement that waits to be sent.
pub type Param = Box<dyn ToSql + Sync + Send>;

/// A write waiting to be sent.
pub struct Deferred {
    sql: &'static str,
    /// `None`: a statement of the simple protocol without parameters (`SAVEPOINT`).
    params: Option<Vec<Param>>,
    /// How many rows it must change, when its caller was answered before it ran (a batch's
    /// deferred checks): any other count fails the send.
    rows: Option<u64>,
}

/// The writes of a transaction not sent yet, in the order they were made.
#[derive(Default)]
pub struct Pending {
    waiting: Vec<Deferred>,
    /// How many times waiting writes went out (whatever came of them).
    sends: u64,
    /// How many writes went out so far, in all.
    sent: u64,
}

impl Pending {
    /// A prepared statement with its parameters.
    pub fn push(&mut self, sql: &'static str, params: Vec<Param>) {
        self.waiting.push(Deferred {
            sql,
            params: Some(params),
            rows: None,
        });
    }

    /// A prepared statement that must change exactly `rows` rows, or its send fails.
    pub fn push_checked(&mut self, sql: &'static str, params: Vec<Param>, rows: u64) {
        self.waiting.push(Deferred {
            sql,
            params: Some(params),
            rows: Some(rows),
        });
    }

    /// A statement without parameters, sent as it is (`SAVEPOINT report`).
    pub fn push_simple(&mut self, sql: &'static str) {
        self.waiting.push(Deferred {
            sql,
            params: None,
            rows: None,
        });
    }

    /// How many writes were made so far, sent or waiting: a mark to compare [`Pending::sent`]
    /// with, and to forget back to.
    pub fn made(&self) -> u64 {
        self.sent + self.waiting.len() as u64
    }

    /// How many writes went out so far.
    pub fn sent(&self) -> u64 {
        self.sent
    }

    /// Forgets the writes made since `mark` (none of which went out).
    pub fn forget_since(&mut self, mark: u64) {
        let keep = mark.saturating_sub(self.sent);
        self.waiting
            .truncate(usize::try_from(keep).unwrap_or(usize::MAX));
    }

    pub fn is_empty(&self) -> bool {
        self.waiting.is_empty()
    }

    pub fn len(&self) -> usize {
        self.waiting.len()
    }

    /// How many times waiting writes went out so far: a unit during which this did not change
    /// sent nothing of its own.
    pub fn sends(&self) -> u64 {
        self.sends
    }

    /// Forgets the writes after the first `keep` (the unit that made them failed before
    /// they were sent).
    pub fn truncate(&mut self, keep: usize) {
        self.waiting.truncate(keep);
    }

    /// The waiting writes, about to go out.
    fn take(&mut self) -> Vec<Deferred> {
        if !self.waiting.is_empty() {
            self.sends += 1;
            self.sent += self.waiting.len() as u64;
        }
        std::mem::take(&mut self.waiting)
    }
}

/// Owns `v` as a waiting statement's parameter.
pub fn param<T: ToSql + Sync + Send + 'static>(v: T) -> Param {
    Box::new(v)
}

/// A statement whose rows are wanted, sent after the waiting writes.
pub struct Read<'a> {
    pub sql: &'a str,
    pub params: &'a [&'a (dyn ToSql + Sync)],
}

type Answer = StoreResult<Vec<Row>>;
type Request<'a> = Pin<Box<dyn Future<Output = Answer> + Send + 'a>>;

/// Sends `pending`'s writes, then `reads`, in one pipeline; answers the rows of each read.
/// The first failure in order is the answer (the statements after it fail only because the
/// transaction is aborted). Once anything went out, `pending` is empty, whatever the outcome;
/// a failure before (preparing a statement) leaves it as it was.
pub async fn send<C: GenericClient>(
    c: &C,
    pending: &mut Pending,
    reads: &[Read<'_>],
) -> StoreResult<Vec<Vec<Row>>> {
    // Prepared first (from the connection's cache: no round trip once seen), so that every
    // request below goes out on its first poll, in order.
    let mut statements = Vec::with_capacity(pending.len() + reads.len());
    for sql in pending
        .waiting
        .iter()
        .filter(|w| w.params.is_some())
        .map(|w| w.sql)
        .chain(reads.iter().map(|r| r.sql))
    {
        statements.push(c.prepare_cached(sql).await.map_err(db)?);
    }
    let writes = pending.take();
    let mut statements = statements.iter();
    let mut requests: Vec<Request<'_>> = Vec::with_capacity(writes.len() + reads.len());
    for w in &writes {
        match &w.params {
            None => requests.push(Box::pin(async move {
                c.batch_execute(w.sql).await.map_err(db)?;
                Ok(Vec::new())
            })),
            Some(params) => {
                let statement = next_statement(&mut statements)?;
                let refs: Vec<&(dyn ToSql + Sync)> =
                    params.iter().map(|p| &**p as &(dyn ToSql + Sync)).collect();
                let expected = w.rows;
                requests.push(Box::pin(async move {
                    let changed = c.execute(statement, &refs).await.map_err(db)?;
                    match expected {
                        Some(rows) if rows != changed => Err(ApiError::internal(format!(
                            "a deferred statement changed {changed} rows, not {rows}"
                        ))
                        .into()),
                        _ => Ok(Vec::new()),
                    }
                }));
            }
        }
    }
    let writes_sent = requests.len();
    for r in reads {
        let statement = next_statement(&mut statements)?;
        requests.push(Box::pin(async move {
            c.query(statement, r.params).await.map_err(db)
        }));
    }
    let mut answers = in_order(requests).await;
    if let Some(first) = answers.iter().position(Result::is_err) {
        return match answers.swap_remove(first) {
            Err(e) => Err(e),
            Ok(_) => {
                Err(ApiError::internal("a pipelined statement failed without an error").into())
            }
        };
    }
    Ok(answers
        .into_iter()
        .skip(writes_sent)
        .map(|a| a.unwrap_or_default())
        .collect())
}

fn next_statement<'s>(
    statements: &mut std::slice::Iter<'s, tokio_postgres::Statement>,
) -> StoreResult<&'s tokio_postgres::Statement> {
    statements
        .next()
        .ok_or_else(|| ApiError::internal("a pipelined statement was not prepared").into())
}

/// Polls every request, always in index order, until all have answered: each is sent on its
/// first poll, so they go out in order, back to back.
async fn in_order(mut requests: Vec<Request<'_>>) -> Vec<Answer> {
    let mut answers: Vec<Option<Answer>> = requests.iter().map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut waiting = false;
        for (request, answer) in requests.iter_mut().zip(answers.iter_mut()) {
            if answer.is_none() {
                match request.as_mut().poll(cx) {
                    Poll::Ready(a) => *answer = Some(a),
                    Poll::Pending => waiting = true,
                }
            }
        }
        if waiting {
            Poll::Pending
        } else {
            Poll::Ready(())
        }
    })
    .await;
    answers.into_iter().flatten().collect()
}
