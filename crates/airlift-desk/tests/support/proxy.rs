//! A TCP proxy in front of a real `airliftd`, for tests of what an upload does on a bad link: it
//! counts the bytes the client sends (so a test can prove a resume re-sent only what was
//! missing), can slow the client's sending down (so a person, or a WebDriver, has time to click),
//! and can cut the link: every open connection is dropped and new ones are closed at once, as
//! when a laptop leaves the Wi-Fi. Included with `#[path]` by the tests that need it.
#![allow(dead_code)] // each test binary uses a different part

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::{AbortHandle, JoinHandle};

struct Shared {
    upstream: SocketAddr,
    online: AtomicBool,
    /// Client → server bytes since the last reset.
    sent: AtomicU64,
    /// Client → server limit, bytes per second per connection (0: none).
    rate: AtomicU64,
    connections: Mutex<Vec<AbortHandle>>,
}

/// The proxy; its listener stops when it is dropped.
pub struct Proxy {
    /// `http://127.0.0.1:PORT`: give this to the client instead of the server's address.
    pub base: String,
    shared: Arc<Shared>,
    acceptor: JoinHandle<()>,
}

impl Proxy {
    /// Starts a proxy for the server at `upstream_base` (`http://127.0.0.1:PORT`). Needs a
    /// running tokio runtime.
    pub async fn start(upstream_base: &str) -> Proxy {
        let upstream: SocketAddr = upstream_base
            .trim_start_matches("http://")
            .trim_end_matches('/')
            .parse()
            .expect("the server's base URL is http://IP:PORT");
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind proxy");
        let base = format!("http://{}", listener.local_addr().expect("proxy address"));
        let shared = Arc::new(Shared {
            upstream,
            online: AtomicBool::new(true),
            sent: AtomicU64::new(0),
            rate: AtomicU64::new(0),
            connections: Mutex::new(Vec::new()),
        });
        let acceptor = tokio::spawn(accept(listener, shared.clone()));
        Proxy {
            base,
            shared,
            acceptor,
        }
    }

    /// Drops every open connection and closes new ones until [`Proxy::restore`].
    pub fn cut(&self) {
        self.shared.online.store(false, Ordering::SeqCst);
        let open = std::mem::take(&mut *self.shared.connections.lock().expect("lock"));
        for conn in open {
            conn.abort();
        }
    }

    pub fn restore(&self) {
        self.shared.online.store(true, Ordering::SeqCst);
    }

    /// Client → server bytes (request lines, headers and bodies) since the last reset.
    pub fn sent_bytes(&self) -> u64 {
        self.shared.sent.load(Ordering::SeqCst)
    }

    pub fn reset_sent_bytes(&self) {
        self.shared.sent.store(0, Ordering::SeqCst);
    }

    /// Limits each connection's client → server bytes per second (0 lifts the limit).
    pub fn throttle(&self, bytes_per_sec: u64) {
        self.shared.rate.store(bytes_per_sec, Ordering::SeqCst);
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.acceptor.abort();
        self.cut();
    }
}

async fn accept(listener: TcpListener, shared: Arc<Shared>) {
    loop {
        let Ok((client, _)) = listener.accept().await else {
            continue;
        };
        if !shared.online.load(Ordering::SeqCst) {
            drop(client); // the link is down: the client sees its connection closed
            continue;
        }
        let task = tokio::spawn(relay(client, shared.clone()));
        let mut open = shared.connections.lock().expect("lock");
        open.retain(|c| !c.is_finished());
        open.push(task.abort_handle());
    }
}

async fn relay(client: TcpStream, shared: Arc<Shared>) {
    let Ok(server) = TcpStream::connect(shared.upstream).await else {
        return;
    };
    let _ = client.set_nodelay(true);
    let _ = server.set_nodelay(true);
    let (mut client_read, mut client_write) = client.into_split();
    let (mut server_read, mut server_write) = server.into_split();
    let upstream = async {
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            let n = match client_read.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            };
            let rate = shared.rate.load(Ordering::SeqCst);
            if rate > 0 {
                tokio::time::sleep(Duration::from_secs_f64(n as f64 / rate as f64)).await;
            }
            if server_write.write_all(&buf[..n]).await.is_err() {
                break;
            }
            shared.sent.fetch_add(n as u64, Ordering::SeqCst);
        }
        let _ = server_write.shutdown().await;
    };
    let downstream = async {
        let _ = tokio::io::copy(&mut server_read, &mut client_write).await;
        let _ = client_write.shutdown().await;
    };
    tokio::join!(upstream, downstream);
}
