//! What the local listeners (the login callback, the notifier receiver)
//! tell about requests they answer and do not end on, and how a flood of
//! them is summarised instead of told one by one.

use std::fmt;
use std::time::Duration;

use tokio::time::Instant;

use crate::terminal::escape;

/// A request to another path, or with another method, than the listener
/// serves: answered 404/405 and ignored. Its method and path are as any
/// local process sent them: `Display` escapes them for a terminal; print
/// them yourself through [`terminal::escape`](crate::terminal::escape).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct StrayRequest {
    /// The method.
    pub method: String,
    /// The path, without its query.
    pub path: String,
}

impl fmt::Display for StrayRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "ignored a stray request: {} {}",
            escape(&self.method),
            escape(&self.path)
        )
    }
}

/// The requests of a flood that were answered but not told one by one: a
/// listener tells at most [`FloodSummary::TOLD_PER_SECOND`] events a
/// second, and counts the rest into one of these, told at most once a
/// second and when the wait ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct FloodSummary {
    /// Stray requests ignored (another path or method).
    pub ignored: u64,
    /// Requests rejected (a callback of another login, a payload not for
    /// this app).
    pub rejected: u64,
    /// Requests refused as not HTTP, or over the size limits.
    pub unreadable: u64,
    /// Over how long they came.
    pub over: Duration,
}

impl FloodSummary {
    /// How many events a listener tells one by one in a second.
    pub const TOLD_PER_SECOND: u32 = 10;

    /// How many requests it counts.
    pub fn total(&self) -> u64 {
        self.ignored + self.rejected + self.unreadable
    }
}

impl fmt::Display for FloodSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "a flood of requests, not told one by one: {} stray ignored, {} rejected, \
             {} unreadable refused, over {:?}",
            self.ignored, self.rejected, self.unreadable, self.over
        )
    }
}

/// Which count of a [`FloodSummary`] an event goes to.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Kind {
    Ignored,
    Rejected,
    /// The callback listener does not tell these at all.
    #[cfg_attr(not(feature = "webhook"), allow(dead_code))]
    Unreadable,
}

/// How long one window of [`FloodSummary::TOLD_PER_SECOND`] events lasts.
const WINDOW: Duration = Duration::from_secs(1);

/// Tells the first events of each second one by one, and counts the rest.
#[derive(Debug)]
pub(crate) struct Flood {
    /// When the current window began.
    since: Instant,
    /// Events told one by one in it.
    told: u32,
    /// Events counted and not told yet, and since when.
    held: FloodSummary,
    held_since: Instant,
}

impl Flood {
    pub(crate) fn new() -> Self {
        let now = Instant::now();
        Self {
            since: now,
            told: 0,
            held: FloodSummary::default(),
            held_since: now,
        }
    }

    /// Tells `event` through `on_event`, or counts it under `kind` if this
    /// second's events were told already; first tells what a past second held.
    pub(crate) fn report<E>(
        &mut self,
        kind: Kind,
        event: E,
        on_event: &mut impl FnMut(E),
        summary: fn(FloodSummary) -> E,
    ) {
        self.flush(on_event, summary);
        if self.told < FloodSummary::TOLD_PER_SECOND {
            self.told += 1;
            on_event(event);
            return;
        }
        if self.held.total() == 0 {
            self.held_since = Instant::now();
        }
        match kind {
            Kind::Ignored => self.held.ignored += 1,
            Kind::Rejected => self.held.rejected += 1,
            Kind::Unreadable => self.held.unreadable += 1,
        }
    }

    /// Starts a new window if the current one is over, telling what it held.
    pub(crate) fn flush<E>(
        &mut self,
        on_event: &mut impl FnMut(E),
        summary: fn(FloodSummary) -> E,
    ) {
        let now = Instant::now();
        if now >= self.since + WINDOW {
            self.since = now;
            self.told = 0;
            self.finish(on_event, summary);
        }
    }

    /// Tells what is held, if anything: when the wait ends.
    pub(crate) fn finish<E>(
        &mut self,
        on_event: &mut impl FnMut(E),
        summary: fn(FloodSummary) -> E,
    ) {
        if self.held.total() > 0 {
            let mut held = std::mem::take(&mut self.held);
            held.over = self.held_since.elapsed();
            on_event(summary(held));
        }
    }

    /// When to wake to tell what is held, if before `deadline`.
    pub(crate) fn wake(&self, deadline: Instant) -> Instant {
        if self.held.total() > 0 {
            deadline.min(self.since + WINDOW)
        } else {
            deadline
        }
    }
}
