//! The session file: saved and loaded back equal, readable by its owner only,
//! and every hostile thing at its path refused and left as it is.
#![cfg(unix)]

use std::fs;
use std::io::Read;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::Duration;

use httpmock::prelude::*;
use serde_json::json;
use upstox_login_sdk::store::{SessionFile, StoreErrorKind, FORMAT_VERSION};
use upstox_login_sdk::{AuthorizationCode, Session};
use upstox_login_tests::*;

/// A session as a token exchange makes it, with a field the SDK does not name.
async fn session(user: &str) -> Session {
    let server = MockServer::start_async().await;
    let mut body = token_response();
    body["user_id"] = json!(user);
    body["a_field_from_the_future"] = json!({"kept": [1, 2]});
    token_endpoint(&server, 200, body).await;
    client(&server.base_url())
        .exchange_code(&app(), AuthorizationCode::new(CODE))
        .await
        .expect("a session")
}

/// A fresh folder of this test's own.
fn folder(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("upstox-store-{}-{name}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).expect("a folder");
    dir
}

fn mode(path: &Path) -> u32 {
    fs::symlink_metadata(path).expect("metadata").mode() & 0o7777
}

fn kind_of<T: std::fmt::Debug>(
    result: Result<T, upstox_login_sdk::store::StoreError>,
) -> StoreErrorKind {
    result.expect_err("refused").kind().clone()
}

#[tokio::test]
async fn a_saved_session_loads_back_equal_with_its_unknown_fields() {
    let dir = folder("roundtrip");
    let path = dir.join("session.json");
    let file = SessionFile::new(&path);
    assert_eq!(file.load().expect("no file is no error"), None);
    let session = session("AB1234").await;
    file.check().expect("a good place");
    file.save(&session).expect("saved");
    let loaded = file.load().expect("loaded").expect("a session");
    assert_eq!(loaded, session);
    assert_eq!(
        loaded.extra()["a_field_from_the_future"],
        json!({"kept": [1, 2]})
    );
    assert_eq!(mode(&path), 0o600);
    let text = fs::read_to_string(&path).expect("text");
    let stored: serde_json::Value = serde_json::from_str(&text).expect("JSON");
    assert_eq!(stored["format"], "upstox-login-sdk/session");
    assert_eq!(stored["version"], FORMAT_VERSION);
    assert_eq!(stored["session"]["user_id"], "AB1234");
    // Nothing else is left in the folder.
    assert_eq!(fs::read_dir(&dir).expect("list").count(), 1);
}

/// While sessions are saved over and over, a watcher never sees any file in
/// the folder with a mode other than 0600. Under the usual umask (022), a
/// file created without that mode and tightened afterwards would show 0644.
#[tokio::test]
async fn the_file_is_never_readable_by_others_not_even_for_an_instant() {
    let umask = fs::read_to_string("/proc/self/status").ok().and_then(|s| {
        s.lines()
            .find_map(|l| l.strip_prefix("Umask:"))
            .and_then(|m| u32::from_str_radix(m.trim(), 8).ok())
    });
    if umask.is_some_and(|m| m & 0o044 == 0o044) {
        eprintln!("note: umask {umask:?} hides group and other reads; this test proves less");
    }
    let dir = folder("mode");
    let path = dir.join("session.json");
    let session = session("AB1234").await;
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let watcher = {
        let (dir, stop) = (dir.clone(), stop.clone());
        std::thread::spawn(move || {
            let mut seen = Vec::new();
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                for entry in fs::read_dir(&dir).into_iter().flatten().flatten() {
                    if let Ok(m) = entry.metadata() {
                        seen.push(m.mode() & 0o777);
                    }
                }
            }
            seen
        })
    };
    let file = SessionFile::new(&path);
    for _ in 0..300 {
        file.save(&session).expect("saved");
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let mut seen = watcher.join().expect("watcher");
    assert!(!seen.is_empty());
    seen.sort();
    seen.dedup();
    assert_eq!(seen, [0o600]);
}

#[tokio::test]
async fn a_symlink_planted_at_the_path_is_refused_and_its_target_untouched() {
    let dir = folder("symlink");
    let target = dir.join("victim");
    fs::write(&target, "precious").expect("victim");
    fs::set_permissions(&target, fs::Permissions::from_mode(0o644)).expect("chmod");
    let path = dir.join("session.json");
    std::os::unix::fs::symlink(&target, &path).expect("plant the link");
    let file = SessionFile::new(&path);
    let session = session("AB1234").await;
    assert_eq!(kind_of(file.check()), StoreErrorKind::Symlink);
    assert_eq!(kind_of(file.save(&session)), StoreErrorKind::Symlink);
    assert_eq!(kind_of(file.load()), StoreErrorKind::Symlink);
    assert_eq!(fs::read_to_string(&target).expect("victim"), "precious");
    assert_eq!(mode(&target), 0o644);
    assert!(fs::symlink_metadata(&path)
        .expect("link")
        .file_type()
        .is_symlink());
}

#[tokio::test]
async fn a_directory_at_the_path_is_refused_and_left_as_it_is() {
    let dir = folder("directory");
    let path = dir.join("session.json");
    fs::create_dir(&path).expect("a directory");
    fs::set_permissions(&path, fs::Permissions::from_mode(0o755)).expect("chmod");
    let file = SessionFile::new(&path);
    let session = session("AB1234").await;
    assert_eq!(kind_of(file.check()), StoreErrorKind::NotAFile);
    assert_eq!(kind_of(file.save(&session)), StoreErrorKind::NotAFile);
    assert_eq!(kind_of(file.load()), StoreErrorKind::NotAFile);
    assert_eq!(mode(&path), 0o755);
}

#[tokio::test]
async fn a_fifo_at_the_path_is_refused_without_hanging() {
    let dir = folder("fifo");
    let path = dir.join("session.json");
    let made = std::process::Command::new("mkfifo")
        .arg(&path)
        .status()
        .expect("mkfifo runs");
    assert!(made.success());
    let session = session("AB1234").await;
    let (tx, rx) = std::sync::mpsc::channel();
    let probe = path.clone();
    std::thread::spawn(move || {
        let file = SessionFile::new(&probe);
        let kinds = (
            kind_of(file.check()),
            kind_of(file.save(&session)),
            kind_of(file.load()),
        );
        let _ = tx.send(kinds);
    });
    let kinds = rx
        .recv_timeout(Duration::from_secs(10))
        .expect("answered without waiting for a FIFO writer");
    assert_eq!(
        kinds,
        (
            StoreErrorKind::NotAFile,
            StoreErrorKind::NotAFile,
            StoreErrorKind::NotAFile
        )
    );
}

#[tokio::test]
async fn a_missing_folder_is_a_clear_error() {
    let dir = folder("missing");
    let file = SessionFile::new(dir.join("no/such/folder/session.json"));
    assert_eq!(kind_of(file.check()), StoreErrorKind::FolderMissing);
    let err = file.save(&session("AB1234").await).expect_err("refused");
    assert!(err.to_string().contains("folder does not exist"), "{err}");
}

/// `/sys` takes no new files, even from root (CI runs as root, where a
/// folder's mode bits do not stop a write).
#[cfg(target_os = "linux")]
#[tokio::test]
async fn a_read_only_place_is_a_clear_error() {
    let file = SessionFile::new("/sys/upstox-session.json");
    assert_eq!(kind_of(file.check()), StoreErrorKind::ReadOnly);
    assert_eq!(
        kind_of(file.save(&session("AB1234").await)),
        StoreErrorKind::ReadOnly
    );
}

#[tokio::test]
async fn truncated_hostile_or_foreign_files_are_refused_without_quoting_them() {
    let dir = folder("corrupt");
    let path = dir.join("session.json");
    let file = SessionFile::new(&path);
    file.save(&session("AB1234").await).expect("saved");
    let whole = fs::read_to_string(&path).expect("text");

    fs::write(&path, &whole[..whole.len() / 2]).expect("truncate");
    let err = file.load().expect_err("truncated");
    assert!(
        matches!(err.kind(), StoreErrorKind::Corrupt(why) if why.starts_with("truncated")),
        "{err}"
    );
    assert!(!err.to_string().contains(ACCESS_TOKEN), "{err}");

    // A token where a number belongs: serde's own message would quote it.
    let mut hostile: serde_json::Value = serde_json::from_str(&whole).expect("JSON");
    hostile["session"]["issued_at"] = json!(ACCESS_TOKEN);
    fs::write(&path, hostile.to_string()).expect("write");
    let err = file.load().expect_err("wrong shape");
    assert!(matches!(err.kind(), StoreErrorKind::Corrupt(_)), "{err}");
    assert!(!format!("{err} {err:?}").contains(ACCESS_TOKEN), "{err}");

    let mut later: serde_json::Value = serde_json::from_str(&whole).expect("JSON");
    later["version"] = json!(FORMAT_VERSION + 1);
    fs::write(&path, later.to_string()).expect("write");
    assert_eq!(
        kind_of(file.load()),
        StoreErrorKind::UnknownVersion(FORMAT_VERSION + 1)
    );

    fs::write(&path, json!({"access_token": ACCESS_TOKEN}).to_string()).expect("write");
    assert!(matches!(kind_of(file.load()), StoreErrorKind::Corrupt(_)));

    fs::write(&path, vec![b' '; 2 * 1024 * 1024]).expect("write");
    assert!(matches!(kind_of(file.load()), StoreErrorKind::Corrupt(_)));
}

/// The new tokens go to a new file: a reader that opened the old one keeps
/// reading the old one, and the old file's mode is not touched.
#[tokio::test]
async fn a_save_replaces_the_file_instead_of_writing_into_it() {
    let dir = folder("replace");
    let path = dir.join("session.json");
    fs::write(&path, "old contents").expect("old file");
    fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).expect("chmod");
    let mut earlier = fs::File::open(&path).expect("a reader opened earlier");
    SessionFile::new(&path)
        .save(&session("AB1234").await)
        .expect("saved");
    let mut old = String::new();
    earlier.read_to_string(&mut old).expect("read");
    assert_eq!(old, "old contents");
    assert_eq!(earlier.metadata().expect("fstat").mode() & 0o777, 0o644);
    assert_eq!(mode(&path), 0o600);
}

#[tokio::test]
async fn two_programs_saving_at_once_leave_one_whole_session() {
    let dir = folder("concurrent");
    let path = dir.join("session.json");
    let mut sessions = Vec::new();
    for user in ["USER-A", "USER-B", "USER-C", "USER-D"] {
        sessions.push(session(user).await);
    }
    let writers: Vec<_> = sessions
        .iter()
        .cloned()
        .map(|s| {
            let path = path.clone();
            std::thread::spawn(move || {
                let file = SessionFile::new(&path);
                for _ in 0..50 {
                    file.save(&s).expect("saved");
                    // Every load in between sees a whole session.
                    file.load().expect("loads").expect("a session");
                }
            })
        })
        .collect();
    for w in writers {
        w.join().expect("writer");
    }
    let last = SessionFile::new(&path)
        .load()
        .expect("loads")
        .expect("a session");
    assert!(sessions.contains(&last));
    let names: Vec<_> = fs::read_dir(&dir)
        .expect("list")
        .flatten()
        .map(|e| e.file_name())
        .collect();
    assert_eq!(names, ["session.json"], "temporary files left behind");
}
