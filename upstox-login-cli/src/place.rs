//! Where an account's session is kept: one file per account in the user's
//! config folder (simulated runs in a folder of their own), or `--session`.

use std::path::{Path, PathBuf};

use upstox_login_sdk::store::SessionFile;

/// `$XDG_CONFIG_HOME/upstox-login` (else `~/.config/upstox-login`; the
/// platform's own elsewhere).
pub fn folder() -> Option<PathBuf> {
    dirs::config_dir().map(|d| d.join("upstox-login"))
}

/// An account name is a file name: letters, digits, `-`, `_`, `.`.
pub fn check_account(name: &str) -> Result<(), String> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && !name.starts_with('.')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if ok {
        Ok(())
    } else {
        Err(format!(
            "{name:?} is not an account name (letters, digits, `-`, `_`, `.`; at most 64)"
        ))
    }
}

/// The session file of `account`.
pub fn session_file(
    account: &str,
    explicit: Option<&Path>,
    simulated: bool,
) -> Result<SessionFile, String> {
    if let Some(path) = explicit {
        return Ok(SessionFile::new(path));
    }
    let mut dir =
        folder().ok_or("no config folder (set XDG_CONFIG_HOME or HOME), or pass --session PATH")?;
    if simulated {
        dir.push("simulated");
    }
    Ok(SessionFile::new(dir.join(format!("{account}.json"))))
}

/// Creates the session file's folder, owner-only, if it is the default one.
pub fn create_folder(file: &SessionFile) -> Result<(), String> {
    let Some(dir) = file.path().parent() else {
        return Ok(());
    };
    if dir.as_os_str().is_empty() || dir.exists() {
        return Ok(());
    }
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder
        .create(dir)
        .map_err(|e| format!("could not create {}: {e}", dir.display()))
}
