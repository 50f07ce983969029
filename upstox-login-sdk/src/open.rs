//! Opening the authorization URL in the desktop's browser.

/// Opens `url` in the desktop's default browser (`xdg-open` on Linux and
/// the BSDs, `open` on macOS, the URL handler on Windows); false when none
/// could be started, so the caller prints the URL instead.
///
/// The URL is one argument of the program, never through a shell. It
/// returns once the opener has started, without waiting for it.
pub fn open_in_browser(url: &str) -> bool {
    let (program, args): (&str, &[&str]) = if cfg!(target_os = "macos") {
        ("open", &[])
    } else if cfg!(windows) {
        // Not `cmd /C start`: cmd would split the URL at every `&`.
        ("rundll32", &["url.dll,FileProtocolHandler"])
    } else {
        ("xdg-open", &[])
    };
    let spawned = std::process::Command::new(program)
        .args(args)
        .arg(url)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn();
    match spawned {
        Ok(mut opener) => {
            // Reaped when it ends, so a long-running program keeps no zombie.
            std::thread::spawn(move || opener.wait());
            true
        }
        Err(_) => false,
    }
}
