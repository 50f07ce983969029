//! How a failed call is told: the error, each cause once, and for a lock
//! held too long, who holds it.

use upstox_login_sdk::{Error, Waiting};

/// The error and its causes, `: `-separated, each once.
pub fn describe(error: &Error, holder: Option<u32>) -> String {
    let mut text = error.to_string();
    let mut cause = std::error::Error::source(error);
    while let Some(e) = cause {
        text.push_str(": ");
        text.push_str(&e.to_string());
        cause = e.source();
    }
    if let Error::TimedOut {
        waiting_for: Waiting::SessionLock,
        ..
    } = error
    {
        match holder {
            Some(pid) => text.push_str(&format!(
                " (process {pid} holds it: let it finish, or stop it, then try again)"
            )),
            None => text.push_str(" (let it finish, or stop it, then try again)"),
        }
    }
    text
}
