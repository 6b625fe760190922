//! HTTPS on `--listen`: a listener for `axum::serve` that hands over connections only once
//! their TLS handshake is done. Handshakes run in their own tasks (bounded in number and in
//! time), so a slow or silent client never holds up the next one's accept; a client that
//! speaks plain HTTP to this port gets a 400 saying to use https and is closed.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use airlift_core::error::ApiError;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, Semaphore};
use tokio_rustls::server::TlsStream;
use tokio_rustls::TlsAcceptor;

/// A client must finish its handshake this fast (a slow-loris holds a task, not the server).
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// Handshakes in progress at most; more wait for their turn in the kernel's backlog.
const MAX_HANDSHAKES: usize = 1024;
/// Finished handshakes waiting for the server to take them.
const READY_QUEUE: usize = 128;
/// The first byte of every TLS connection (a handshake record); plain HTTP starts with a
/// method's letter.
const TLS_HANDSHAKE_RECORD: u8 = 0x16;

/// Connections after their handshake, as `axum::serve` takes them.
pub struct TlsListener {
    ready: mpsc::Receiver<(TlsStream<TcpStream>, SocketAddr)>,
    local: SocketAddr,
}

impl TlsListener {
    /// Starts accepting on `tcp` with `config` (whose certificate resolver may change the
    /// certificate at any time: each handshake asks it).
    pub fn new(tcp: TcpListener, config: Arc<rustls::ServerConfig>) -> std::io::Result<Self> {
        let local = tcp.local_addr()?;
        let (tx, ready) = mpsc::channel(READY_QUEUE);
        tokio::spawn(accept_loop(tcp, TlsAcceptor::from(config), tx));
        Ok(Self { ready, local })
    }
}

impl axum::serve::Listener for TlsListener {
    type Io = TlsStream<TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        match self.ready.recv().await {
            Some(connection) => connection,
            // The accept loop ends only once this listener is gone: never reached.
            None => std::future::pending().await,
        }
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        Ok(self.local)
    }
}

/// Accepts until the listener is dropped (the server stopped taking connections).
async fn accept_loop(
    mut tcp: TcpListener,
    acceptor: TlsAcceptor,
    ready: mpsc::Sender<(TlsStream<TcpStream>, SocketAddr)>,
) {
    let handshakes = Arc::new(Semaphore::new(MAX_HANDSHAKES));
    loop {
        let (stream, peer) = tokio::select! {
            accepted = axum::serve::Listener::accept(&mut tcp) => accepted,
            () = ready.closed() => return,
        };
        let Ok(permit) = handshakes.clone().acquire_owned().await else {
            return;
        };
        let (acceptor, ready) = (acceptor.clone(), ready.clone());
        tokio::spawn(async move {
            let _permit = permit;
            match tokio::time::timeout(HANDSHAKE_TIMEOUT, handshake(stream, peer, &acceptor)).await
            {
                Ok(Some(tls)) => {
                    // The server stopped: the connection is simply closed.
                    let _ = ready.send((tls, peer)).await;
                }
                Ok(None) => {}
                Err(_) => tracing::debug!(%peer, "TLS handshake timed out"),
            }
        });
    }
}

async fn handshake(
    stream: TcpStream,
    peer: SocketAddr,
    acceptor: &TlsAcceptor,
) -> Option<TlsStream<TcpStream>> {
    let mut first = [0u8; 1];
    match stream.peek(&mut first).await {
        Ok(1) => {}
        _ => return None,
    }
    if first[0] != TLS_HANDSHAKE_RECORD {
        tracing::debug!(%peer, "plain HTTP on the HTTPS port refused");
        refuse_plain_http(stream).await;
        return None;
    }
    match acceptor.accept(stream).await {
        Ok(tls) => Some(tls),
        Err(e) => {
            // A client that does not trust the certificate ends here too: its business.
            tracing::debug!(%peer, error = %e, "TLS handshake failed");
            None
        }
    }
}

/// Answers a plain-HTTP request with 400 and the API's `{code, message}`, then closes: the
/// person at the other end learns to write https://, and nothing else is served in clear.
async fn refuse_plain_http(mut stream: TcpStream) {
    // Read what was sent first: closing a socket with unread bytes resets it, and the client
    // would see the reset instead of the answer.
    let mut request = [0u8; 8192];
    let _ = tokio::time::timeout(Duration::from_millis(200), stream.read(&mut request)).await;
    let error = ApiError::invalid_argument(
        "this server speaks HTTPS only: use an https:// URL (plain HTTP is refused)",
    );
    let body = serde_json::to_string(&error).unwrap_or_default();
    let answer = format!(
        "HTTP/1.1 400 Bad Request\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\
         connection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = stream.write_all(answer.as_bytes()).await;
    let _ = stream.shutdown().await;
}
