//! The connections of a local listener, bounded against a flood: every
//! connection is accepted at once; at most [`MAX_CONNECTIONS`] are read at
//! a time, a new one closing the oldest still being read; each has
//! [`READ_TIMEOUT`] to send a whole request within the listener's
//! [`Limits`].
//!
//! A real client (a browser, Upstox's webhook POST) sends its request as
//! soon as it connects, so another local process that opens connections
//! and sends nothing, or a byte at a time, cannot keep it out; and a
//! listener holds at most `MAX_CONNECTIONS` requests' worth of memory.
//! The callback listener, the notifier webhook receiver and the simulator
//! all read their requests through this.

use std::collections::VecDeque;
use std::time::Duration;

use tokio::net::{TcpListener, TcpStream};
use tokio::task::{AbortHandle, JoinSet};

use crate::http1::{self, Limits, ReadError, Request};

/// How many connections are read at once.
pub(crate) const MAX_CONNECTIONS: usize = 128;
/// How long one connection may take to send its request, body included.
pub(crate) const READ_TIMEOUT: Duration = Duration::from_secs(10);

/// What reading a connection gave: a request, or one that broke the
/// limits or was not HTTP (to answer with [`ReadError::status`]); and the
/// connection to answer on.
pub(crate) type Read = (Result<Request, ReadError>, TcpStream);

/// The connections being read, each in its own task; dropping this closes
/// them all.
pub(crate) struct Readers {
    limits: Limits,
    tasks: JoinSet<Option<Read>>,
    /// The tasks in the order their connections came, some finished.
    order: VecDeque<AbortHandle>,
}

impl Readers {
    pub(crate) fn new(limits: Limits) -> Self {
        Self {
            limits,
            tasks: JoinSet::new(),
            order: VecDeque::new(),
        }
    }

    /// Starts reading a new connection, closing the oldest one still being
    /// read if there are too many.
    pub(crate) fn add(&mut self, stream: TcpStream) {
        self.order.retain(|task| !task.is_finished());
        if self.order.len() >= MAX_CONNECTIONS {
            if let Some(oldest) = self.order.pop_front() {
                oldest.abort();
            }
        }
        let limits = self.limits;
        let task = self.tasks.spawn(async move {
            let mut stream = stream;
            match tokio::time::timeout(READ_TIMEOUT, http1::read_request(&mut stream, limits)).await
            {
                // Gone, or too slow: nobody to answer.
                Ok(Err(ReadError::Closed)) | Err(_) => None,
                Ok(read) => Some((read, stream)),
            }
        });
        self.order.push_back(task);
    }

    /// The next connection read; `None` when none is being read.
    pub(crate) async fn next(&mut self) -> Option<Read> {
        loop {
            if let Ok(Some(read)) = self.tasks.join_next().await? {
                return Some(read);
            }
        }
    }
}

/// Waits for a connection on either listener.
pub(crate) async fn accept(
    listener: &TcpListener,
    also: Option<&TcpListener>,
) -> std::io::Result<TcpStream> {
    let (stream, _) = match also {
        Some(other) => tokio::select! {
            a = listener.accept() => a?,
            b = other.accept() => b?,
        },
        None => listener.accept().await?,
    };
    Ok(stream)
}
