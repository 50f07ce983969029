//! A stand-in of Upstox's login server on loopback (the SDK's `simulator`),
//! and a simulated browser, so the whole login can be seen working with no
//! account and no network.

use std::time::Duration;

use upstox_login_sdk::loopback::CallbackServer;
use upstox_login_sdk::simulator::Simulator;
use upstox_login_sdk::{App, ClientId, ClientSecret, LoginClient, RedirectUri, Session};

use crate::Options;

const CLIENT_ID: &str = "SIMULATED-CLIENT";
const CLIENT_SECRET: &str = "simulated-secret";

pub(crate) async fn run(timeout: Duration) -> Result<Session, String> {
    let server = CallbackServer::bind(
        &RedirectUri::new("http://127.0.0.1:0/callback").map_err(|e| e.to_string())?,
    )
    .await
    .map_err(|e| e.to_string())?;
    let redirect = server.redirect_uri().clone();
    let app = App::new(
        ClientId::new(CLIENT_ID),
        ClientSecret::new(CLIENT_SECRET),
        redirect.clone(),
    );
    // Upstox's side: the login dialog (after the person would have logged
    // in) redirects back with a code and the state it was given; the token
    // endpoint checks the exact request, as the real one does.
    let upstox = Simulator::start(&app).await.map_err(|e| e.to_string())?;
    println!("SIMULATED: UPSTOX_CLIENT_ID is not set, so this run logs in to a built-in");
    println!(
        "SIMULATED: stand-in of Upstox's login server at {}, with a simulated browser.",
        upstox.base_url()
    );
    println!("SIMULATED: set UPSTOX_CLIENT_ID, UPSTOX_CLIENT_SECRET and UPSTOX_REDIRECT_URI for a real login.");
    println!();
    let client = LoginClient::builder()
        .base_url(upstox.base_url())
        .build()
        .map_err(|e| e.to_string())?;

    let options = Options {
        open_browser: false,
        timeout,
        ..Options::default()
    };
    let mut browser = None;
    let session = crate::login(&client, &app, server, &options, |url| {
        browser = Some(tokio::spawn(simulated_browser(
            url.to_string(),
            redirect.clone(),
        )));
    })
    .await;
    // The page comes after the exchange: let the browser show it.
    if let Some(browser) = browser {
        let _ = browser.await;
    }
    for problem in upstox.problems() {
        println!("SIMULATED: the stand-in refused a request: {problem}");
    }
    session
}

/// Does what a browser does: asks for a favicon first, then follows the URL
/// through Upstox's redirect to the callback, and shows the page it gets.
async fn simulated_browser(url: String, redirect: RedirectUri) {
    let browser = match reqwest::Client::builder().build() {
        Ok(b) => b,
        Err(e) => return println!("  [browser] could not start: {e}"),
    };
    let mut favicon = redirect.url().clone();
    favicon.set_path("/favicon.ico");
    favicon.set_query(None);
    let _ = browser.get(favicon.as_str()).send().await;
    println!("  [browser] opening the authorization URL; Upstox redirects it to the callback");
    match browser.get(&url).send().await {
        Ok(page) => {
            let status = page.status();
            let text = page.text().await.unwrap_or_default();
            let shown = if text.contains("You are logged in to Upstox until") {
                "\"You are logged in to Upstox until ...\""
            } else {
                "an unexpected page"
            };
            println!("  [browser] callback page: {status}, {shown}");
        }
        Err(e) => println!("  [browser] failed: {e}"),
    }
}
