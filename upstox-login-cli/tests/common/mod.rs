//! The command run as a user runs it, against a simulated Upstox started
//! by the test (so the test plays the browser and sees every code).

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, BufReader, Lines};
use tokio::process::{Child, ChildStderr, Command};
use upstox_login_sdk::simulator::Simulator;
use upstox_login_sdk::{App, ClientId, ClientSecret, RedirectUri};

pub const CLIENT_ID: &str = "test-client";
pub const CLIENT_SECRET: &str = "test-secret";

/// A home of its own: `XDG_CONFIG_HOME` and `HOME` in a fresh folder.
pub struct Home {
    pub dir: PathBuf,
}

impl Home {
    pub fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!(
            "upstox-login-cli-{name}-{}-{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos())
                .unwrap_or(0)
        ));
        std::fs::create_dir_all(&dir).expect("a temp folder");
        Self { dir }
    }

    /// The command, with no credentials from the test's environment.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_upstox-login"));
        command
            .args(args)
            .env("XDG_CONFIG_HOME", &self.dir)
            .env("HOME", &self.dir)
            .env_remove("UPSTOX_CLIENT_ID")
            .env_remove("UPSTOX_CLIENT_SECRET")
            .env_remove("UPSTOX_REDIRECT_URI")
            .env_remove("UPSTOX_BASE_URL")
            .env_remove("UPSTOX_USER_ID")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        command
    }

    /// A real account's session file (not the simulated folder).
    pub fn session(&self, account: &str) -> PathBuf {
        self.dir
            .join("upstox-login")
            .join(format!("{account}.json"))
    }

    /// The simulated runs' session file.
    pub fn simulated_session(&self, account: &str) -> PathBuf {
        self.dir
            .join("upstox-login")
            .join("simulated")
            .join(format!("{account}.json"))
    }

    /// Writes the config file with `mode`.
    pub fn config(&self, json: &serde_json::Value, mode: u32) -> PathBuf {
        use std::os::unix::fs::PermissionsExt;
        let folder = self.dir.join("upstox-login");
        std::fs::create_dir_all(&folder).expect("config folder");
        let path = folder.join("config.json");
        std::fs::write(&path, json.to_string()).expect("config written");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).expect("chmod");
        path
    }
}

impl Drop for Home {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A simulated Upstox for the test's app, its redirect URI on a free port.
pub struct Upstox {
    pub sim: Simulator,
    pub redirect: String,
}

impl Upstox {
    pub async fn start() -> Self {
        let port = std::net::TcpListener::bind(("127.0.0.1", 0))
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let redirect = format!("http://127.0.0.1:{port}/callback");
        let app = App::new(
            ClientId::new(CLIENT_ID),
            ClientSecret::new(CLIENT_SECRET),
            RedirectUri::new(redirect.clone()).expect("redirect URI"),
        );
        let sim = Simulator::start(&app).await.expect("simulator");
        Self { sim, redirect }
    }

    /// Points `command` at this Upstox through the environment.
    pub fn credentials(&self, command: &mut Command) {
        command
            .env("UPSTOX_CLIENT_ID", CLIENT_ID)
            .env("UPSTOX_CLIENT_SECRET", CLIENT_SECRET)
            .env("UPSTOX_REDIRECT_URI", &self.redirect)
            .env("UPSTOX_BASE_URL", self.sim.base_url());
    }

    /// The same, as an account of the config file.
    pub fn account(&self, user_id: &str) -> serde_json::Value {
        serde_json::json!({
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "redirect_uri": self.redirect,
            "base_url": self.sim.base_url(),
            "user_id": user_id,
        })
    }

    /// The browser: logs in on `url` and follows the redirect to the
    /// command's callback listener.
    pub async fn browse(&self, url: &url::Url) {
        let callback = self.sim.log_in(url).expect("the login page takes the URL");
        let browser = http_client().no_proxy().build().expect("a browser");
        browser
            .get(callback.as_str())
            .send()
            .await
            .expect("the callback is answered");
    }
}

/// A plain reqwest client for the test's own requests. The command's SDK
/// brings reqwest without a TLS provider of its own (it configures ring per
/// client, as `cargo install` builds it), so the process's default
/// provider is set to ring first.
pub fn http_client() -> upstox_login_sdk::reqwest::ClientBuilder {
    let _ = rustls::crypto::ring::default_provider().install_default();
    upstox_login_sdk::reqwest::Client::builder()
}

/// A running command whose stderr is read line by line.
pub struct Running {
    pub child: Child,
    pub stderr: Lines<BufReader<ChildStderr>>,
    pub seen: Vec<String>,
}

impl Running {
    pub fn spawn(mut command: Command) -> Self {
        let mut child = command.spawn().expect("the command starts");
        let stderr = BufReader::new(child.stderr.take().expect("stderr")).lines();
        Self {
            child,
            stderr,
            seen: Vec::new(),
        }
    }

    /// Reads stderr until a line satisfies `wanted` (within 30 s).
    pub async fn until(&mut self, wanted: impl Fn(&str) -> bool) -> String {
        let read = async {
            while let Ok(Some(line)) = self.stderr.next_line().await {
                self.seen.push(line.clone());
                if wanted(&line) {
                    return Some(line);
                }
            }
            None
        };
        match tokio::time::timeout(Duration::from_secs(30), read).await {
            Ok(Some(line)) => line,
            _ => panic!("never printed the line wanted; stderr: {:#?}", self.seen),
        }
    }

    /// The authorization URL it prints (on `base_url`).
    pub async fn authorization_url(&mut self, base_url: &str) -> url::Url {
        let line = self.until(|l| l.starts_with(base_url)).await;
        url::Url::parse(&line).expect("a URL")
    }

    /// Its exit status, the rest of its stderr, and its stdout.
    pub async fn finish(mut self) -> (bool, String, String) {
        let mut rest = self.seen.join("\n");
        let read = async {
            while let Ok(Some(line)) = self.stderr.next_line().await {
                rest.push('\n');
                rest.push_str(&line);
            }
        };
        if tokio::time::timeout(Duration::from_secs(30), read)
            .await
            .is_err()
        {
            panic!("still running after 30 s; stderr: {rest}");
        }
        let output = tokio::time::timeout(Duration::from_secs(30), self.child.wait_with_output())
            .await
            .expect("it ends")
            .expect("its output");
        (
            output.status.success(),
            rest,
            String::from_utf8_lossy(&output.stdout).into_owned(),
        )
    }
}

/// Runs a command to its end: exit success, stdout, stderr.
pub async fn run(mut command: Command) -> (bool, String, String) {
    let output = tokio::time::timeout(Duration::from_secs(60), command.output())
        .await
        .expect("it ends")
        .expect("it runs");
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

pub fn exists(path: &Path) -> bool {
    path.exists()
}

/// A port free now, for a command's fixed `--listen`.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind(("127.0.0.1", 0))
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

pub fn millis(t: SystemTime) -> String {
    t.duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis()
        .to_string()
}

/// A notifier payload as Upstox POSTs it, for a token issued at `issued`.
pub fn payload(client_id: &str, user_id: &str, token: &str, issued: SystemTime) -> Value {
    json!({"client_id": client_id, "user_id": user_id, "access_token": token,
        "token_type": "Bearer", "issued_at": millis(issued),
        "expires_at": millis(upstox_login_sdk::expiry::expires_at(issued)),
        "message_type": "access_token"})
}

/// Rewrites the session file as one that expired an hour ago, owner-only
/// as the store writes it (it refuses a file others can read), replacing
/// it as the morning does.
pub fn expire(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    let mut stored: serde_json::Value =
        serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    let past = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64
        - 3_600_000;
    stored["session"]["expires_at"] = past.into();
    let temp = path.with_extension("tmp");
    std::fs::write(&temp, stored.to_string()).unwrap();
    std::fs::set_permissions(&temp, std::fs::Permissions::from_mode(0o600)).unwrap();
    std::fs::rename(&temp, path).unwrap();
}
