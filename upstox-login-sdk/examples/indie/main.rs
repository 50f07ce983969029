//! A token without a browser (the indie-user flow, beta): `cargo run --example indie`.
//!
//! With `UPSTOX_CLIENT_ID` and `UPSTOX_CLIENT_SECRET` set (and optionally
//! `UPSTOX_BASE_URL`), it asks Upstox for a token for the app's account
//! holder, who approves it in the Upstox app or on WhatsApp; Upstox then
//! POSTs the token to the notifier URL registered for the app. Forward that
//! public URL to this machine (a tunnel, a reverse proxy): the example
//! listens on `--listen HOST:PORT` (default `localhost:8080`: both
//! 127.0.0.1 and [::1], or it refuses to start) for POSTs to `--path
//! PATH` (default `/upstox/notify`; make it hard to guess), checks the
//! payload's client id, and prints the session with its token masked.
//!
//! With no credentials set it runs the same flow against the SDK's
//! simulated Upstox on loopback, which "approves" after a second and POSTs
//! the payload to the listener, so every step can be seen working offline.
//!
//! Options: `--listen HOST:PORT`, `--path PATH`, `--timeout SECS` (default 600).

mod simulated;

use std::process::ExitCode;
use std::time::Duration;

use upstox_login_sdk::expiry::format_ist;
use upstox_login_sdk::terminal::escape;
use upstox_login_sdk::webhook::NotifierServer;
use upstox_login_sdk::{
    App, ClientId, ClientSecret, IndieTokenOptions, LoginClient, NotifierVerifier, RedirectUri,
    Session,
};

struct Options {
    /// `localhost` or an IP address, and a port.
    listen: (String, u16),
    path: String,
    timeout: Duration,
}

fn parse_args() -> Result<Options, String> {
    let mut options = Options {
        listen: ("localhost".into(), 8080),
        path: "/upstox/notify".into(),
        timeout: Duration::from_secs(600),
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = |name: &str| args.next().ok_or(format!("{name} needs a value"));
        match arg.as_str() {
            "--listen" => {
                let addr = value("--listen")?;
                let bad = || format!("--listen: not HOST:PORT such as localhost:8080: {addr}");
                let (host, port) = addr.rsplit_once(':').ok_or_else(bad)?;
                options.listen = (host.to_string(), port.parse().map_err(|_| bad())?);
            }
            "--path" => options.path = value("--path")?,
            "--timeout" => {
                let secs = value("--timeout")?;
                let secs: u64 = secs
                    .parse()
                    .map_err(|_| format!("--timeout: not a number: {secs}"))?;
                options.timeout = Duration::from_secs(secs);
            }
            "-h" | "--help" => {
                return Err(
                    "usage: indie [--listen HOST:PORT] [--path PATH] [--timeout SECS]".into(),
                )
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
    let env = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    let Some(client_id) = env("UPSTOX_CLIENT_ID") else {
        let session = simulated::run(&options).await?;
        return finish(&session);
    };
    let secret = env("UPSTOX_CLIENT_SECRET").ok_or("UPSTOX_CLIENT_SECRET is not set")?;
    let mut builder = LoginClient::builder();
    if let Some(base) = env("UPSTOX_BASE_URL") {
        builder = builder.base_url(base);
    }
    let client = builder.build().map_err(|e| e.to_string())?;
    // This flow does not use the app's redirect URI.
    let unused = RedirectUri::new("http://127.0.0.1/").map_err(|e| e.to_string())?;
    let app = App::new(ClientId::new(client_id), ClientSecret::new(secret), unused);
    let (host, port) = &options.listen;
    let server = NotifierServer::bind_host(host, *port, &options.path)
        .await
        .map_err(|e| e.to_string())?;
    let session = request_and_wait(&client, &app, server, &options).await?;
    finish(&session)
}

/// The flow shared by the real and the simulated run.
pub(crate) async fn request_and_wait(
    client: &LoginClient,
    app: &App,
    server: NotifierServer,
    options: &Options,
) -> Result<Session, String> {
    let listening = server.url().map_err(|e| e.to_string())?;
    println!(
        "Asking Upstox for a token for the account holder of {} ...",
        app.client_id()
    );
    let request = client
        .request_indie_token(app, IndieTokenOptions::default())
        .await
        .map_err(|e| e.to_string())?;
    // What Upstox sent, escaped: it could hold terminal control sequences.
    let until = match (
        request.expires_at(),
        request.authorization_expiry.as_deref(),
    ) {
        (Some(at), _) => format_ist(at),
        (None, Some(raw)) => escape(raw).to_string(),
        (None, None) => "(not said)".into(),
    };
    println!("Requested. The account holder approves it in the Upstox app or on WhatsApp before {until}.");
    println!(
        "Upstox will POST the token to {}.",
        escape(
            request
                .notifier_url
                .as_deref()
                .unwrap_or("(the notifier URL registered for the app)")
        )
    );
    println!(
        "Waiting up to {} s for it at {listening} ...",
        options.timeout.as_secs()
    );
    // Only a payload whose token Upstox vouches for is taken.
    let verifier = NotifierVerifier::new(client.clone(), app.client_id().clone());
    server
        .wait_for_session_with(&verifier, options.timeout, |event| println!("  {event}"))
        .await
        .map_err(|e| e.to_string())
}

fn mask(secret: &str) -> String {
    format!("[redacted, {} chars]", secret.chars().count())
}

fn finish(session: &Session) -> Result<(), String> {
    println!();
    println!("Logged in.");
    println!(
        "  user id:        {}",
        escape(session.user_id().unwrap_or("?"))
    );
    println!(
        "  access token:   {}",
        mask(session.access_token().secret())
    );
    println!("  expires:        {}", format_ist(session.expires_at()));
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
