//! Why a session could not be kept or loaded.

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

use super::FORMAT_VERSION;

/// Why a session could not be kept or loaded.
///
/// Its `Display` names the path and, for a refusal, the fix; an I/O
/// failure's own text is not repeated there but returned by `source()`.
#[derive(Debug)]
pub struct StoreError {
    pub(super) kind: StoreErrorKind,
    pub(super) path: PathBuf,
    pub(super) source: Option<io::Error>,
}

/// What kind of problem a [`StoreError`] is.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum StoreErrorKind {
    /// The folder the file goes in does not exist (or is not a folder).
    FolderMissing,
    /// The place does not take new files (permissions, read-only file system).
    ReadOnly,
    /// A symbolic link is at the path; it is left as it is.
    Symlink,
    /// Something other than a plain file (a directory, a FIFO) is at the path.
    NotAFile,
    /// The file is not a session file this release can read.
    Corrupt(String),
    /// The file was written in a format version this release does not know.
    UnknownVersion(u64),
    /// A folder on the way to the file (or the file itself) can be changed
    /// by other users: writable by group or others without being a sticky
    /// folder, or readable by them (the file). Nothing is read or written
    /// until `fix` (a command) is applied.
    UnsafePermissions {
        /// The folder or file at fault.
        path: PathBuf,
        /// The command that makes it safe, such as `chmod go-w /srv/app`.
        fix: String,
    },
    /// A folder, link or file on the way belongs to another user (only the
    /// user's own and root's are trusted), or, in a sticky folder such as
    /// `/tmp`, an entry is not the user's own.
    ForeignOwner {
        /// The folder, link or file at fault.
        path: PathBuf,
        /// Its owner's user id.
        owner: u32,
    },
    /// The session could not have come from Upstox: an empty access token,
    /// one with control characters, issued in the future, or valid past the
    /// 03:30 IST after its issue. Refused by `save` and `load` alike.
    Implausible(String),
    /// The session does not fit the file's size limit (in bytes).
    TooLarge {
        /// The size it would have.
        bytes: u64,
        /// The limit `load` reads up to.
        limit: u64,
    },
    /// Another I/O failure.
    Io,
}

impl StoreError {
    /// What kind of problem it is.
    pub fn kind(&self) -> &StoreErrorKind {
        &self.kind
    }

    /// The session file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let path = self.path.display();
        match &self.kind {
            StoreErrorKind::FolderMissing => write!(f, "{path}: its folder does not exist"),
            StoreErrorKind::ReadOnly => write!(f, "{path}: this place does not take new files"),
            StoreErrorKind::Symlink => write!(
                f,
                "{path} is a symbolic link; refusing to write or read through it"
            ),
            StoreErrorKind::NotAFile => write!(f, "{path} is not a plain file"),
            StoreErrorKind::Corrupt(why) => write!(f, "{path} is not a session file: {why}"),
            StoreErrorKind::UnknownVersion(v) => write!(
                f,
                "{path} was written in session format version {v}; this release reads version {FORMAT_VERSION}"
            ),
            StoreErrorKind::UnsafePermissions { path: at, fix } => write!(
                f,
                "{path}: refusing to use it, as other users can change or read {}; fix: `{fix}`",
                at.display()
            ),
            StoreErrorKind::ForeignOwner { path: at, owner } if *at == self.path => write!(
                f,
                "{path} belongs to another user (uid {owner}); refusing to read it: \
                 remove it and log in again"
            ),
            StoreErrorKind::ForeignOwner { path: at, owner } => write!(
                f,
                "{path}: refusing to use it, as {} belongs to another user (uid {owner}); \
                 keep the session in a folder of your own",
                at.display()
            ),
            StoreErrorKind::Implausible(why) => write!(
                f,
                "{path} holds no session Upstox could have issued ({why}); log in again"
            ),
            StoreErrorKind::TooLarge { bytes, limit } => write!(
                f,
                "{path}: the session takes {bytes} bytes, over the limit of {limit}"
            ),
            StoreErrorKind::Io => write!(f, "{path}: could not be read or written"),
        }
    }
}

impl std::error::Error for StoreError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source.as_ref().map(|e| e as _)
    }
}
