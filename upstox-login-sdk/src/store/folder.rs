//! The checked folder, by its opened handle: every file operation of the
//! store is relative to it (`openat`, `renameat`, `unlinkat`), so a folder
//! renamed or replaced on the path after the check does not redirect it.

use std::ffi::{OsStr, OsString};
use std::fs::File;
use std::io;
use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::Path;

use rustix::fs::{
    flock, fstat, fsync, openat, renameat, statat, unlinkat, AtFlags, Dir, FileType,
    FlockOperation, Mode, OFlags, Stat,
};

use super::path_check::{is_temp_name, open_folder, user, Refusal};

/// Attempts at a temporary file when a cleaner removed the one just made.
const TEMP_ATTEMPTS: usize = 3;

/// The session file's folder, checked and opened.
pub(super) struct Folder {
    fd: OwnedFd,
}

/// What is at the file's name in the folder.
pub(super) enum Entry {
    Missing,
    File,
    Symlink,
    Other,
}

/// A temporary file being written: locked (`flock`) until renamed or
/// dropped, which tells a cleaner it is not a crashed save's leftover.
pub(super) struct Temp {
    pub(super) file: File,
    pub(super) name: OsString,
}

impl Folder {
    /// Walks to `path` checking every folder on the way, and opens it.
    pub(super) fn open(path: &Path) -> Result<Folder, Refusal> {
        Ok(Folder {
            fd: open_folder(path)?,
        })
    }

    /// What is at `name`, without following a link.
    pub(super) fn entry(&self, name: &OsStr) -> io::Result<Entry> {
        match statat(&self.fd, name, AtFlags::SYMLINK_NOFOLLOW) {
            Ok(st) => Ok(match FileType::from_raw_mode(st.st_mode) {
                FileType::RegularFile => Entry::File,
                FileType::Symlink => Entry::Symlink,
                _ => Entry::Other,
            }),
            Err(rustix::io::Errno::NOENT) => Ok(Entry::Missing),
            Err(e) => Err(e.into()),
        }
    }

    /// Opens `name` for reading, never through a link and never waiting on
    /// a FIFO, with its status.
    pub(super) fn open_read(&self, name: &OsStr) -> io::Result<(File, Stat)> {
        let fd = openat(
            &self.fd,
            name,
            OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::CLOEXEC,
            Mode::empty(),
        )?;
        let st = fstat(&fd)?;
        Ok((File::from(fd), st))
    }

    /// A new temporary file beside `file_name`, created exclusively with
    /// mode `0600` and locked.
    pub(super) fn create_temp(&self, file_name: &OsStr) -> io::Result<Temp> {
        let mut last = io::Error::other("no temporary file could be made");
        for _ in 0..TEMP_ATTEMPTS {
            let name = temp_name(file_name)?;
            let fd = openat(
                &self.fd,
                name.as_os_str(),
                OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW | OFlags::CLOEXEC,
                Mode::RUSR | Mode::WUSR,
            )?;
            flock(&fd, FlockOperation::LockExclusive)?;
            // A cleaner may have taken it for a leftover between the create
            // and the lock; then it is no longer at its name.
            if self.holds(&name, &fd) {
                return Ok(Temp {
                    file: File::from(fd),
                    name,
                });
            }
            last = io::Error::other("the temporary file was removed while being made");
        }
        Err(last)
    }

    /// Renames `from` over `to`, both in this folder.
    pub(super) fn rename(&self, from: &OsStr, to: &OsStr) -> io::Result<()> {
        Ok(renameat(&self.fd, from, &self.fd, to)?)
    }

    /// Removes `name` (a file) from this folder.
    pub(super) fn remove(&self, name: &OsStr) -> io::Result<()> {
        Ok(unlinkat(&self.fd, name, AtFlags::empty())?)
    }

    /// Makes a rename in the folder survive a crash.
    pub(super) fn sync(&self) -> io::Result<()> {
        Ok(fsync(&self.fd)?)
    }

    /// Removes the temporary files a crashed save left beside `file_name`:
    /// only names of the store's own pattern, only plain files of the
    /// user's, and only those no save holds locked. Best effort: a file
    /// that cannot be examined is left.
    pub(super) fn remove_leftovers(&self, file_name: &OsStr) {
        let Ok(listing) = openat(
            &self.fd,
            ".",
            OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
            Mode::empty(),
        ) else {
            return;
        };
        let Ok(dir) = Dir::new(listing) else {
            return;
        };
        let leftovers: Vec<OsString> = dir
            .flatten()
            .map(|e| e.file_name().to_bytes().to_vec())
            .filter(|n| is_temp_name(n, file_name))
            .map(OsString::from_vec)
            .collect();
        for name in leftovers {
            let _ = self.remove_if_abandoned(&name);
        }
    }

    fn remove_if_abandoned(&self, name: &OsStr) -> io::Result<()> {
        let (file, st) = self.open_read(name)?;
        if FileType::from_raw_mode(st.st_mode) != FileType::RegularFile || st.st_uid != user() {
            return Ok(());
        }
        // Held by a save under way: not a leftover.
        if flock(&file, FlockOperation::NonBlockingLockExclusive).is_err() {
            return Ok(());
        }
        if self.holds(name, &file) {
            self.remove(name)?;
        }
        Ok(())
    }

    /// Whether `name` in this folder is the file `fd` has open.
    fn holds(&self, name: &OsStr, fd: impl AsFd) -> bool {
        match (statat(&self.fd, name, AtFlags::SYMLINK_NOFOLLOW), fstat(fd)) {
            (Ok(a), Ok(b)) => (a.st_dev, a.st_ino) == (b.st_dev, b.st_ino),
            _ => false,
        }
    }
}

/// `.{file_name}.{16 random hex digits}.tmp`.
fn temp_name(file_name: &OsStr) -> io::Result<OsString> {
    let mut random = [0u8; 8];
    getrandom::fill(&mut random).map_err(io::Error::other)?;
    let mut name = b".".to_vec();
    name.extend_from_slice(file_name.as_bytes());
    name.push(b'.');
    for b in random {
        name.extend_from_slice(format!("{b:02x}").as_bytes());
    }
    name.extend_from_slice(b".tmp");
    Ok(OsString::from_vec(name))
}
