//! The app's credentials: from the environment, else from the config file
//! (refused when others can read it), else none (the simulator).

use std::path::{Path, PathBuf};

use serde::Deserialize;

/// One account's credentials.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Credentials {
    pub client_id: String,
    pub client_secret: String,
    pub redirect_uri: Option<String>,
    pub base_url: Option<String>,
    /// The Upstox user id this account logs in as: a session of another
    /// user is refused at this account's place.
    pub user_id: Option<String>,
    /// The notifier webhook's path, kept out of the process list.
    pub notifier_path: Option<String>,
}

/// The config file: credentials per account.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfigFile {
    accounts: std::collections::BTreeMap<String, Credentials>,
}

/// `Ok(None)`: no credentials anywhere (run simulated).
pub fn find(account: &str, folder: Option<&Path>) -> Result<Option<Credentials>, String> {
    let env = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    if let Some(client_id) = env("UPSTOX_CLIENT_ID") {
        let client_secret = env("UPSTOX_CLIENT_SECRET")
            .ok_or("UPSTOX_CLIENT_ID is set but UPSTOX_CLIENT_SECRET is not")?;
        return Ok(Some(Credentials {
            client_id,
            client_secret,
            redirect_uri: env("UPSTOX_REDIRECT_URI"),
            base_url: env("UPSTOX_BASE_URL"),
            user_id: env("UPSTOX_USER_ID"),
            notifier_path: env("UPSTOX_NOTIFIER_PATH"),
        }));
    }
    let Some(folder) = folder else {
        return Ok(None);
    };
    let path = folder.join("config.json");
    let Some(mut config) = read_config(&path)? else {
        return Ok(None);
    };
    match config.accounts.remove(account) {
        Some(credentials) => Ok(Some(credentials)),
        None => Err(format!(
            "unknown account {account:?}: {} has {}; nothing was done",
            path.display(),
            if config.accounts.is_empty() {
                "no accounts".to_string()
            } else {
                format!(
                    "only {}",
                    config
                        .accounts
                        .keys()
                        .cloned()
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            }
        )),
    }
}

/// The config file, if there is one; refused when others may read it.
fn read_config(path: &PathBuf) -> Result<Option<ConfigFile>, String> {
    let meta = match std::fs::metadata(path) {
        Ok(meta) => meta,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(format!("{}: {e}", path.display())),
    };
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = meta.permissions().mode();
        if mode & 0o077 != 0 {
            return Err(format!(
                "{} holds the client secret but others can read it (mode {:o}); \
                 run `chmod 600 {}` and rotate the secret if others may have read it",
                path.display(),
                mode & 0o777,
                path.display()
            ));
        }
    }
    let _ = meta;
    let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    // serde's message can quote the file (the secret): only its position.
    serde_json::from_slice(&bytes).map(Some).map_err(|e| {
        format!(
            "{} is not a config file (line {}, column {}); expected \
             {{\"accounts\": {{\"NAME\": {{\"client_id\": .., \"client_secret\": .., \"redirect_uri\": ..}}}}}}",
            path.display(),
            e.line(),
            e.column()
        )
    })
}
