//! The session store against another user on the same machine: the
//! attacker's part runs as `nobody` (through `setpriv`), the victim is the
//! test (root in CI). Without root the attacker cannot be made, and these
//! tests say so and pass.
#![cfg(target_os = "linux")]

use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use httpmock::prelude::*;
use serde_json::json;
use upstox_login_sdk::store::{SessionFile, StoreErrorKind, MAX_FILE_BYTES};
use upstox_login_sdk::{AuthorizationCode, Session};
use upstox_login_tests::*;

/// Whether the test runs as root, which can drop to `nobody`.
fn root() -> bool {
    let uid = Command::new("id").arg("-u").output().expect("id runs");
    let root = String::from_utf8_lossy(&uid.stdout).trim() == "0";
    if !root {
        eprintln!("note: not root; the attacker (another user) cannot be made here");
    }
    root
}

/// Runs `script` as `nobody` in `dir`, and expects it to succeed.
fn as_nobody(dir: &Path, script: &str) {
    let status = Command::new("setpriv")
        .args(["--reuid=nobody", "--regid=nogroup", "--clear-groups"])
        .args(["sh", "-ec", script])
        .current_dir(dir)
        .status()
        .expect("setpriv runs");
    assert!(status.success(), "as nobody: {script}");
}

/// A fresh folder of this test's own (0755, so `nobody` can reach into
/// it) holding `shared`: a sticky folder everyone may write to, as `/tmp`.
fn place(name: &str) -> (PathBuf, PathBuf) {
    let base = std::env::temp_dir().join(format!("upstox-attack-{}-{name}", std::process::id()));
    let _ = fs::remove_dir_all(&base);
    fs::create_dir_all(&base).expect("a folder");
    fs::set_permissions(&base, fs::Permissions::from_mode(0o755)).expect("chmod");
    let shared = base.join("shared");
    fs::create_dir(&shared).expect("shared");
    fs::set_permissions(&shared, fs::Permissions::from_mode(0o1777)).expect("chmod");
    (base, shared)
}

/// A folder of the victim's own, mode 0700.
fn own(dir: &Path) -> PathBuf {
    fs::create_dir_all(dir).expect("a folder");
    fs::set_permissions(dir, fs::Permissions::from_mode(0o700)).expect("chmod");
    dir.to_owned()
}

fn millis(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH).expect("now").as_millis() as u64
}

/// A session received now, as the store keeps it, with `changes` applied.
fn session_with(changes: serde_json::Value) -> Session {
    let now = millis(SystemTime::now());
    let mut json = json!({
        "access_token": ACCESS_TOKEN, "user_id": "AB1234",
        "issued_at": now, "expires_at": now,
    });
    for (k, v) in changes.as_object().expect("an object") {
        json[k] = v.clone();
    }
    serde_json::from_value(json).expect("a session")
}

fn session() -> Session {
    session_with(json!({}))
}

fn kind_of<T: std::fmt::Debug>(
    result: Result<T, upstox_login_sdk::store::StoreError>,
) -> StoreErrorKind {
    result.expect_err("refused").kind().clone()
}

fn names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .expect("list")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

fn nobody_uid() -> u32 {
    let out = Command::new("id")
        .args(["-u", "nobody"])
        .output()
        .expect("id");
    String::from_utf8_lossy(&out.stdout)
        .trim()
        .parse()
        .expect("a uid")
}

/// Another user plants `shared/app` as a link: to the victim's own folder
/// (to overwrite its session) and to a folder of the attacker's (to read
/// and swap the session). Neither link is followed.
#[test]
fn a_parent_link_planted_in_a_sticky_folder_by_another_user_is_refused() {
    if !root() {
        return;
    }
    let (base, shared) = place("parent-link");
    let victim = own(&base.join("victim"));
    let kept = victim.join("session.json");
    SessionFile::new(&kept).save(&session()).expect("saved");
    let before = fs::read(&kept).expect("victim's file");
    as_nobody(
        &shared,
        "mkdir evil; chmod 777 evil; ln -s ../victim app; ln -s evil drop",
    );
    let nobody = nobody_uid();
    for (link, dir) in [("app", "victim"), ("drop", "shared/evil")] {
        let file = SessionFile::new(shared.join(link).join("session.json"));
        let expected = StoreErrorKind::ForeignOwner {
            path: shared.join(link),
            owner: nobody,
        };
        assert_eq!(kind_of(file.check()), expected);
        assert_eq!(
            kind_of(file.save(&session_with(json!({"user_id": "X"})))),
            expected
        );
        assert_eq!(kind_of(file.load()), expected);
        let err = file.load().expect_err("refused").to_string();
        assert!(
            err.contains(&format!("{}", shared.join(link).display())),
            "{err}"
        );
        if dir == "victim" {
            assert_eq!(fs::read(&kept).expect("victim's file"), before);
        } else {
            assert!(names(&base.join(dir)).is_empty(), "written into {dir}");
        }
    }
    // The victim's own link in its own folder is followed.
    std::os::unix::fs::symlink(&victim, base.join("mine")).expect("own link");
    let own_link = SessionFile::new(base.join("mine/session.json"));
    let loaded = own_link
        .load()
        .expect("loads")
        .expect("the victim's session");
    assert_eq!(loaded.user_id(), Some("AB1234"));
}

/// A folder on the path that others may write to, not being sticky, is
/// refused with the command that fixes it; so is one that is not the
/// user's or root's.
#[test]
fn a_folder_others_can_write_or_own_is_refused_naming_the_fix() {
    if !root() {
        return;
    }
    let (base, shared) = place("open-folder");
    let open = base.join("open");
    fs::create_dir(&open).expect("open");
    fs::set_permissions(&open, fs::Permissions::from_mode(0o777)).expect("chmod");
    let file = SessionFile::new(open.join("inner/session.json"));
    fs::create_dir(open.join("inner")).expect("inner");
    let err = file.check().expect_err("refused");
    assert_eq!(
        err.kind(),
        &StoreErrorKind::UnsafePermissions {
            path: open.clone(),
            fix: format!("chmod go-w {}", open.display()),
        }
    );
    assert!(
        err.to_string()
            .contains(&format!("chmod go-w {}", open.display())),
        "{err}"
    );
    assert!(matches!(
        kind_of(file.save(&session())),
        StoreErrorKind::UnsafePermissions { .. }
    ));
    assert!(names(&open.join("inner")).is_empty());

    // A folder of another user's, in the sticky folder, even mode 0755.
    as_nobody(&shared, "mkdir theirs; chmod 755 theirs");
    let theirs = SessionFile::new(shared.join("theirs/session.json"));
    assert!(matches!(
        kind_of(theirs.check()),
        StoreErrorKind::ForeignOwner { .. }
    ));
    // The victim's own folder in the sticky folder is fine.
    let mine = own(&shared.join("mine"));
    SessionFile::new(mine.join("session.json"))
        .save(&session())
        .expect("saved in the user's own folder under a sticky one");
}

/// The attacker swaps a folder on the path for a link to its own folder
/// between `check` and `save`: `save` checks again and refuses.
#[test]
fn a_folder_swapped_between_check_and_save_is_not_followed() {
    if !root() {
        return;
    }
    let (base, _) = place("swap-between");
    let p = base.join("p");
    fs::create_dir(&p).expect("p");
    let d = own(&p.join("d"));
    let file = SessionFile::new(d.join("session.json"));
    file.check().expect("a good place");
    // The attacker gains a way in, and swaps.
    fs::set_permissions(&p, fs::Permissions::from_mode(0o777)).expect("chmod");
    as_nobody(&p, "mv d d.away; mkdir evil; chmod 777 evil; ln -s evil d");
    assert!(matches!(
        kind_of(file.save(&session())),
        StoreErrorKind::UnsafePermissions { .. }
    ));
    assert!(names(&p.join("evil")).is_empty(), "written into evil");
}

/// While saves run, the folder on the path is swapped again and again for
/// a link to a folder of another user's. A save walks the path once and
/// writes through the folder it opened: nothing ever lands in the other
/// folder, whatever the timing.
#[test]
fn a_folder_swapped_during_saves_never_receives_the_session() {
    if !root() {
        return;
    }
    let (base, _) = place("swap-during");
    let p = base.join("p");
    fs::create_dir(&p).expect("p");
    fs::set_permissions(&p, fs::Permissions::from_mode(0o777)).expect("chmod");
    as_nobody(&p, "mkdir evil; chmod 777 evil");
    fs::set_permissions(&p, fs::Permissions::from_mode(0o755)).expect("chmod");
    let d = own(&p.join("d"));
    let away = p.join("d.away");
    let stop = Arc::new(AtomicBool::new(false));
    let swapper = {
        let (d, away, stop) = (d.clone(), away.clone(), stop.clone());
        std::thread::spawn(move || {
            let mut swaps = 0u32;
            while !stop.load(Ordering::Relaxed) {
                // The real folder for a while, then, by renames as an
                // attacker with a way in would, a link for a moment.
                std::thread::sleep(Duration::from_micros(300));
                let _ = fs::rename(&d, &away);
                let _ = std::os::unix::fs::symlink("evil", &d);
                std::thread::sleep(Duration::from_micros(50));
                let _ = fs::remove_file(&d);
                let _ = fs::rename(&away, &d);
                swaps += 1;
            }
            swaps
        })
    };
    let file = SessionFile::new(d.join("session.json"));
    let (mut saved, mut refused) = (0, 0);
    let session = session();
    for _ in 0..2000 {
        match file.save(&session) {
            Ok(()) => saved += 1,
            Err(_) => refused += 1,
        }
    }
    stop.store(true, Ordering::Relaxed);
    let swaps = swapper.join().expect("swapper");
    eprintln!("{saved} saved, {refused} refused, {swaps} swaps");
    assert!(saved > 0, "no save went through at all");
    assert!(names(&p.join("evil")).is_empty(), "written into evil");
}

/// A session file another user planted (in a sticky folder, or handed
/// over) is refused, and so is one of the user's own that others may read.
#[test]
fn a_file_of_another_user_or_readable_by_others_is_refused_by_load() {
    if !root() {
        return;
    }
    let (base, shared) = place("foreign-file");
    let mine = own(&base.join("mine"));
    let good = mine.join("session.json");
    SessionFile::new(&good).save(&session()).expect("saved");
    let text = fs::read_to_string(&good).expect("text");
    // "Valid until the year 5138", planted by nobody.
    let mut forged: serde_json::Value = serde_json::from_str(&text).expect("JSON");
    forged["session"]["expires_at"] = json!(99_999_999_999_999u64);
    let forged = forged.to_string();
    fs::write(base.join("forged.json"), &forged).expect("write");
    fs::set_permissions(base.join("forged.json"), fs::Permissions::from_mode(0o644))
        .expect("chmod");
    as_nobody(&shared, "umask 077; cat ../forged.json > session.json");
    let planted = SessionFile::new(shared.join("session.json"));
    let err = planted.load().expect_err("refused");
    assert_eq!(
        err.kind(),
        &StoreErrorKind::ForeignOwner {
            path: shared.join("session.json"),
            owner: nobody_uid(),
        }
    );
    assert!(!err.to_string().contains("5138"), "{err}");
    assert!(err.to_string().contains("remove it"), "{err}");

    // The same claim in a file of the user's own: refused for what it says.
    let own_forged = mine.join("forged.json");
    fs::write(&own_forged, &forged).expect("write");
    fs::set_permissions(&own_forged, fs::Permissions::from_mode(0o600)).expect("chmod");
    assert!(matches!(
        kind_of(SessionFile::new(&own_forged).load()),
        StoreErrorKind::Implausible(_)
    ));

    // A good session, but readable by everyone: refused, naming the fix.
    fs::set_permissions(&good, fs::Permissions::from_mode(0o644)).expect("chmod");
    let err = SessionFile::new(&good).load().expect_err("refused");
    let fix = format!("chmod 600 {}", good.display());
    assert_eq!(
        err.kind(),
        &StoreErrorKind::UnsafePermissions {
            path: good.clone(),
            fix: fix.clone()
        }
    );
    assert!(err.to_string().contains(&fix), "{err}");
    fs::set_permissions(&good, fs::Permissions::from_mode(0o600)).expect("chmod");
    assert!(SessionFile::new(&good).load().expect("loads").is_some());
}

/// What the file says is checked before it is believed, and `save` keeps
/// nothing `load` would refuse.
#[test]
fn an_empty_token_or_a_far_expiry_is_refused_by_save_and_load() {
    let dir = own(
        &std::env::temp_dir().join(format!("upstox-attack-{}-implausible", std::process::id()))
    );
    let path = dir.join("session.json");
    let file = SessionFile::new(&path);
    file.save(&session()).expect("saved");
    let good = fs::read(&path).expect("bytes");
    let year_3_million = 94_670_000_000_000_000u64;
    let now = millis(SystemTime::now());
    for change in [
        json!({"access_token": ""}),
        json!({"access_token": "abc\u{1b}[31m"}),
        json!({"expires_at": year_3_million}),
        json!({"issued_at": now + 3_600_000, "expires_at": now + 3_600_000}),
    ] {
        let bad = session_with(change.clone());
        assert!(
            matches!(kind_of(file.save(&bad)), StoreErrorKind::Implausible(_)),
            "{change}"
        );
        assert_eq!(fs::read(&path).expect("bytes"), good, "{change}");
        let mut stored: serde_json::Value = serde_json::from_slice(&good).expect("JSON");
        for (k, v) in change.as_object().expect("an object") {
            stored["session"][k] = v.clone();
        }
        fs::write(&path, stored.to_string()).expect("write");
        let err = file.load().expect_err("refused");
        assert!(
            matches!(err.kind(), StoreErrorKind::Implausible(_)),
            "{change}: {err}"
        );
        fs::write(&path, &good).expect("restore");
    }
}

/// The store's own temporary files left by a crashed save are removed by
/// the next save; anything else (another name, another user's file) stays.
#[test]
fn leftovers_of_a_crashed_save_are_removed_by_the_next_save() {
    let dir =
        own(&std::env::temp_dir().join(format!("upstox-attack-{}-leftovers", std::process::id())));
    let path = dir.join("session.json");
    let leftover = dir.join(".session.json.0123456789abcdef.tmp");
    fs::write(&leftover, ACCESS_TOKEN).expect("plant");
    for other in [
        ".session.json.notours.tmp",
        "notes.tmp",
        ".other.json.0123456789abcdef.tmp",
    ] {
        fs::write(dir.join(other), "x").expect("plant");
    }
    SessionFile::new(&path).save(&session()).expect("saved");
    assert_eq!(
        names(&dir),
        [
            ".other.json.0123456789abcdef.tmp",
            ".session.json.notours.tmp",
            "notes.tmp",
            "session.json"
        ]
    );
    if !root() {
        return;
    }
    // Another user's file of the same pattern in a sticky folder is not ours.
    let (_, shared) = place("leftovers-foreign");
    as_nobody(&shared, "echo x > .session.json.fedcba9876543210.tmp");
    let mine = SessionFile::new(shared.join("session.json"));
    mine.save(&session()).expect("saved");
    assert_eq!(
        names(&shared),
        [".session.json.fedcba9876543210.tmp", "session.json"]
    );
}

/// The environment variable that turns the helper test below into a saver
/// that runs until killed.
const SAVER_PATH: &str = "UPSTOX_TEST_SAVER_PATH";

/// Not a test of its own: with `UPSTOX_TEST_SAVER_PATH` set, saves a large
/// session there over and over until killed (the crashing program of the
/// test below).
#[test]
#[ignore = "a helper process for the kill -9 test"]
fn saver_until_killed() {
    let Some(path) = std::env::var_os(SAVER_PATH) else {
        return;
    };
    let big: Vec<u32> = (0..200_000).collect();
    let session = session_with(json!({"extra": {"padding": big}}));
    let file = SessionFile::new(path);
    loop {
        let _ = file.save(&session);
    }
}

fn temps(dir: &Path) -> Vec<String> {
    names(dir)
        .into_iter()
        .filter(|n| n.ends_with(".tmp"))
        .collect()
}

/// A real program saving in a loop is killed with SIGKILL, again and again;
/// whatever temporary files it left are gone after the next save.
#[test]
fn a_save_killed_with_sigkill_leaves_nothing_after_the_next_save() {
    let dir =
        own(&std::env::temp_dir().join(format!("upstox-attack-{}-sigkill", std::process::id())));
    let path = dir.join("session.json");
    let mut left = 0;
    for attempt in 0..30 {
        let mut saver = Command::new(std::env::current_exe().expect("this test binary"))
            .args(["--exact", "saver_until_killed", "--ignored", "--nocapture"])
            .env(SAVER_PATH, &path)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("the saver starts");
        std::thread::sleep(Duration::from_millis(150 + 17 * attempt));
        saver.kill().expect("SIGKILL");
        saver.wait().expect("reaped");
        left = temps(&dir).len();
        if left > 0 {
            break;
        }
    }
    eprintln!("temporary files left by the killed saver: {left}");
    SessionFile::new(&path).save(&session()).expect("saved");
    assert_eq!(temps(&dir), Vec::<String>::new());
    assert!(fs::metadata(&path).expect("file").mode() & 0o777 == 0o600);
}

/// A real token answer of 300 KB (a long list in a field the SDK does not
/// name) is saved at about its size and loads back equal: it was saved
/// indented, at 5 times its size, over the limit `load` reads.
#[tokio::test]
async fn a_300_kb_token_answer_round_trips() {
    let server = MockServer::start_async().await;
    let mut body = token_response();
    body["segments"] = json!((0..100_000).map(|i| i % 10).collect::<Vec<u32>>());
    body["note"] = json!("n".repeat(100_000));
    let sent = body.to_string().len();
    assert!(sent > 300_000, "{sent}");
    server
        .mock_async(|when, then| {
            when.method(POST).path("/v2/login/authorization/token");
            then.status(200)
                .header("content-type", "application/json")
                .json_body(body);
        })
        .await;
    let session = client(&server.base_url())
        .exchange_code(&app(), AuthorizationCode::new(CODE))
        .await
        .expect("a session");
    let dir =
        own(&std::env::temp_dir().join(format!("upstox-attack-{}-large", std::process::id())));
    let file = SessionFile::new(dir.join("session.json"));
    file.save(&session).expect("saved");
    let size = fs::metadata(file.path()).expect("file").len() as usize;
    assert!(size < sent + 4096, "{size} bytes for a {sent}-byte answer");
    assert_eq!(file.load().expect("loads"), Some(session));

    // What would not fit the limit `load` reads is refused by `save`, and
    // the saved file is left as it was.
    let before = fs::read(file.path()).expect("bytes");
    let huge = session_with(json!({"extra": {"padding": "p".repeat(MAX_FILE_BYTES as usize)}}));
    assert!(matches!(
        kind_of(file.save(&huge)),
        StoreErrorKind::TooLarge {
            limit: MAX_FILE_BYTES,
            ..
        }
    ));
    assert_eq!(fs::read(file.path()).expect("bytes"), before);
}
