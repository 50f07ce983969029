//! A session saved between runs: one file, written atomically, readable by
//! its owner only, in a folder no other user can change, never through a
//! link planted on its path.
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

mod error;
mod folder;
mod path_check;

use std::ffi::OsStr;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use serde::{Deserialize, Serialize};

pub use error::{StoreError, StoreErrorKind};
use folder::{Entry, Folder};
use path_check::{quote, user, Refusal};

use crate::Session;

/// What the file says it is.
const FORMAT: &str = "upstox-login-sdk/session";
/// The version this release writes, and the only one it reads.
pub const FORMAT_VERSION: u64 = 1;
/// The largest session file `save` writes and `load` reads. Saved compact,
/// a token answer under the client's default body cap (1 MiB) takes at
/// most about three times its size (a number such as `9e9` is written
/// `9000000000.0`), so any answer the client accepts by default fits.
pub const MAX_FILE_BYTES: u64 = 4 * 1024 * 1024;

/// Where a [`Session`] is kept between runs (Unix).
///
/// - Every folder from `/` down to the file must belong to the user or
///   root, and must not be writable by group or others unless it is
///   sticky (as `/tmp` is) and the entry on the path inside it is the
///   user's own. A symbolic link on the way is followed only when the user
///   or root owns it. Otherwise [`check`](Self::check), [`save`](Self::save)
///   and [`load`](Self::load) refuse, naming the folder and the fix
///   (`chmod go-w DIR`).
/// - `save` writes a new file in the checked folder's opened handle (mode
///   `0600` from its creation, created exclusively) and renames it over the
///   name there: a folder swapped on the path after the check does not
///   redirect it, a reader sees the old file or the new one, and a file
///   descriptor opened earlier keeps reading the old tokens. Nothing that
///   was at the path has its permissions changed. Temporary files a crashed
///   save left behind (the store's own names, the user's own files) are
///   removed by the next save.
/// - `load` refuses a file that is not the user's own, or that group or
///   others may read or write, as `ssh` refuses an unprotected key, and a
///   session Upstox could not have issued (see [`StoreErrorKind::Implausible`]);
///   `save` refuses such a session too.
/// - A symbolic link, a directory, a FIFO or anything but a plain file at
///   the path is refused, and left as it is.
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

    /// Checks that a session can be saved here: every folder on the way is
    /// safe (see [`SessionFile`]), the folder takes new files, and the path
    /// holds nothing or a plain file. Call it before a login, so that a
    /// place that cannot keep the session fails before the single-use code
    /// is spent. Creates and removes one temporary file in the folder.
    pub fn check(&self) -> Result<(), StoreError> {
        let (folder, name) = self.open_folder()?;
        self.check_entry(&folder, name)?;
        let temp = folder.create_temp(name).map_err(|e| self.io_error(e))?;
        let _ = folder.remove(&temp.name);
        Ok(())
    }

    /// Saves `session`, replacing what the path held. Fails as
    /// [`check`](Self::check) does, refuses a session [`load`](Self::load)
    /// would refuse, or fails with the I/O error that stopped the write;
    /// the path is then left as it was.
    pub fn save(&self, session: &Session) -> Result<(), StoreError> {
        session
            .check_plausible(SystemTime::now())
            .map_err(|why| self.error(StoreErrorKind::Implausible(why.into()), None))?;
        // Compact: indentation would multiply a large answer's size.
        let json = serde_json::to_vec(&Stored {
            format: FORMAT.to_owned(),
            version: FORMAT_VERSION,
            session,
        })
        .map_err(|e| self.error(StoreErrorKind::Io, Some(io::Error::other(e))))?;
        let bytes = json.len() as u64;
        if bytes > MAX_FILE_BYTES {
            return Err(self.error(
                StoreErrorKind::TooLarge {
                    bytes,
                    limit: MAX_FILE_BYTES,
                },
                None,
            ));
        }
        let (folder, name) = self.open_folder()?;
        self.check_entry(&folder, name)?;
        folder.remove_leftovers(name);
        let mut temp = folder.create_temp(name).map_err(|e| self.io_error(e))?;
        let written = temp
            .file
            .write_all(&json)
            .and_then(|()| temp.file.sync_all())
            .and_then(|()| folder.rename(&temp.name, name));
        if let Err(e) = written {
            let _ = folder.remove(&temp.name);
            return Err(self.io_error(e));
        }
        // The rename itself survives a crash once the folder is synced; a
        // folder that cannot be synced is no reason to fail.
        let _ = folder.sync();
        Ok(())
    }

    /// Loads the saved session: `None` when there is no file at the path
    /// (or no folder). A file that is not a session this release can read,
    /// or not kept safely, is an error that says why (never quoting its
    /// contents, which hold tokens).
    pub fn load(&self) -> Result<Option<Session>, StoreError> {
        let Some(session) = self.read()? else {
            return Ok(None);
        };
        session
            .check_plausible(SystemTime::now())
            .map_err(|why| self.error(StoreErrorKind::Implausible(why.into()), None))?;
        Ok(Some(session))
    }

    /// The user id of the saved session, even one that expired or is not
    /// plausible any more: the account a new session is expected to belong
    /// to. `None` without a file, or with a session that names none; a file
    /// not kept safely is an error, as for [`load`](Self::load).
    pub fn load_user_id(&self) -> Result<Option<String>, StoreError> {
        Ok(self.read()?.and_then(|s| s.user_id().map(str::to_owned)))
    }

    /// The saved session, read and parsed, without the plausibility check.
    fn read(&self) -> Result<Option<Session>, StoreError> {
        let (folder, name) = match self.open_folder() {
            Ok(found) => found,
            Err(e) if e.kind == StoreErrorKind::FolderMissing => return Ok(None),
            Err(e) => return Err(e),
        };
        let (mut file, st) = match folder.open_read(name) {
            Ok(found) => found,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(self.io_error(e)),
        };
        if rustix::fs::FileType::from_raw_mode(st.st_mode) != rustix::fs::FileType::RegularFile {
            return Err(self.error(StoreErrorKind::NotAFile, None));
        }
        if st.st_uid != user() {
            let kind = StoreErrorKind::ForeignOwner {
                path: self.path.clone(),
                owner: st.st_uid,
            };
            return Err(self.error(kind, None));
        }
        let shared = rustix::fs::Mode::from_raw_mode(st.st_mode)
            .intersects(rustix::fs::Mode::RWXG | rustix::fs::Mode::RWXO);
        if shared {
            let kind = StoreErrorKind::UnsafePermissions {
                path: self.path.clone(),
                fix: format!("chmod 600 {}", quote(&self.path)),
            };
            return Err(self.error(kind, None));
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
        let session: Session = serde_json::from_value(stored.session)
            .map_err(|e| self.corrupt(format!("the session is {}", describe(&e))))?;
        Ok(Some(session))
    }

    /// The folder, walked and opened, and the file's name in it.
    fn open_folder(&self) -> Result<(Folder, &OsStr), StoreError> {
        let name = self
            .path
            .file_name()
            .ok_or_else(|| self.error(StoreErrorKind::NotAFile, None))?;
        let folder = match self.path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        match Folder::open(folder) {
            Ok(folder) => Ok((folder, name)),
            Err(Refusal::Kind(kind)) => Err(self.error(kind, None)),
            Err(Refusal::Io(e)) => Err(self.io_error(e)),
        }
    }

    /// What is at the file's name: nothing or a plain file.
    fn check_entry(&self, folder: &Folder, name: &OsStr) -> Result<(), StoreError> {
        match folder.entry(name).map_err(|e| self.io_error(e))? {
            Entry::Missing | Entry::File => Ok(()),
            Entry::Symlink => Err(self.error(StoreErrorKind::Symlink, None)),
            Entry::Other => Err(self.error(StoreErrorKind::NotAFile, None)),
        }
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
            _ if e.raw_os_error() == Some(rustix::io::Errno::LOOP.raw_os_error()) => {
                StoreErrorKind::Symlink
            }
            _ => StoreErrorKind::Io,
        };
        self.error(kind, Some(e))
    }

    fn corrupt(&self, why: String) -> StoreError {
        self.error(StoreErrorKind::Corrupt(why), None)
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
