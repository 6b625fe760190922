//! Notices on PostgreSQL: `NOTIFY airlift, '<payload>'`, heard by every server's `LISTEN`.
//!
//! PostgreSQL delivers a notification only after the transaction that sent it commits, in
//! commit order, to every listening session (the sender's server included). The payloads are
//! small and written in one place ([`encode`], and the SQL of schema V3's device trigger and of
//! `port::append_event`, which must match it): a kind letter and tab-separated ids.
//!
//! [`listen`] keeps one connection of its own (outside the pool) on `LISTEN airlift`. When that
//! connection is lost it reconnects and hands on [`Notice::Resync`]: notices sent meanwhile
//! are lost, so the server re-reads what it keeps (live events from the table, caches).

use std::time::Duration;

use tokio::sync::mpsc;
use tokio_postgres::AsyncMessage;

use crate::store::Notice;

/// The channel every notice goes on.
pub const CHANNEL: &str = "airlift";

/// How often the listening connection proves it is alive (a silently dropped TCP connection
/// would otherwise just stop delivering).
const PING_EVERY: Duration = Duration::from_secs(5);
/// A ping unanswered this long means the connection is gone.
const PING_TIMEOUT: Duration = Duration::from_secs(5);
/// The pause before connecting again.
const RECONNECT_AFTER: Duration = Duration::from_secs(1);
/// Notices waiting for the server to take them; a slower server gets a resync instead.
const BACKLOG: usize = 10_000;

/// The payload of `notice`, or `None` for a notice that is never sent (a resync is local).
pub fn encode(notice: &Notice) -> Option<String> {
    match notice {
        Notice::Event { tenant_id, id } => Some(format!("e\t{tenant_id}\t{id}")),
        Notice::Progress {
            origin,
            tenant_id,
            rollout_id,
        } => Some(format!("p\t{origin}\t{tenant_id}\t{rollout_id}")),
        Notice::Device { device_id } => Some(format!("d\t{device_id}")),
        Notice::Resync => None,
    }
}

/// The notice a payload carries; `None` for one this server does not know (a newer server's).
pub fn decode(payload: &str) -> Option<Notice> {
    let fields: Vec<&str> = payload.split('\t').collect();
    match fields.as_slice() {
        ["e", tenant, id] => Some(Notice::Event {
            tenant_id: (*tenant).to_owned(),
            id: id.parse().ok()?,
        }),
        ["p", origin, tenant, rollout] => Some(Notice::Progress {
            origin: (*origin).to_owned(),
            tenant_id: (*tenant).to_owned(),
            rollout_id: (*rollout).to_owned(),
        }),
        ["d", device] => Some(Notice::Device {
            device_id: (*device).to_owned(),
        }),
        _ => None,
    }
}

/// Starts listening; the receiver gets every notice from the moment this returns, until it
/// is dropped. Fails only when the first connection cannot be made.
pub async fn listen(url: String) -> anyhow::Result<mpsc::Receiver<Notice>> {
    let (tx, rx) = mpsc::channel(BACKLOG);
    let first = Listening::open(&url).await?;
    tokio::spawn(async move {
        let mut listening = Some(first);
        loop {
            if let Some(l) = listening.take() {
                match l.forward(&tx).await {
                    Ok(()) => return, // the server stopped listening
                    Err(e) => {
                        tracing::warn!(error = %e, "lost the database notice connection; reconnecting")
                    }
                }
            }
            tokio::time::sleep(RECONNECT_AFTER).await;
            if tx.is_closed() {
                return;
            }
            match Listening::open(&url).await {
                Ok(l) => {
                    // Listening again: whatever was sent meanwhile is read again instead.
                    if tx.send(Notice::Resync).await.is_err() {
                        return;
                    }
                    listening = Some(l);
                }
                Err(e) => tracing::warn!(error = %e, "cannot listen for database notices yet"),
            }
        }
    });
    Ok(rx)
}

/// One connection on `LISTEN airlift` and the payloads its driver hands over.
struct Listening {
    client: tokio_postgres::Client,
    payloads: mpsc::UnboundedReceiver<String>,
    driver: tokio::task::JoinHandle<()>,
}

impl Listening {
    /// Connects to `url` (TLS as `--database` asks, see `super::tls`) and listens.
    async fn open(url: &str) -> anyhow::Result<Listening> {
        let super::tls::Connection { config, tls } = super::tls::parse(url)?;
        let (client, mut connection) = config.connect(tls).await?;
        let (payloads_tx, payloads) = mpsc::unbounded_channel();
        // The connection must be driven for the client's statements to complete; its
        // notifications come out of the same stream.
        let driver = tokio::spawn(async move {
            while let Some(Ok(message)) =
                std::future::poll_fn(|cx| connection.poll_message(cx)).await
            {
                if let AsyncMessage::Notification(n) = message {
                    if payloads_tx.send(n.payload().to_owned()).is_err() {
                        return;
                    }
                }
            }
        });
        client.batch_execute(&format!("LISTEN {CHANNEL}")).await?;
        Ok(Listening {
            client,
            payloads,
            driver,
        })
    }

    /// Hands notices on until the connection fails (`Err`) or `tx`'s receiver is gone (`Ok`).
    async fn forward(mut self, tx: &mpsc::Sender<Notice>) -> anyhow::Result<()> {
        let mut ping = tokio::time::interval(PING_EVERY);
        ping.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let result = loop {
            tokio::select! {
                () = tx.closed() => break Ok(()),
                payload = self.payloads.recv() => match payload {
                    Some(p) => match decode(&p) {
                        Some(notice) => {
                            if tx.try_send(notice).is_err() {
                                if tx.is_closed() {
                                    break Ok(());
                                }
                                // The server is behind by a whole backlog: drop the rest and
                                // let it re-read everything instead.
                                break Err(anyhow::anyhow!("{BACKLOG} notices unread"));
                            }
                        }
                        None => tracing::debug!(payload = %p, "ignoring an unknown notice"),
                    },
                    None => break Err(anyhow::anyhow!("the notice connection closed")),
                },
                _ = ping.tick() => {
                    match tokio::time::timeout(PING_TIMEOUT, self.client.simple_query("SELECT 1")).await {
                        Ok(Ok(_)) => {}
                        Ok(Err(e)) => break Err(e.into()),
                        Err(_) => break Err(anyhow::anyhow!("the notice connection stopped answering")),
                    }
                }
            }
        };
        self.driver.abort();
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_sent_notice_reads_back_and_unknown_ones_are_ignored() {
        let notices = [
            Notice::Event {
                tenant_id: "t1".into(),
                id: 42,
            },
            Notice::Progress {
                origin: "n1".into(),
                tenant_id: "t1".into(),
                rollout_id: "r1".into(),
            },
            Notice::Device {
                device_id: "d1".into(),
            },
        ];
        for n in notices {
            assert_eq!(decode(&encode(&n).unwrap()), Some(n));
        }
        assert_eq!(encode(&Notice::Resync), None);
        assert_eq!(decode("x\tnew kind"), None);
        assert_eq!(decode("e\tt1\tnot-a-number"), None);
        assert_eq!(decode(""), None);
    }
}
