//! The server side of HTTP/1.1 that this crate's local listeners need: read
//! one request within size limits, write one answer and close.
//!
//! Deliberately small: one request per connection, no keep-alive; a body
//! by `Content-Length` or `Transfer-Encoding: chunked` (whoever sends a
//! webhook may use either), within a size limit. The time and the number
//! of connections are bounded by `connections.rs`.

use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// How long an answer to one connection may take to write: a client that
/// does not read its answer does not hold up the others.
const WRITE_TIMEOUT: Duration = Duration::from_secs(2);

/// The most a request may hold.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    /// Request line and headers, in bytes.
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
    /// In order, names lower-cased, values trimmed.
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

/// Why no request was read.
#[derive(Debug)]
pub(crate) enum ReadError {
    /// The peer closed (or reset) before a whole request came.
    Closed,
    /// Not an HTTP/1.x request this reader takes; answer 400.
    Malformed(&'static str),
    /// The head is over the limit; answer 431.
    HeadTooLarge,
    /// The declared body is over the limit; answer 413. Nothing of it was read.
    BodyTooLarge,
}

/// Reads one request: its head, then as many body bytes as `Content-Length`
/// says. Never holds more than the limits.
pub(crate) async fn read_request(
    stream: &mut (impl AsyncRead + Unpin),
    limits: Limits,
) -> Result<Request, ReadError> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        // Never more than the limit: what does not end by then is refused.
        let room = limits.head.saturating_sub(buf.len()).min(chunk.len());
        if room == 0 {
            return Err(ReadError::HeadTooLarge);
        }
        let n = read(stream, &mut chunk[..room]).await?;
        // Only the new bytes (and the three before) can complete the head:
        // a head sent a byte at a time is not searched again whole each time.
        let from = buf.len().saturating_sub(3);
        buf.extend_from_slice(&chunk[..n]);
        if let Some(end) = find_head_end(&buf[from..]) {
            break from + end;
        }
    };
    let (method, target, headers) = parse_head(&buf[..head_end])?;
    let mut request = Request {
        method,
        target,
        headers,
        body: Vec::new(),
    };
    let Some(max) = limits.body else {
        return Ok(request);
    };
    // The bytes read past the head: the body's start.
    let mut rest = Rest {
        pending: buf.split_off(head_end),
        stream,
    };
    drop(buf);
    let chunked = request
        .header("transfer-encoding")
        .map(|te| te.eq_ignore_ascii_case("chunked"));
    request.body = match (chunked, request.header_count("content-length")) {
        (None, 0) => Vec::new(),
        (None, 1) => {
            let length = request
                .header("content-length")
                .and_then(|v| v.parse::<usize>().ok())
                .ok_or(ReadError::Malformed("Content-Length is not a number"))?;
            if length > max {
                return Err(ReadError::BodyTooLarge);
            }
            let mut body = Vec::with_capacity(length);
            rest.exact(length, &mut body).await?;
            body
        }
        (None, _) => return Err(ReadError::Malformed("Content-Length is sent twice")),
        (Some(true), 0) => rest.chunked(max).await?,
        (Some(_), _) => {
            return Err(ReadError::Malformed(
                "Transfer-Encoding is not `chunked` alone, or comes with Content-Length",
            ))
        }
    };
    // Anything past the body is a second request: not served.
    Ok(request)
}

/// The longest line of a chunked body (a chunk's size, a trailer).
const MAX_LINE: usize = 1024;
/// The most trailer lines after a chunked body.
const MAX_TRAILERS: usize = 32;

/// The rest of a request after its head: bytes already read, then the stream.
struct Rest<'s, S> {
    pending: Vec<u8>,
    stream: &'s mut S,
}

impl<S: AsyncRead + Unpin> Rest<'_, S> {
    /// Appends exactly `n` bytes to `into`.
    async fn exact(&mut self, n: usize, into: &mut Vec<u8>) -> Result<(), ReadError> {
        let taken = n.min(self.pending.len());
        into.extend(self.pending.drain(..taken));
        let mut left = n - taken;
        let mut chunk = [0u8; 4096];
        while left > 0 {
            let got = read(self.stream, &mut chunk[..left.min(4096)]).await?;
            into.extend_from_slice(&chunk[..got]);
            left -= got;
        }
        Ok(())
    }

    /// One line, without its `\r\n` or `\n`, at most [`MAX_LINE`] bytes.
    async fn line(&mut self) -> Result<Vec<u8>, ReadError> {
        loop {
            if let Some(end) = self.pending.iter().position(|&b| b == b'\n') {
                let mut line: Vec<u8> = self.pending.drain(..=end).collect();
                line.pop();
                if line.last() == Some(&b'\r') {
                    line.pop();
                }
                return Ok(line);
            }
            if self.pending.len() > MAX_LINE {
                return Err(ReadError::Malformed(
                    "a line of the chunked body is too long",
                ));
            }
            let mut chunk = [0u8; MAX_LINE];
            let got = read(self.stream, &mut chunk).await?;
            self.pending.extend_from_slice(&chunk[..got]);
        }
    }

    /// A `Transfer-Encoding: chunked` body of at most `max` bytes.
    async fn chunked(&mut self, max: usize) -> Result<Vec<u8>, ReadError> {
        const BAD_SIZE: ReadError = ReadError::Malformed("a chunk size is not hexadecimal");
        let mut body = Vec::new();
        loop {
            let line = self.line().await?;
            let size = line.split(|&b| b == b';').next().unwrap_or(&[]);
            let size = std::str::from_utf8(size).map_err(|_| BAD_SIZE)?.trim();
            let size = usize::from_str_radix(size, 16).map_err(|_| BAD_SIZE)?;
            if size == 0 {
                break;
            }
            if size > max.saturating_sub(body.len()) {
                return Err(ReadError::BodyTooLarge);
            }
            self.exact(size, &mut body).await?;
            if !self.line().await?.is_empty() {
                return Err(ReadError::Malformed("a chunk is longer than its size"));
            }
        }
        for _ in 0..MAX_TRAILERS {
            if self.line().await?.is_empty() {
                return Ok(body);
            }
        }
        Err(ReadError::Malformed(
            "too many trailers after the chunked body",
        ))
    }
}

/// One read of at least a byte; the end of the stream or an error is `Closed`.
async fn read(stream: &mut (impl AsyncRead + Unpin), into: &mut [u8]) -> Result<usize, ReadError> {
    match stream.read(into).await {
        Ok(0) | Err(_) => Err(ReadError::Closed),
        Ok(n) => Ok(n),
    }
}

/// Where the head ends (after its blank line), if it does in `bytes`.
fn find_head_end(bytes: &[u8]) -> Option<usize> {
    let crlf = bytes
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|i| i + 4);
    let lf = bytes.windows(2).position(|w| w == b"\n\n").map(|i| i + 2);
    match (crlf, lf) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

type Head = (String, String, Vec<(String, String)>);

/// The request line and the headers. Lenient where a browser or a webhook
/// sender could be: bytes that are not UTF-8 are replaced, a header line
/// without a colon is skipped.
fn parse_head(head: &[u8]) -> Result<Head, ReadError> {
    let head = String::from_utf8_lossy(head);
    let mut lines = head.split('\n').map(|l| l.strip_suffix('\r').unwrap_or(l));
    let line = lines.next().unwrap_or("");
    let mut parts = line.split(' ');
    let (method, target) = match (parts.next(), parts.next(), parts.next(), parts.next()) {
        (Some(m), Some(t), Some(v), None) if !m.is_empty() && v.starts_with("HTTP/1.") => (m, t),
        _ => return Err(ReadError::Malformed("not an HTTP/1.x request line")),
    };
    let headers = lines
        .take_while(|l| !l.is_empty())
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.trim().to_ascii_lowercase(), value.trim().to_string()))
        .collect();
    Ok((method.to_string(), target.to_string(), headers))
}

/// Writes an answer with `Content-Length` and `Connection: close`, then
/// closes the sending side, within [`WRITE_TIMEOUT`]. Errors are ignored:
/// the peer may be gone.
pub(crate) async fn respond(
    stream: &mut (impl AsyncWrite + Unpin),
    status: u16,
    headers: &[(&str, &str)],
    body: &[u8],
) {
    let mut head = format!("HTTP/1.1 {status} {}\r\n", reason(status));
    for (name, value) in headers {
        head.push_str(name);
        head.push_str(": ");
        head.push_str(value);
        head.push_str("\r\n");
    }
    head.push_str(&format!(
        "Content-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    ));
    let _ = tokio::time::timeout(WRITE_TIMEOUT, async {
        let _ = stream.write_all(head.as_bytes()).await;
        let _ = stream.write_all(body).await;
        let _ = stream.shutdown().await;
    })
    .await;
}

impl ReadError {
    /// The status that answers it (`Closed` has nobody to answer).
    pub(crate) fn status(&self) -> u16 {
        match self {
            ReadError::Closed | ReadError::Malformed(_) => 400,
            ReadError::HeadTooLarge => 431,
            ReadError::BodyTooLarge => 413,
        }
    }

    /// What was wrong, for a person.
    pub(crate) fn reason(&self, limits: Limits) -> String {
        match self {
            ReadError::Closed => "the connection closed before a whole request".into(),
            ReadError::Malformed(why) => (*why).into(),
            ReadError::HeadTooLarge => format!("a head over {} bytes", limits.head),
            ReadError::BodyTooLarge => {
                format!("a body over {} bytes", limits.body.unwrap_or(0))
            }
        }
    }
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        302 => "Found",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        406 => "Not Acceptable",
        413 => "Payload Too Large",
        429 => "Too Many Requests",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        _ => "Status",
    }
}
