//! The server side of HTTP/1.1 that this crate's local listeners need: read
//! one request within size limits, write one answer and close.
//!
//! Deliberately small: no keep-alive, no chunked bodies (a request with
//! `Transfer-Encoding` is refused), a body only with `Content-Length`. The
//! caller bounds the time (`tokio::time::timeout`) and the number of
//! connections.

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// The most a request may hold.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    /// Request line and headers, in bytes.
    pub(crate) head: usize,
    /// Body, in bytes.
    pub(crate) body: usize,
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
/// says. Never holds more than the limits (plus one read's worth).
pub(crate) async fn read_request(
    stream: &mut (impl AsyncRead + Unpin),
    limits: Limits,
) -> Result<Request, ReadError> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        let n = stream
            .read(&mut chunk)
            .await
            .map_err(|_| ReadError::Closed)?;
        if n == 0 {
            return Err(ReadError::Closed);
        }
        // Only the new bytes (and the three before) can complete the head:
        // a head sent a byte at a time is not searched again whole each time.
        let from = buf.len().saturating_sub(3);
        buf.extend_from_slice(&chunk[..n]);
        if let Some(end) = find_head_end(&buf[from..]) {
            break from + end;
        }
        if buf.len() > limits.head {
            return Err(ReadError::HeadTooLarge);
        }
    };
    if head_end > limits.head {
        return Err(ReadError::HeadTooLarge);
    }
    let (method, target, headers) = parse_head(&buf[..head_end])?;
    let mut request = Request {
        method,
        target,
        headers,
        body: Vec::new(),
    };
    if request.header("transfer-encoding").is_some() {
        return Err(ReadError::Malformed("Transfer-Encoding is not accepted"));
    }
    let length = match request.header_count("content-length") {
        0 => 0,
        1 => request
            .header("content-length")
            .and_then(|v| v.parse::<usize>().ok())
            .ok_or(ReadError::Malformed("Content-Length is not a number"))?,
        _ => return Err(ReadError::Malformed("Content-Length is sent twice")),
    };
    if length > limits.body {
        return Err(ReadError::BodyTooLarge);
    }
    let mut body = buf.split_off(head_end);
    while body.len() < length {
        let n = stream
            .read(&mut chunk)
            .await
            .map_err(|_| ReadError::Closed)?;
        if n == 0 {
            return Err(ReadError::Closed);
        }
        body.extend_from_slice(&chunk[..n]);
    }
    // Anything past the declared length is a second request: not served.
    body.truncate(length);
    request.body = body;
    Ok(request)
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

fn parse_head(head: &[u8]) -> Result<Head, ReadError> {
    let head =
        std::str::from_utf8(head).map_err(|_| ReadError::Malformed("the head is not UTF-8"))?;
    let mut lines = head.split('\n').map(|l| l.strip_suffix('\r').unwrap_or(l));
    let line = lines.next().unwrap_or("");
    let mut parts = line.split(' ');
    let (method, target) = match (parts.next(), parts.next(), parts.next(), parts.next()) {
        (Some(m), Some(t), Some(v), None) if !m.is_empty() && v.starts_with("HTTP/1.") => (m, t),
        _ => return Err(ReadError::Malformed("not an HTTP/1.x request line")),
    };
    let mut headers = Vec::new();
    for line in lines.take_while(|l| !l.is_empty()) {
        let (name, value) = line
            .split_once(':')
            .ok_or(ReadError::Malformed("a header line without a colon"))?;
        if name.is_empty() || name.trim() != name {
            return Err(ReadError::Malformed("a header name with white space"));
        }
        headers.push((name.to_ascii_lowercase(), value.trim().to_string()));
    }
    Ok((method.to_string(), target.to_string(), headers))
}

/// Writes an answer with `Content-Length` and `Connection: close`, then
/// closes the sending side. Errors are ignored: the peer may be gone.
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
    let _ = stream.write_all(head.as_bytes()).await;
    let _ = stream.write_all(body).await;
    let _ = stream.shutdown().await;
}

/// The answer to a request that could not be read, if one is owed.
pub(crate) fn status_for(error: &ReadError) -> Option<u16> {
    match error {
        ReadError::Closed => None,
        ReadError::Malformed(_) => Some(400),
        ReadError::HeadTooLarge => Some(431),
        ReadError::BodyTooLarge => Some(413),
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
        503 => "Service Unavailable",
        _ => "Status",
    }
}
