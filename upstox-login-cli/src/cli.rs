//! The command line, as clap reads it.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// The day's Upstox session for every program: log in once a morning, then
/// `upstox-login token` wherever a token is needed.
///
/// Credentials come from UPSTOX_CLIENT_ID, UPSTOX_CLIENT_SECRET,
/// UPSTOX_REDIRECT_URI (and UPSTOX_BASE_URL), or from the config file
/// (config.json in the folder below, readable by you only). Without any,
/// every subcommand runs against a built-in simulated Upstox.
#[derive(Debug, Parser)]
#[command(name = "upstox-login", version)]
pub struct Cli {
    #[command(flatten)]
    pub common: Common,
    #[command(subcommand)]
    pub command: Command,
}

/// What every subcommand takes.
#[derive(Debug, Args)]
pub struct Common {
    /// The account: its session is kept in
    /// $XDG_CONFIG_HOME/upstox-login/NAME.json (else ~/.config/...).
    #[arg(long, global = true, default_value = "default", value_name = "NAME")]
    pub account: String,
    /// Keep the session here instead.
    #[arg(long, global = true, value_name = "PATH")]
    pub session: Option<PathBuf>,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// The morning: reuse a valid session, or log in (one program at a time).
    Login(LoginArgs),
    /// The indie-user flow: ask Upstox for a token the account holder
    /// approves in the Upstox app; receive it at the notifier webhook.
    Request(RequestArgs),
    /// Whose session, where it is kept, and until when it is valid (IST).
    /// Exits 0 only when it is valid.
    Status(StatusArgs),
    /// Prints the access token of a valid session, alone on one line.
    Token(TokenArgs),
    /// Revokes the token and removes the session.
    Logout,
}

/// `login`'s options.
#[derive(Debug, Args)]
pub struct LoginArgs {
    /// The browser is on another device: open the URL there, then paste
    /// the address it lands on here.
    #[arg(long)]
    pub paste: bool,
    /// Print the URL without opening a browser.
    #[arg(long)]
    pub no_browser: bool,
    /// How long the login may take.
    #[arg(long, default_value_t = 300, value_name = "SECS")]
    pub timeout: u64,
    /// How long to wait for another program logging in (default: the
    /// timeout and a minute).
    #[arg(long, value_name = "SECS")]
    pub wait: Option<u64>,
    /// Check the saved session's token with Upstox before reusing it; log
    /// in again when Upstox refuses it (revoked by a logout or a login
    /// elsewhere).
    #[arg(long)]
    pub verify: bool,
}

/// `status`'s options.
#[derive(Debug, Args)]
pub struct StatusArgs {
    /// Also ask Upstox whether the token is live (one call); exit non-zero
    /// when it is revoked, expired or made up.
    #[arg(long)]
    pub verify: bool,
}

/// `request`'s options.
#[derive(Debug, Args)]
pub struct RequestArgs {
    /// Where the notifier webhook's POST is forwarded to.
    #[arg(long, default_value = "127.0.0.1:8080", value_name = "ADDR")]
    pub listen: SocketAddr,
    /// The webhook's path (make it hard to guess). Other local users can
    /// read it here, in the process list: prefer UPSTOX_NOTIFIER_PATH or
    /// the account's `notifier_path` in the config file. Default:
    /// /upstox/notify.
    #[arg(long)]
    pub path: Option<String>,
    /// The account (UCC) the token must belong to (else UPSTOX_USER_ID,
    /// the account's `user_id` in the config file, or the user of the
    /// saved session): a verified token of any other account is refused.
    #[arg(long, value_name = "UCC")]
    pub user_id: Option<String>,
    /// Serve HTTPS with this PEM certificate chain (with --tls-key).
    #[arg(long, value_name = "PATH", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// The PEM private key of --tls-cert.
    #[arg(long, value_name = "PATH", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// How long the approval may take.
    #[arg(long, default_value_t = 600, value_name = "SECS")]
    pub timeout: u64,
}

/// `token`'s options.
#[derive(Debug, Args)]
pub struct TokenArgs {
    /// Keep running: print the token again each time the session file is
    /// replaced (the morning's login), and say on stderr when it expires.
    #[arg(long)]
    pub watch: bool,
}
