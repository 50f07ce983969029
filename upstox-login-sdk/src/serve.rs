//! The one serve loop of the crate's local listeners (the login callback,
//! the notifier receiver, the simulator): hyper reads HTTP/1.1 underneath;
//! around it, the accept on one or two listeners, the bound on connections
//! being read, the read deadline and the body limit.
//!
//! Every connection is accepted at once. At most [`MAX_CONNECTIONS`] are
//! read at a time, a new one closing the oldest still being read; each has
//! [`READ_TIMEOUT`] to send a whole request (head and body) within the
//! listener's [`Limits`]. A real client (a browser, Upstox's webhook POST)
//! sends its request as soon as it connects, so another local process that
//! opens connections and sends nothing, or a byte at a time, cannot keep it
//! out, and a listener holds at most `MAX_CONNECTIONS` requests' worth of
//! memory. One request per connection: no keep-alive.
//!
//! A request read is handed to the caller ([`Server::next`]) with a
//! [`Responder`] to answer it with, whenever the caller is ready (the
//! callback listener answers the browser after the code exchange).

// Each listener uses its part: with only some of their features, the rest
// goes unused.
#![cfg_attr(
    not(all(feature = "loopback", feature = "webhook", feature = "simulator")),
    allow(dead_code)
)]

#[cfg(any(feature = "loopback", feature = "webhook"))]
mod listen;
#[cfg(test)]
mod tests;

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, LengthLimitError, Limited};
use hyper::body::Body;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, oneshot, Notify};
use tokio::task::AbortHandle;
use tokio::time::Instant;

#[cfg(feature = "webhook-tls")]
pub(crate) use listen::tls_acceptor;
#[cfg(any(feature = "loopback", feature = "webhook"))]
pub(crate) use listen::{bind, Host};

/// How many connections are read at once.
pub(crate) const MAX_CONNECTIONS: usize = 128;
/// How long one connection may take to send its request, body included.
pub(crate) const READ_TIMEOUT: Duration = Duration::from_secs(10);
/// How long an answer may take to write once given: a client that does
/// not read its answer does not hold its connection open.
const WRITE_TIMEOUT: Duration = Duration::from_secs(2);

/// The most a request may hold.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    /// Request line and headers, in bytes (at least 8 KiB, hyper's least).
    pub(crate) head: usize,
    /// Body, in bytes; `None`: bodies are not read (the request is its
    /// head alone, whatever it declares).
    pub(crate) body: Option<usize>,
}

/// A request as read.
#[derive(Debug)]
pub(crate) struct Request {
    pub(crate) method: String,
    /// As sent: path and query.
    pub(crate) target: String,
    /// Names lower-cased, values trimmed; framing headers
    /// (`transfer-encoding`, `content-length`) as the client sent them.
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: Vec<u8>,
}

impl Request {
    /// The first value of a header (name in lower case).
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// How many times a header was sent.
    pub(crate) fn header_count(&self, name: &str) -> usize {
        self.headers.iter().filter(|(n, _)| n == name).count()
    }

    /// The target's path, without query or fragment.
    pub(crate) fn path(&self) -> &str {
        self.target.split(['?', '#']).next().unwrap_or("")
    }

    /// The target's query, if any (without the fragment).
    #[cfg(feature = "simulator")]
    pub(crate) fn query(&self) -> Option<&str> {
        let (_, rest) = self.target.split_once('?')?;
        rest.split('#').next()
    }
}

/// The answer to one request; dropping it closes the connection unanswered.
#[derive(Debug)]
pub(crate) struct Responder {
    answer: oneshot::Sender<http::Response<Full<Bytes>>>,
    /// Notified when the connection is done with (answer written or given up).
    finished: Arc<Notify>,
}

impl Responder {
    /// Answers with `status`, `headers` and `body` (`Content-Length` is
    /// added); the connection's task writes it and closes the connection.
    pub(crate) fn send(self, status: u16, headers: &[(&str, &str)], body: impl Into<Bytes>) {
        let _ = self.answer.send(response(status, headers, body.into()));
    }

    /// [`send`](Self::send), then waits until it is written (at most
    /// [`WRITE_TIMEOUT`] and a little): for a last answer, which the
    /// program may exit right after.
    pub(crate) async fn send_and_wait(
        self,
        status: u16,
        headers: &[(&str, &str)],
        body: impl Into<Bytes>,
    ) {
        let finished = self.finished.clone();
        self.send(status, headers, body);
        let _ = tokio::time::timeout(WRITE_TIMEOUT * 2, finished.notified()).await;
    }
}

fn response(status: u16, headers: &[(&str, &str)], body: Bytes) -> http::Response<Full<Bytes>> {
    let mut builder = http::Response::builder().status(status);
    for (name, value) in headers {
        builder = builder.header(*name, *value);
    }
    builder
        .body(Full::new(body.clone()))
        // Only the crate's own names and values reach here.
        .unwrap_or_else(|_| http::Response::new(Full::new(body)))
}

/// What a connection gave the caller.
#[derive(Debug)]
pub(crate) enum Incoming {
    /// A request within the limits, to answer.
    Request(Request, Responder),
    /// A request that broke the limits or was not HTTP/1.x, already
    /// answered (400, 413, 431): why, for a person.
    Unreadable(String),
}

/// One connection being read.
struct Reading {
    task: AbortHandle,
    /// Its whole request is read (and goes to the caller): no longer
    /// "being read".
    read: Arc<AtomicBool>,
}

impl Reading {
    fn being_read(&self) -> bool {
        !self.task.is_finished() && !self.read.load(Ordering::Acquire)
    }
}

/// A listener on one or two sockets (`localhost`: both loopbacks) and the
/// connections being read. Dropping it closes every connection still being
/// read; one whose request is read stays until it is answered (or, not
/// taken, until its deadline).
pub(crate) struct Server {
    listeners: (TcpListener, Option<TcpListener>),
    /// Serves HTTPS: every connection's TLS handshake first.
    #[cfg(feature = "webhook-tls")]
    tls: Option<tokio_rustls::TlsAcceptor>,
    limits: Limits,
    reading: VecDeque<Reading>,
    sender: mpsc::Sender<Incoming>,
    incoming: mpsc::Receiver<Incoming>,
}

impl std::fmt::Debug for Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Server")
            .field("listening", &self.listeners.0.local_addr().ok())
            .field("reading", &self.reading.len())
            .finish_non_exhaustive()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        for reading in &self.reading {
            if reading.being_read() {
                reading.task.abort();
            }
        }
    }
}

impl Server {
    /// Serves `first` (and `second`, if any) within `limits`.
    pub(crate) fn new(first: TcpListener, second: Option<TcpListener>, limits: Limits) -> Self {
        // One at a time: a request read waits for the caller in its
        // connection's task, until the read deadline at most.
        let (sender, incoming) = mpsc::channel(1);
        Self {
            listeners: (first, second),
            #[cfg(feature = "webhook-tls")]
            tls: None,
            limits,
            reading: VecDeque::new(),
            sender,
            incoming,
        }
    }

    /// Serves HTTPS from now on.
    #[cfg(feature = "webhook-tls")]
    pub(crate) fn set_tls(&mut self, acceptor: tokio_rustls::TlsAcceptor) {
        self.tls = Some(acceptor);
    }

    /// The first listener.
    pub(crate) fn listener(&self) -> &TcpListener {
        &self.listeners.0
    }

    /// The next request read (or refused as unreadable), accepting
    /// connections meanwhile. Cancel-safe.
    pub(crate) async fn next(&mut self) -> Incoming {
        loop {
            tokio::select! {
                // Requests already read first, so that they never wait
                // behind new connections.
                biased;
                Some(incoming) = self.incoming.recv() => return incoming,
                accepted = accept(&self.listeners) => match accepted {
                    Ok(stream) => {
                        if self.add(stream) {
                            // Lets the closed connection's task be dropped
                            // now, so that a flood does not hold the memory
                            // of the closed ones as well as the open ones.
                            tokio::task::yield_now().await;
                        }
                    }
                    // A failed accept (too many files, a reset) is not
                    // fatal, but is not retried at once either.
                    Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
                },
            }
        }
    }

    /// [`next`](Self::next), or `None` once `deadline` passes.
    pub(crate) async fn next_until(&mut self, deadline: Instant) -> Option<Incoming> {
        tokio::time::timeout_at(deadline, self.next()).await.ok()
    }

    /// Starts reading a new connection, closing the oldest one still being
    /// read if there are too many; whether it closed one.
    fn add(&mut self, stream: TcpStream) -> bool {
        self.reading.retain(Reading::being_read);
        let mut closed = false;
        if self.reading.len() >= MAX_CONNECTIONS {
            if let Some(oldest) = self.reading.pop_front() {
                oldest.task.abort();
                closed = true;
            }
        }
        let read = Arc::new(AtomicBool::new(false));
        let connection = Connection {
            limits: self.limits,
            deadline: Instant::now() + READ_TIMEOUT,
            sender: self.sender.clone(),
            read: read.clone(),
            answered: Arc::new(Notify::new()),
            finished: Arc::new(Notify::new()),
        };
        #[cfg(feature = "webhook-tls")]
        if let Some(tls) = self.tls.clone() {
            let deadline = connection.deadline;
            let task = tokio::spawn(async move {
                // A handshake is part of the request: within the deadline.
                if let Ok(Ok(stream)) = tokio::time::timeout_at(deadline, tls.accept(stream)).await
                {
                    connection.serve(stream).await;
                }
            });
            let task = task.abort_handle();
            self.reading.push_back(Reading { task, read });
            return closed;
        }
        let task = tokio::spawn(async move {
            // hyper's buffers are taken when the request's first bytes come:
            // an idle connection holds none.
            if let Ok(Ok(())) =
                tokio::time::timeout_at(connection.deadline, stream.readable()).await
            {
                connection.serve(stream).await;
            }
        });
        self.reading.push_back(Reading {
            task: task.abort_handle(),
            read,
        });
        closed
    }
}

/// Waits for a connection on either listener.
async fn accept(listeners: &(TcpListener, Option<TcpListener>)) -> std::io::Result<TcpStream> {
    let (stream, _) = match &listeners.1 {
        Some(other) => tokio::select! {
            a = listeners.0.accept() => a?,
            b = other.accept() => b?,
        },
        None => listeners.0.accept().await?,
    };
    Ok(stream)
}

/// What one connection's task holds.
#[derive(Clone)]
struct Connection {
    limits: Limits,
    /// When the whole request must have been read.
    deadline: Instant,
    sender: mpsc::Sender<Incoming>,
    read: Arc<AtomicBool>,
    /// Notified once the caller's answer is handed to hyper to write.
    answered: Arc<Notify>,
    /// Notified when the connection is done with.
    finished: Arc<Notify>,
}

/// Why a connection closes unanswered (the peer left, or was too slow, or
/// nobody waits for its request any more).
fn unanswered() -> std::io::Error {
    std::io::Error::other("closed unanswered")
}

impl Connection {
    /// Reads one request from `stream` through hyper and answers it.
    async fn serve(self, stream: impl AsyncRead + AsyncWrite + Unpin + Send + 'static) {
        let mut http = hyper::server::conn::http1::Builder::new();
        http.timer(TokioTimer::new())
            .header_read_timeout(self.deadline.saturating_duration_since(Instant::now()))
            .max_buf_size(self.limits.head.max(8 * 1024))
            .keep_alive(false)
            // A client that shuts its sending side after the request still
            // gets the answer.
            .half_close(true);
        let this = self.clone();
        let service = hyper::service::service_fn(move |request| this.clone().handle(request));
        let connection = http.serve_connection(TokioIo::new(stream), service);
        let written = async {
            self.answered.notified().await;
            tokio::time::sleep(WRITE_TIMEOUT).await;
        };
        let outcome = tokio::select! {
            outcome = connection => Some(outcome),
            () = written => None,
        };
        // A permit is kept if the responder is not waiting yet.
        self.finished.notify_one();
        let Some(outcome) = outcome else { return };
        // hyper answered a head it could not take (431, 400) itself.
        let reason = match outcome {
            Err(e) if e.is_parse_too_large() => format!("a head over {} bytes", self.limits.head),
            Err(e) if e.is_parse() => "not an HTTP/1.x request".to_string(),
            _ => return,
        };
        let _ = self.sender.send(Incoming::Unreadable(reason)).await;
    }

    /// Reads the body within the limits and hands the request to the caller.
    async fn handle(
        self,
        request: http::Request<hyper::body::Incoming>,
    ) -> Result<http::Response<Full<Bytes>>, std::io::Error> {
        let (parts, body) = request.into_parts();
        let headers = parts
            .headers
            .iter()
            .map(|(name, value)| {
                let value = String::from_utf8_lossy(value.as_bytes()).trim().to_string();
                (name.as_str().to_string(), value)
            })
            .collect();
        let target = parts
            .uri
            .path_and_query()
            .map_or_else(|| parts.uri.to_string(), |p| p.as_str().to_string());
        let body = match self.limits.body {
            None => Vec::new(),
            Some(max) => match self.read_body(body, max).await {
                Ok(body) => body,
                Err(Some((status, reason))) => {
                    let _ = self.sender.send(Incoming::Unreadable(reason)).await;
                    return Ok(response(status, &[], Bytes::new()));
                }
                Err(None) => return Err(unanswered()),
            },
        };
        let request = Request {
            method: parts.method.as_str().to_string(),
            target,
            headers,
            body,
        };
        // Read: no longer counted among the connections being read, as
        // its request waits for the caller (at most until the deadline).
        self.read.store(true, Ordering::Release);
        let (answer, answered) = oneshot::channel();
        let responder = Responder {
            answer,
            finished: self.finished.clone(),
        };
        let incoming = Incoming::Request(request, responder);
        if tokio::time::timeout_at(self.deadline, self.sender.send(incoming))
            .await
            .is_err()
        {
            return Err(unanswered());
        }
        let answer = answered.await.map_err(|_| unanswered())?;
        self.answered.notify_one();
        Ok(answer)
    }

    /// The body, at most `max` bytes, by the deadline; or the status and
    /// reason to refuse it with; or `None` when nobody is left to answer.
    async fn read_body(
        &self,
        body: hyper::body::Incoming,
        max: usize,
    ) -> Result<Vec<u8>, Option<(u16, String)>> {
        let too_large = || Some((413, format!("a body over {max} bytes")));
        // A declared length over the limit is refused before any of it is read.
        if body.size_hint().lower() > max as u64 {
            return Err(too_large());
        }
        let read = tokio::time::timeout_at(self.deadline, Limited::new(body, max).collect());
        match read.await {
            Ok(Ok(collected)) => Ok(collected.to_bytes().to_vec()),
            Ok(Err(e)) if e.downcast_ref::<LengthLimitError>().is_some() => Err(too_large()),
            Ok(Err(e)) => match e.downcast_ref::<hyper::Error>() {
                Some(e) if e.is_incomplete_message() => Err(None),
                Some(_) => Err(Some((400, "a body that is not valid HTTP/1.1".into()))),
                None => Err(None),
            },
            // Too slow: nobody to answer.
            Err(_) => Err(None),
        }
    }
}
