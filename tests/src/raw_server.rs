//! A loopback TCP server that answers scripted raw bytes and records what
//! it received: for the answers a mock cannot give (broken framing, resets,
//! silence, slowness) and for seeing a request exactly as it arrived.
//!
//! It accepts at most a given number of connections and lives at most a
//! given time, then stops by itself; dropping it stops it at once.

use std::future::Future;
use std::ops::{Deref, DerefMut};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinSet;

/// How long a server lives at most unless told otherwise.
pub const LIFETIME: Duration = Duration::from_secs(15);

/// What each connection sent, in the order it was read.
type Received = Arc<Mutex<Vec<Vec<u8>>>>;

/// A raw server on `127.0.0.1:0`.
pub struct RawServer {
    address: std::net::SocketAddr,
    base_url: String,
    accepted: Arc<AtomicUsize>,
    received: Received,
    task: Option<tokio::task::JoinHandle<()>>,
}

/// One accepted connection, handed to the server's handler. It derefs to
/// its `TcpStream`; what it reads through its own methods is recorded.
pub struct Connection {
    sock: TcpStream,
    received: Received,
}

impl RawServer {
    /// Serves at most `connections` connections, each with `handler`
    /// (connections are served side by side), for at most [`LIFETIME`].
    pub async fn serve<F, Fut>(connections: usize, handler: F) -> Self
    where
        F: Fn(Connection) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        Self::serve_for(connections, LIFETIME, handler).await
    }

    /// [`RawServer::serve`], living at most `lifetime`.
    pub async fn serve_for<F, Fut>(connections: usize, lifetime: Duration, handler: F) -> Self
    where
        F: Fn(Connection) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let address = listener.local_addr().expect("addr");
        let base_url = format!("http://{address}");
        let accepted = Arc::new(AtomicUsize::new(0));
        let received = Received::default();
        let (count, record) = (accepted.clone(), received.clone());
        let task = tokio::spawn(async move {
            let deadline = tokio::time::Instant::now() + lifetime;
            let mut handlers = JoinSet::new();
            for _ in 0..connections {
                let Ok(Ok((sock, _))) = tokio::time::timeout_at(deadline, listener.accept()).await
                else {
                    break;
                };
                count.fetch_add(1, Ordering::SeqCst);
                let _ = sock.set_nodelay(true);
                let conn = Connection {
                    sock,
                    received: record.clone(),
                };
                handlers.spawn(tokio::time::timeout_at(deadline, handler(conn)));
                while let Some(done) = handlers.try_join_next() {
                    reraise(done);
                }
            }
            while let Some(done) = handlers.join_next().await {
                reraise(done);
            }
        });
        Self {
            address,
            base_url,
            accepted,
            received,
            task: Some(task),
        }
    }

    /// Answers one connection: reads its request, writes `bytes`, closes.
    pub async fn reply(bytes: Vec<u8>) -> Self {
        Self::serve(1, move |mut conn| {
            let bytes = bytes.clone();
            async move {
                conn.read_request().await;
                conn.reply(&bytes).await;
            }
        })
        .await
    }

    /// `http://127.0.0.1:PORT`.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The address it listens on.
    pub fn address(&self) -> std::net::SocketAddr {
        self.address
    }

    /// What the connections sent so far, one entry per request read.
    pub fn received(&self) -> Vec<Vec<u8>> {
        self.received.lock().expect("not poisoned").clone()
    }

    /// How many connections it accepted so far.
    pub fn accepted(&self) -> usize {
        self.accepted.load(Ordering::SeqCst)
    }

    /// The first request it received, once one came within `within`.
    pub async fn wait_for_request(&self, within: Duration) -> Option<Vec<u8>> {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            if let Some(first) = self.received().into_iter().next() {
                return Some(first);
            }
            if tokio::time::Instant::now() >= deadline {
                return None;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// Waits for the server to stop by itself, checks that no handler
    /// panicked, and says how many connections it accepted.
    pub async fn finish(mut self) -> usize {
        let task = self.task.take().expect("not finished yet");
        tokio::time::timeout(LIFETIME + Duration::from_secs(1), task)
            .await
            .expect("the server stops by itself")
            .expect("the server did not panic");
        self.accepted.load(Ordering::SeqCst)
    }

    /// Stops a server that was allowed more connections than it should get,
    /// after a grace period, and says how many it accepted.
    pub async fn stop(mut self) -> usize {
        tokio::time::sleep(Duration::from_millis(300)).await;
        let n = self.accepted.load(Ordering::SeqCst);
        if let Some(task) = self.task.take() {
            if task.is_finished() {
                task.await.expect("the server did not panic");
            } else {
                task.abort();
            }
        }
        n
    }
}

impl Drop for RawServer {
    fn drop(&mut self) {
        if let Some(task) = &self.task {
            task.abort();
        }
    }
}

/// A handler's panic becomes the server's, so that `finish` sees it.
fn reraise<T>(done: Result<T, tokio::task::JoinError>) {
    if let Err(e) = done {
        if e.is_panic() {
            std::panic::resume_unwind(e.into_panic());
        }
    }
}

impl Connection {
    /// Reads one request (head and `Content-Length` body), or until the
    /// peer stops sending, records it and returns it.
    pub async fn read_request(&mut self) -> Vec<u8> {
        let request = read_request(&mut self.sock).await;
        self.record(&request);
        request
    }

    /// Reads until `quiet` passes without a byte (or 64 KiB came), records
    /// it and returns it: for peers that do not speak HTTP (a TLS hello).
    pub async fn read_until_quiet(&mut self, quiet: Duration) -> Vec<u8> {
        let mut buf = Vec::new();
        let mut chunk = [0u8; 4096];
        while buf.len() < 64 * 1024 {
            match tokio::time::timeout(quiet, self.sock.read(&mut chunk)).await {
                Ok(Ok(n)) if n > 0 => buf.extend_from_slice(&chunk[..n]),
                _ => break,
            }
        }
        self.record(&buf);
        buf
    }

    /// Writes `bytes`, closes the sending side and waits for the peer to
    /// leave.
    pub async fn reply(&mut self, bytes: &[u8]) {
        let _ = self.sock.write_all(bytes).await;
        let _ = self.sock.shutdown().await;
        drain(&mut self.sock).await;
    }

    /// Waits until the peer closes (bounded by the server's lifetime).
    pub async fn drain(&mut self) {
        drain(&mut self.sock).await;
    }

    fn record(&self, bytes: &[u8]) {
        if let Ok(mut all) = self.received.lock() {
            all.push(bytes.to_vec());
        }
    }
}

impl Deref for Connection {
    type Target = TcpStream;
    fn deref(&self) -> &TcpStream {
        &self.sock
    }
}

impl DerefMut for Connection {
    fn deref_mut(&mut self) -> &mut TcpStream {
        &mut self.sock
    }
}

/// An HTTP/1.1 response head and body; adds `Content-Length` unless a
/// framing header is given, and always `Connection: close`.
pub fn response(status_line: &str, headers: &[(&str, &str)], body: &[u8]) -> Vec<u8> {
    let mut out = format!("HTTP/1.1 {status_line}\r\n").into_bytes();
    let framed = headers.iter().any(|(k, _)| {
        k.eq_ignore_ascii_case("content-length") || k.eq_ignore_ascii_case("transfer-encoding")
    });
    for (k, v) in headers {
        out.extend_from_slice(format!("{k}: {v}\r\n").as_bytes());
    }
    if !framed {
        out.extend_from_slice(format!("content-length: {}\r\n", body.len()).as_bytes());
    }
    out.extend_from_slice(b"connection: close\r\n\r\n");
    out.extend_from_slice(body);
    out
}

/// Reads one message (a request, or a response when reading as a client:
/// head and `Content-Length` body), or until the peer stops sending, and
/// returns what was read.
pub async fn read_request(sock: &mut TcpStream) -> Vec<u8> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        if let Some(len) = whole_message_len(&buf) {
            if buf.len() >= len {
                return buf;
            }
        }
        match sock.read(&mut chunk).await {
            Ok(0) | Err(_) => return buf,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    }
}

/// The length of the message whose head `buf` starts with, once the head
/// is whole: the head and its `Content-Length`.
fn whole_message_len(buf: &[u8]) -> Option<usize> {
    let mut headers = [httparse::EMPTY_HEADER; 64];
    let mut request = httparse::Request::new(&mut headers);
    let (head, headers) = match request.parse(buf) {
        Ok(httparse::Status::Complete(head)) => (head, request.headers),
        _ => {
            let mut headers = [httparse::EMPTY_HEADER; 64];
            let mut response = httparse::Response::new(&mut headers);
            let httparse::Status::Complete(head) = response.parse(buf).ok()? else {
                return None;
            };
            return Some(head + content_length(response.headers));
        }
    };
    Some(head + content_length(headers))
}

/// The `Content-Length` among `headers`, 0 if none.
fn content_length(headers: &[httparse::Header<'_>]) -> usize {
    headers
        .iter()
        .find(|h| h.name.eq_ignore_ascii_case("content-length"))
        .and_then(|h| std::str::from_utf8(h.value).ok())
        .and_then(|v| v.trim().parse::<usize>().ok())
        .unwrap_or(0)
}

/// Waits until the peer closes (bounded by the caller's deadline).
pub async fn drain(sock: &mut TcpStream) {
    let mut chunk = [0u8; 1024];
    while let Ok(n) = sock.read(&mut chunk).await {
        if n == 0 {
            break;
        }
    }
}

/// A request as it arrived, taken apart: what the service receives, not
/// only what a mock's matchers look at.
#[derive(Debug, PartialEq, Eq)]
pub struct Request {
    /// `POST`, `DELETE`, ...
    pub method: String,
    /// The request target as sent (path and query).
    pub target: String,
    /// The minor HTTP/1 version (`1` for HTTP/1.1).
    pub version: u8,
    /// Every header once per time it was sent, names lower-cased, values as
    /// sent, sorted: a set that still shows a header sent twice.
    pub headers: Vec<(String, String)>,
    /// The body as sent.
    pub body: Vec<u8>,
}

impl Request {
    /// Takes `bytes` apart; `None` if they are not one whole request.
    pub fn parse(bytes: &[u8]) -> Option<Self> {
        let mut headers = [httparse::EMPTY_HEADER; 64];
        let mut request = httparse::Request::new(&mut headers);
        let httparse::Status::Complete(head) = request.parse(bytes).ok()? else {
            return None;
        };
        let mut all: Vec<(String, String)> = request
            .headers
            .iter()
            .map(|h| {
                (
                    h.name.to_ascii_lowercase(),
                    String::from_utf8_lossy(h.value).into_owned(),
                )
            })
            .collect();
        all.sort();
        Some(Request {
            method: request.method?.to_string(),
            target: request.path?.to_string(),
            version: request.version?,
            headers: all,
            body: bytes[head..].to_vec(),
        })
    }
}

/// `(name, value)` pairs as a sorted list, for comparing with
/// [`Request::headers`].
pub fn header_set(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut all: Vec<(String, String)> = pairs
        .iter()
        .map(|(k, v)| (k.to_ascii_lowercase(), v.to_string()))
        .collect();
    all.sort();
    all
}
