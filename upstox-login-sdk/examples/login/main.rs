//! The morning login: `cargo run --example login`.
//!
//! With `UPSTOX_CLIENT_ID`, `UPSTOX_CLIENT_SECRET` and `UPSTOX_REDIRECT_URI`
//! set (and optionally `UPSTOX_BASE_URL`), it logs in for real: prints the
//! authorization URL (and opens the browser unless `--no-browser`), listens
//! on the redirect URI's loopback host and port, checks the state, exchanges
//! the code and prints the session with its tokens masked.
//!
//! With no credentials set it runs the same flow against a built-in stand-in
//! of Upstox's login server on loopback, with a simulated browser, so every
//! step can be seen working offline.
//!
//! Options: `--no-browser`, `--timeout SECS` (default 300), `--save PATH`
//! (saves the session there, readable by you only; nothing is written
//! otherwise), `--session PATH` (the morning command: if PATH holds a session
//! still valid for a few minutes more, says until when and exits without a
//! login; otherwise logs in and saves the session there). The place to save
//! is checked before the login, so the single-use code is never spent on a
//! session that could not be kept.

mod simulated;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use upstox_login_sdk::expiry::format_ist;
use upstox_login_sdk::loopback::CallbackServer;
use upstox_login_sdk::store::SessionFile;
use upstox_login_sdk::terminal::escape;
use upstox_login_sdk::{App, ClientId, ClientSecret, LoginClient, RedirectUri, Session};

/// A saved session closer than this to its expiry is not reused.
const REUSE_MARGIN: Duration = Duration::from_secs(10 * 60);

struct Options {
    open_browser: bool,
    timeout: Duration,
    save: Option<PathBuf>,
    /// `--session`: reuse the session saved there if still valid.
    reuse: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            open_browser: true,
            timeout: Duration::from_secs(300),
            save: None,
            reuse: false,
        }
    }
}

fn parse_args() -> Result<Options, String> {
    let mut options = Options::default();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--no-browser" => options.open_browser = false,
            "--timeout" => {
                let secs = args.next().ok_or("--timeout needs a number of seconds")?;
                let secs: u64 = secs
                    .parse()
                    .map_err(|_| format!("--timeout: not a number: {secs}"))?;
                options.timeout = Duration::from_secs(secs);
            }
            "--save" => options.save = Some(args.next().ok_or("--save needs a path")?.into()),
            "--session" => {
                options.save = Some(args.next().ok_or("--session needs a path")?.into());
                options.reuse = true;
            }
            "-h" | "--help" => {
                return Err(
                    "usage: login [--no-browser] [--timeout SECS] [--save PATH | --session PATH]"
                        .into(),
                );
            }
            other => return Err(format!("unknown argument {other}; try --help")),
        }
    }
    Ok(options)
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    log_to_stderr();
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<(), String> {
    let options = parse_args()?;
    let file = options.save.as_deref().map(SessionFile::new);
    if let Some(file) = &file {
        if options.reuse {
            if let Some(session) = reusable(file)? {
                println!(
                    "The session in {} is valid until {}; no login needed.",
                    file.path().display(),
                    format_ist(session.expires_at())
                );
                return Ok(());
            }
        }
        // Before the login: a place that cannot keep the session must not
        // cost the single-use code.
        file.check().map_err(|e| e.to_string())?;
    }
    let session = login_once(&options).await?;
    finish(&session, file.as_ref())
}

/// The saved session, if there is one still valid for [`REUSE_MARGIN`].
fn reusable(file: &SessionFile) -> Result<Option<Session>, String> {
    match file.load() {
        Ok(Some(session)) if !session.expires_within(REUSE_MARGIN) => Ok(Some(session)),
        Ok(Some(session)) => {
            println!(
                "The session in {} expires at {}; logging in again.",
                file.path().display(),
                format_ist(session.expires_at())
            );
            Ok(None)
        }
        Ok(None) => Ok(None),
        // A file that is not a session is not overwritten blindly.
        Err(e) => Err(format!("{e}; move it away to log in again")),
    }
}

/// One login, for real with credentials in the environment, else simulated.
async fn login_once(options: &Options) -> Result<Session, String> {
    let env = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    let Some(client_id) = env("UPSTOX_CLIENT_ID") else {
        return simulated::run(options.timeout).await;
    };
    let secret = env("UPSTOX_CLIENT_SECRET").ok_or("UPSTOX_CLIENT_SECRET is not set")?;
    let redirect = env("UPSTOX_REDIRECT_URI").ok_or("UPSTOX_REDIRECT_URI is not set (for example http://127.0.0.1:5055/callback, as registered with the app)")?;
    let redirect = RedirectUri::new(redirect).map_err(|e| e.to_string())?;
    let mut builder = LoginClient::builder();
    if let Some(base) = env("UPSTOX_BASE_URL") {
        builder = builder.base_url(base);
    }
    let client = builder.build().map_err(|e| e.to_string())?;
    let server = CallbackServer::bind(&redirect)
        .await
        .map_err(|e| e.to_string())?;
    let app = App::new(
        ClientId::new(client_id),
        ClientSecret::new(secret),
        redirect,
    );
    login(&client, &app, server, options, |url| {
        if options.open_browser && !upstox_login_sdk::loopback::open_in_browser(url) {
            println!("(could not open a browser; open the URL above yourself)");
        }
    })
    .await
}

/// The flow shared by the real and the simulated login.
pub(crate) async fn login(
    client: &LoginClient,
    app: &App,
    server: CallbackServer,
    options: &Options,
    on_url: impl FnOnce(&str),
) -> Result<Session, String> {
    // The listener's redirect URI: with port 0 in the app's, the real port.
    let pending = server.start_login(client, app).map_err(|e| e.to_string())?;
    println!("Open this URL in your browser to log in:");
    println!("{}", pending.url());
    on_url(pending.url().as_str());
    println!(
        "Waiting up to {} s for the redirect to {} ...",
        options.timeout.as_secs(),
        server.redirect_uri()
    );
    // The browser is answered after the exchange, with its outcome.
    server
        .complete_login_with(client, app, &pending, options.timeout, |event| {
            println!("  {event}")
        })
        .await
        .map_err(|e| e.to_string())
}

fn mask(secret: Option<&str>) -> String {
    match secret {
        Some(s) => format!("[redacted, {} chars]", s.chars().count()),
        None => "(none)".into(),
    }
}

fn finish(session: &Session, file: Option<&SessionFile>) -> Result<(), String> {
    println!();
    println!("Logged in.");
    // What Upstox sent, escaped: it could hold terminal control sequences.
    // (Events and errors escape it in their `Display`.)
    println!(
        "  user id:        {}",
        escape(session.user_id().unwrap_or("?"))
    );
    println!(
        "  name:           {}",
        escape(session.account().user_name().unwrap_or("?"))
    );
    println!(
        "  exchanges:      {}",
        escape(&session.account().exchanges().join(", "))
    );
    println!(
        "  access token:   {}",
        mask(Some(session.access_token().secret()))
    );
    println!(
        "  extended token: {}",
        mask(session.extended_token().map(|t| t.secret()))
    );
    println!("  expires:        {}", format_ist(session.expires_at()));
    if let Some(file) = file {
        file.save(session).map_err(|e| e.to_string())?;
        println!(
            "  saved to:       {} (readable by you only)",
            file.path().display()
        );
    }
    Ok(())
}

/// `RUST_LOG` (e.g. `RUST_LOG=upstox_login_sdk=debug`) turns on the SDK's
/// log lines, on stderr; without it nothing is logged.
fn log_to_stderr() {
    if std::env::var_os("RUST_LOG").is_none() {
        return;
    }
    match tracing_subscriber::EnvFilter::try_from_default_env() {
        Ok(filter) => {
            // Fails only when a subscriber is already set: keep that one.
            let _ = tracing_subscriber::fmt()
                .with_env_filter(filter)
                .with_writer(std::io::stderr)
                .try_init();
        }
        Err(e) => eprintln!("error: RUST_LOG ignored: {e}"),
    }
}
