//! `loopback::open_in_browser`: the URL reaches the desktop's opener as one
//! argument, `&`s and all (no shell splits it), and false when there is no
//! opener, so the caller prints the URL instead. Its own test binary: it
//! sets `PATH` for the whole process.

#![cfg(target_os = "linux")]

use std::os::unix::fs::PermissionsExt;
use std::time::{Duration, Instant};

use upstox_login_sdk::loopback::open_in_browser;

#[test]
fn the_url_is_one_argument_of_xdg_open_and_no_opener_is_false() {
    let dir = std::env::temp_dir().join(format!("open-browser-{}", std::process::id()));
    let bin = dir.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let seen = dir.join("seen");
    let opener = bin.join("xdg-open");
    std::fs::write(
        &opener,
        format!(
            "#!/bin/sh\nprintf '%s\\n' \"$#\" \"$1\" > {}.tmp && /bin/mv {0}.tmp {0}\n",
            seen.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&opener, std::fs::Permissions::from_mode(0o755)).unwrap();
    let url = "https://api.upstox.com/v2/login/authorization/dialog?response_type=code&client_id=a b&state=x;y";

    std::env::set_var("PATH", &bin);
    assert!(open_in_browser(url));
    let deadline = Instant::now() + Duration::from_secs(10);
    while !seen.exists() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    let written = std::fs::read_to_string(&seen).expect("xdg-open ran");
    assert_eq!(written, format!("1\n{url}\n"));

    std::env::set_var("PATH", dir.join("empty"));
    assert!(!open_in_browser(url));
    let _ = std::fs::remove_dir_all(dir);
}
