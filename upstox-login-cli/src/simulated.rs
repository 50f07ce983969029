//! The app and client a subcommand talks to: Upstox with the credentials,
//! or, without any, the SDK's simulated Upstox on loopback, whose browser
//! this command plays.

use upstox_login_sdk::simulator::Simulator;
use upstox_login_sdk::{App, ClientId, ClientSecret, LoginClient, RedirectUri};

use crate::context::Context;

/// An app, a client for it, and the simulator when there is one.
pub struct Upstox {
    pub app: App,
    pub client: LoginClient,
    pub simulator: Option<Simulator>,
}

/// For flows without a redirect (the indie flow, logout).
const NO_REDIRECT: &str = "http://127.0.0.1/";

/// Connects to Upstox as the context says. Call inside a tokio runtime.
pub async fn connect(context: &Context, redirect_needed: bool) -> Result<Upstox, String> {
    let Some(credentials) = &context.credentials else {
        return simulated().await;
    };
    let redirect = match (&credentials.redirect_uri, redirect_needed) {
        (Some(uri), _) => uri.clone(),
        (None, false) => NO_REDIRECT.into(),
        (None, true) => {
            return Err("UPSTOX_REDIRECT_URI (or the account's redirect_uri) is not set: the \
                        redirect URI registered with the app, such as http://127.0.0.1:5055/callback"
                .into())
        }
    };
    let app = App::new(
        ClientId::new(credentials.client_id.clone()),
        ClientSecret::new(credentials.client_secret.clone()),
        RedirectUri::new(redirect).map_err(|e| e.to_string())?,
    );
    let mut builder = LoginClient::builder();
    if let Some(base) = &credentials.base_url {
        builder = builder.base_url(base.clone());
    }
    let client = builder.build().map_err(|e| e.to_string())?;
    Ok(Upstox {
        app,
        client,
        simulator: None,
    })
}

async fn simulated() -> Result<Upstox, String> {
    // A free port for the callback, so that the simulated app's redirect
    // URI is the one the listener binds (and never a real login's 5055).
    let port = std::net::TcpListener::bind(("127.0.0.1", 0))
        .and_then(|l| l.local_addr())
        .map_err(|e| format!("could not find a free port: {e}"))?
        .port();
    let app = App::new(
        ClientId::new("SIMULATED-CLIENT"),
        ClientSecret::new("simulated-secret"),
        RedirectUri::new(format!("http://127.0.0.1:{port}/callback")).map_err(|e| e.to_string())?,
    );
    let simulator = Simulator::start(&app)
        .await
        .map_err(|e| format!("could not start the simulated Upstox: {e}"))?;
    let client = LoginClient::builder()
        .base_url(simulator.base_url())
        .build()
        .map_err(|e| e.to_string())?;
    Ok(Upstox {
        app,
        client,
        simulator: Some(simulator),
    })
}

/// Plays the browser on the simulated Upstox: the login, then the redirect
/// to the callback listener (in a task, as the listener waits for it).
pub fn play_browser(simulator: &Simulator, url: &url::Url) {
    let callback = match simulator.log_in(url) {
        Ok(callback) => callback,
        Err(problem) => return eprintln!("SIMULATED: the login page refused: {problem}"),
    };
    eprintln!("SIMULATED: the browser logs in and is sent back to the callback");
    // The SDK's HTTP settings: its TLS setup (a plain reqwest client has no
    // TLS provider in this build) and no proxy for loopback.
    let browser = upstox_login_sdk::LoginClient::builder()
        .base_url(simulator.base_url())
        .http_client_builder()
        .ok()
        .and_then(|b| b.build().ok());
    let Some(browser) = browser else {
        return eprintln!("SIMULATED: the browser could not start");
    };
    tokio::spawn(async move {
        let _ = browser.get(callback.as_str()).send().await;
    });
}

/// Where the simulated browser lands, for the paste login.
pub fn landing(simulator: &Simulator, url: &url::Url) -> Option<url::Url> {
    simulator.log_in(url).ok()
}

/// A single-threaded runtime for the subcommands that talk to Upstox.
pub fn runtime() -> Result<tokio::runtime::Runtime, String> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("could not start a runtime: {e}"))
}
