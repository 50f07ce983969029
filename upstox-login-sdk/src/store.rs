//! A session saved between runs: one file, written atomically, readable by
//! its owner only, never through a link planted at its path.
//!
//! ```no_run
//! use upstox_login_sdk::store::SessionFile;
//!
//! # fn demo(session: upstox_login_sdk::Session) -> Result<(), upstox_login_sdk::store::StoreError> {
//! let file = SessionFile::new("/home/me/.upstox-session.json");
//! file.check()?; // before the login: the code is spent only if the session can be kept
//! file.save(&session)?;
//! if let Some(saved) = file.load()? {
//!     assert_eq!(saved, session);
//! }
//! # Ok(()) }
//! ```

use std::fmt;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::Session;

/// What the file says it is.
const FORMAT: &str = "upstox-login-sdk/session";
/// The version this release writes, and the only one it reads.
pub const FORMAT_VERSION: u64 = 1;
/// A session file is a few kilobytes; anything much larger is not one.
const MAX_FILE_BYTES: u64 = 1024 * 1024;

/// Where a [`Session`] is kept between runs.
///
/// - [`save`](Self::save) writes a new file next to the path (mode `0600`
///   from its creation on Unix) and renames it over the path: a reader sees
///   the old file or the new one, never half of one, and a file descriptor
///   opened earlier keeps reading the old tokens. Nothing that was at the
///   path has its permissions changed.
/// - A symbolic link, a directory, a FIFO or anything but a plain file at
///   the path is refused, by [`check`](Self::check), `save` and
///   [`load`](Self::load) alike, and left as it is.
/// - The file is JSON with a format name and version, so that a later
///   release can read it; a version it does not know is refused, not
///   guessed at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionFile {
    path: PathBuf,
}

/// The file as written: the session under a format name and version.
#[derive(Serialize, Deserialize)]
struct Stored<S> {
    format: String,
    version: u64,
    session: S,
}

impl SessionFile {
    /// A session file at `path`. Nothing is touched until a call.
    pub fn new(path: impl Into<PathBuf>) -> Self {
        SessionFile { path: path.into() }
    }

    /// The path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Checks that a session can be saved here: the folder exists and
    /// takes new files, and the path holds nothing or a plain file. Call it
    /// before a login, so that a place that cannot keep the session fails
    /// before the single-use code is spent. Creates and removes one
    /// temporary file in the folder.
    pub fn check(&self) -> Result<(), StoreError> {
        self.check_path()?;
        let (file, temp) = self.create_temp()?;
        drop(file);
        let _ = fs::remove_file(&temp);
        Ok(())
    }

    /// Saves `session`, replacing what the path held. Fails as
    /// [`check`](Self::check) does, or with the I/O error that stopped the
    /// write; the path is then left as it was.
    pub fn save(&self, session: &Session) -> Result<(), StoreError> {
        self.check_path()?;
        let json = serde_json::to_vec_pretty(&Stored {
            format: FORMAT.to_owned(),
            version: FORMAT_VERSION,
            session,
        })
        .map_err(|e| self.error(StoreErrorKind::Io, Some(io::Error::other(e))))?;
        let (mut file, temp) = self.create_temp()?;
        let written = file
            .write_all(&json)
            .and_then(|()| file.sync_all())
            .and_then(|()| fs::rename(&temp, &self.path));
        if let Err(e) = written {
            let _ = fs::remove_file(&temp);
            return Err(self.io_error(e));
        }
        // The rename itself survives a crash once the folder is synced; a
        // folder that cannot be opened for that is no reason to fail.
        if let Ok(folder) = File::open(self.folder()) {
            let _ = folder.sync_all();
        }
        Ok(())
    }

    /// Loads the saved session: `None` when there is no file at the path.
    /// A file that is not a session this release can read is an error that
    /// says why (never quoting its contents, which hold tokens).
    pub fn load(&self) -> Result<Option<Session>, StoreError> {
        let mut file = match open_no_follow(&self.path) {
            Ok(file) => file,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(self.io_error(e)),
        };
        let meta = file.metadata().map_err(|e| self.io_error(e))?;
        if !meta.is_file() {
            return Err(self.error(StoreErrorKind::NotAFile, None));
        }
        let mut bytes = Vec::new();
        (&mut file)
            .take(MAX_FILE_BYTES + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| self.io_error(e))?;
        if bytes.len() as u64 > MAX_FILE_BYTES {
            return Err(self.corrupt(format!("larger than {MAX_FILE_BYTES} bytes")));
        }
        let stored: Stored<serde_json::Value> =
            serde_json::from_slice(&bytes).map_err(|e| self.corrupt(describe(&e)))?;
        if stored.format != FORMAT {
            return Err(self.corrupt("not an upstox-login-sdk session file".into()));
        }
        if stored.version != FORMAT_VERSION {
            return Err(self.error(StoreErrorKind::UnknownVersion(stored.version), None));
        }
        serde_json::from_value(stored.session)
            .map(Some)
            .map_err(|e| self.corrupt(format!("the session is {}", describe(&e))))
    }

    fn folder(&self) -> &Path {
        match self.path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        }
    }

    /// What is at the path, and its folder, before anything is written.
    fn check_path(&self) -> Result<(), StoreError> {
        match fs::metadata(self.folder()) {
            Ok(m) if m.is_dir() => {}
            Ok(_) => return Err(self.error(StoreErrorKind::FolderMissing, None)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                return Err(self.error(StoreErrorKind::FolderMissing, Some(e)))
            }
            Err(e) => return Err(self.io_error(e)),
        }
        match fs::symlink_metadata(&self.path) {
            Ok(m) if m.file_type().is_symlink() => Err(self.error(StoreErrorKind::Symlink, None)),
            Ok(m) if !m.is_file() => Err(self.error(StoreErrorKind::NotAFile, None)),
            Ok(_) => Ok(()),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(self.io_error(e)),
        }
    }

    /// A new file beside the path with a random name, created exclusively
    /// (so never through a link) and, on Unix, with mode `0600` from the start.
    fn create_temp(&self) -> Result<(File, PathBuf), StoreError> {
        let name = self
            .path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "session".into());
        let mut random = [0u8; 8];
        getrandom::fill(&mut random)
            .map_err(|e| self.error(StoreErrorKind::Io, Some(io::Error::other(e))))?;
        let suffix: String = random.iter().map(|b| format!("{b:02x}")).collect();
        let temp = self.folder().join(format!(".{name}.{suffix}.tmp"));
        let mut options = OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let file = options.open(&temp).map_err(|e| self.io_error(e))?;
        Ok((file, temp))
    }

    fn error(&self, kind: StoreErrorKind, source: Option<io::Error>) -> StoreError {
        StoreError {
            kind,
            path: self.path.clone(),
            source,
        }
    }

    fn io_error(&self, e: io::Error) -> StoreError {
        let kind = match e.kind() {
            io::ErrorKind::PermissionDenied | io::ErrorKind::ReadOnlyFilesystem => {
                StoreErrorKind::ReadOnly
            }
            io::ErrorKind::NotFound => StoreErrorKind::FolderMissing,
            io::ErrorKind::IsADirectory => StoreErrorKind::NotAFile,
            _ if is_symlink_refusal(&e) => StoreErrorKind::Symlink,
            _ => StoreErrorKind::Io,
        };
        self.error(kind, Some(e))
    }

    fn corrupt(&self, why: String) -> StoreError {
        self.error(StoreErrorKind::Corrupt(why), None)
    }
}

/// Opens for reading without following a link at the last component, and
/// without waiting on a FIFO.
#[cfg(unix)]
fn open_no_follow(path: &Path) -> io::Result<File> {
    use std::os::unix::fs::OpenOptionsExt;
    OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
        .open(path)
}

#[cfg(not(unix))]
fn open_no_follow(path: &Path) -> io::Result<File> {
    if fs::symlink_metadata(path)?.file_type().is_symlink() {
        return Err(io::Error::other("the path is a symbolic link"));
    }
    File::open(path)
}

/// `O_NOFOLLOW` on a link fails with `ELOOP`.
fn is_symlink_refusal(e: &io::Error) -> bool {
    #[cfg(unix)]
    {
        e.raw_os_error() == Some(libc::ELOOP)
    }
    #[cfg(not(unix))]
    {
        let _ = e;
        false
    }
}

/// serde's category and position, without its message (which can quote a
/// value of the file, a token say).
fn describe(e: &serde_json::Error) -> String {
    use serde_json::error::Category;
    let what = match e.classify() {
        Category::Io => "unreadable",
        Category::Syntax => "not JSON",
        Category::Data => "not of the expected shape",
        Category::Eof => "truncated",
    };
    format!("{what} (line {}, column {})", e.line(), e.column())
}

/// Why a session could not be kept or loaded.
#[derive(Debug)]
pub struct StoreError {
    kind: StoreErrorKind,
    path: PathBuf,
    source: Option<io::Error>,
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
            StoreErrorKind::Io => write!(f, "{path}: could not be read or written"),
        }
    }
}

impl std::error::Error for StoreError {
    /// The OS error, where there is one: returned here, not written into
    /// `Display`, so that a chain printer shows it once.
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source.as_ref().map(|e| e as _)
    }
}
