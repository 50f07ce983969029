//! The lock that lets one program at a time log in for a session file: an
//! exclusive OS lock (`flock` on Unix) on a file beside it, never on the
//! session file itself, which is replaced by a rename on every save.
//!
//! The OS drops the lock when its holder exits, killed or not, so a crash
//! never leaves it held. The holder writes its process id into the file, so
//! that a program that waits too long can say who holds it.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{self, Read, Seek, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::error::{SetupError, Waiting};
use crate::Error;

/// Held while a login for the session file runs; released when dropped.
#[derive(Debug)]
pub(crate) struct LoginLock {
    // Only held: closing it releases the lock.
    _file: File,
}

/// The lock file for a session file: `<session>.lock` beside it.
pub fn lock_path(session: &Path) -> PathBuf {
    let mut name = session
        .file_name()
        .map(|n| n.to_os_string())
        .unwrap_or_else(|| "session".into());
    name.push(".lock");
    session.with_file_name(name)
}

/// One attempt at the lock: `Ok(None)` while another program holds it.
pub(crate) fn try_lock(path: &Path) -> Result<Option<LoginLock>, Error> {
    let io = |error: io::Error| {
        Error::Setup(SetupError::new(
            "could not take the session's login lock (the file beside it ending in .lock)",
            error,
        ))
    };
    let mut file = open(path).map_err(io)?;
    match file.try_lock() {
        Ok(()) => {}
        Err(TryLockError::WouldBlock) => return Ok(None),
        Err(TryLockError::Error(e)) => return Err(io(e)),
    }
    // Who holds it, for a program that waits too long; not needed for the
    // lock itself, so a failure to write it is no failure.
    let _ = file
        .set_len(0)
        .and_then(|()| file.rewind())
        .and_then(|()| write!(file, "{}", std::process::id()));
    Ok(Some(LoginLock { _file: file }))
}

/// The process id the holder wrote into the lock file, if readable.
pub(crate) fn holder(path: &Path) -> Option<u32> {
    let mut text = String::new();
    open(path).ok()?.take(32).read_to_string(&mut text).ok()?;
    text.trim().parse().ok()
}

/// Takes the lock, waiting up to `wait` for another holder, polling with
/// `sleep` (a thread sleep, or a runtime's). Says whether it had to wait;
/// `on_wait` learns the holder's process id when the wait begins.
pub(crate) async fn acquire<F: std::future::Future<Output = ()>>(
    path: &Path,
    wait: Duration,
    mut sleep: impl FnMut(Duration) -> F,
    mut on_wait: impl FnMut(Option<u32>),
) -> Result<(LoginLock, bool), Error> {
    let started = Instant::now();
    let mut waited = false;
    loop {
        if let Some(lock) = try_lock(path)? {
            return Ok((lock, waited));
        }
        if !waited {
            on_wait(holder(path));
            waited = true;
        }
        if started.elapsed() >= wait {
            return Err(Error::TimedOut {
                waiting_for: Waiting::SessionLock,
                after: wait,
            });
        }
        sleep(Duration::from_millis(100).min(wait)).await;
    }
}

/// Opens (creating) the lock file: owner-only, never through a link.
fn open(path: &Path) -> io::Result<File> {
    let mut options = OpenOptions::new();
    options.read(true).write(true).create(true).truncate(false);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        // The flag's bits fit an i32 (`custom_flags` takes the C `int`).
        let no_follow = rustix::fs::OFlags::NOFOLLOW.bits() as i32;
        options.mode(0o600).custom_flags(no_follow);
    }
    options.open(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_holder_is_refused_until_the_first_drops() {
        let dir = std::env::temp_dir().join(format!("lock-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = lock_path(&dir.join("s.json"));
        assert!(path.ends_with("s.json.lock"));
        let first = try_lock(&path).unwrap().expect("free");
        assert!(try_lock(&path).unwrap().is_none());
        assert_eq!(holder(&path), Some(std::process::id()));
        drop(first);
        assert!(try_lock(&path).unwrap().is_some());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
