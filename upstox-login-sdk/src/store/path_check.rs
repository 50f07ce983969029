//! The walk from `/` to the session file's folder, one opened directory at a
//! time, refusing what another user could change (as OpenSSH checks a key's
//! folders). It ends with the folder opened: what is written later goes into
//! the folder that was checked, whatever is renamed on the path meanwhile.

use std::ffi::{OsStr, OsString};
use std::io;
use std::os::fd::OwnedFd;
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::{Component, Path, PathBuf};

use rustix::fs::{fstat, openat, readlinkat, statat, AtFlags, FileType, Mode, OFlags, Stat, CWD};

use super::StoreErrorKind;

/// Links followed in one walk before it is taken for a loop (Linux's limit).
const MAX_LINKS: usize = 40;

/// Why the walk stopped.
pub(super) enum Refusal {
    /// A refusal of the store's own (a kind without an I/O cause).
    Kind(StoreErrorKind),
    /// The file system's answer, at a place on the path.
    Io(io::Error),
}

impl From<rustix::io::Errno> for Refusal {
    fn from(e: rustix::io::Errno) -> Self {
        Refusal::Io(e.into())
    }
}

/// Whom the store trusts: the effective user and root.
pub(super) fn user() -> u32 {
    rustix::process::geteuid().as_raw()
}

fn is_trusted(owner: u32) -> bool {
    owner == user() || owner == 0
}

/// Whether group or others may write: such a folder is refused unless sticky.
fn writable_by_others(st: &Stat) -> bool {
    Mode::from_raw_mode(st.st_mode).intersects(Mode::WGRP | Mode::WOTH)
}

/// A folder on the walk: opened, its status, and the path it was reached by.
struct Step {
    fd: OwnedFd,
    stat: Stat,
    path: PathBuf,
}

/// Opens the folder that `folder` names, for reading, after checking every
/// folder and link from `/` down to it: each belongs to the user or root;
/// none is writable by group or others unless sticky, and in a sticky
/// folder the entry on the path is the user's own (or the folder owner's).
/// A relative `folder` starts at the current directory's absolute path, so
/// the folders above it are checked too.
pub(super) fn open_folder(folder: &Path) -> Result<OwnedFd, Refusal> {
    let folder = if folder.is_absolute() {
        folder.to_owned()
    } else {
        std::env::current_dir().map_err(Refusal::Io)?.join(folder)
    };
    let root = openat(CWD, "/", dir_flags(), Mode::empty())?;
    let stat = fstat(&root)?;
    let root = Step {
        fd: root,
        stat,
        path: PathBuf::from("/"),
    };
    check_folder(&root)?;
    let mut walk = vec![root];
    // Components still to walk, the next one last.
    let mut pending: Vec<OsString> = names(&folder);
    let mut links = 0;
    while let Some(name) = pending.pop() {
        if name == ".." {
            if walk.len() > 1 {
                walk.pop();
            }
            continue;
        }
        let Some(parent) = walk.last() else {
            break;
        };
        let here = parent.path.join(&name);
        let entry = statat(&parent.fd, name.as_os_str(), AtFlags::SYMLINK_NOFOLLOW)
            .map_err(|e| missing_or(e.into()))?;
        check_entry(parent, &entry, &here)?;
        match FileType::from_raw_mode(entry.st_mode) {
            FileType::Symlink => {
                links += 1;
                if links > MAX_LINKS {
                    return Err(Refusal::Io(rustix::io::Errno::LOOP.into()));
                }
                let target = readlinkat(&parent.fd, name.as_os_str(), Vec::new())?;
                let target = PathBuf::from(OsString::from_vec(target.into_bytes()));
                if target.is_absolute() {
                    walk.truncate(1);
                }
                pending.extend(names(&target));
            }
            FileType::Directory => {
                let fd = openat(
                    &parent.fd,
                    name.as_os_str(),
                    dir_flags() | OFlags::NOFOLLOW,
                    Mode::empty(),
                )
                .map_err(|e| missing_or(e.into()))?;
                let stat = fstat(&fd)?;
                // What was opened is what was checked, even if the entry was
                // swapped between the two calls.
                if (stat.st_dev, stat.st_ino) != (entry.st_dev, entry.st_ino) {
                    return Err(Refusal::Io(io::Error::other(
                        "a folder on the path changed while it was checked",
                    )));
                }
                let step = Step {
                    fd,
                    stat,
                    path: here,
                };
                check_folder(&step)?;
                walk.push(step);
            }
            _ => return Err(Refusal::Kind(StoreErrorKind::FolderMissing)),
        }
    }
    let last = walk
        .last()
        .ok_or(Refusal::Kind(StoreErrorKind::FolderMissing))?;
    // The same folder, opened for reading (listing, `fsync`).
    let folder = openat(
        &last.fd,
        ".",
        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
        Mode::empty(),
    )?;
    Ok(folder)
}

/// The path's names in reverse order (the first one last), without `.`.
fn names(path: &Path) -> Vec<OsString> {
    let mut names: Vec<OsString> = path
        .components()
        .filter_map(|c| match c {
            Component::Normal(n) => Some(n.to_owned()),
            Component::ParentDir => Some(OsString::from("..")),
            Component::RootDir | Component::CurDir | Component::Prefix(_) => None,
        })
        .collect();
    names.reverse();
    names
}

/// Opening a folder on the walk: by handle only (`O_PATH` where there is
/// one, so a folder the user may search but not list still works).
fn dir_flags() -> OFlags {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    let how = OFlags::PATH;
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    let how = OFlags::RDONLY;
    how | OFlags::DIRECTORY | OFlags::CLOEXEC
}

fn missing_or(e: io::Error) -> Refusal {
    if e.kind() == io::ErrorKind::NotFound {
        Refusal::Kind(StoreErrorKind::FolderMissing)
    } else {
        Refusal::Io(e)
    }
}

/// A folder on the path: trusted owner, and not writable by others unless
/// sticky.
fn check_folder(step: &Step) -> Result<(), Refusal> {
    if !is_trusted(step.stat.st_uid) {
        return Err(foreign(&step.path, step.stat.st_uid));
    }
    let sticky = Mode::from_raw_mode(step.stat.st_mode).contains(Mode::SVTX);
    if writable_by_others(&step.stat) && !sticky {
        return Err(Refusal::Kind(StoreErrorKind::UnsafePermissions {
            fix: format!("chmod go-w {}", quote(&step.path)),
            path: step.path.clone(),
        }));
    }
    Ok(())
}

/// An entry (folder or link) on the path: trusted owner, and in a folder
/// others may write to (a sticky one, as others are refused), the user's
/// own or the folder owner's.
fn check_entry(parent: &Step, entry: &Stat, here: &Path) -> Result<(), Refusal> {
    let owner = entry.st_uid;
    if !is_trusted(owner) {
        return Err(foreign(here, owner));
    }
    if writable_by_others(&parent.stat) && owner != user() && owner != parent.stat.st_uid {
        return Err(foreign(here, owner));
    }
    Ok(())
}

fn foreign(path: &Path, owner: u32) -> Refusal {
    Refusal::Kind(StoreErrorKind::ForeignOwner {
        path: path.to_owned(),
        owner,
    })
}

/// A path as a shell word, for the fix to be pasted as is.
pub(super) fn quote(path: &Path) -> String {
    let text = path.as_os_str().as_bytes();
    let plain = |b: &u8| b.is_ascii_alphanumeric() || b"/._-+,:@%".contains(b);
    if !text.is_empty() && text.iter().all(plain) {
        return path.display().to_string();
    }
    format!("'{}'", path.display().to_string().replace('\'', r"'\''"))
}

/// Whether `name` is a name the store's own temporary files take beside a
/// file called `file_name`: `.{file_name}.{16 hex}.tmp`.
pub(super) fn is_temp_name(name: &[u8], file_name: &OsStr) -> bool {
    let Some(rest) = name.strip_prefix(b".") else {
        return false;
    };
    let Some(rest) = rest.strip_prefix(file_name.as_bytes()) else {
        return false;
    };
    let Some(rest) = rest.strip_prefix(b".") else {
        return false;
    };
    let Some(hex) = rest.strip_suffix(b".tmp") else {
        return false;
    };
    hex.len() == 16 && hex.iter().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}
