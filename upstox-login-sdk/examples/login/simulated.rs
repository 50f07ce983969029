//! A stand-in of Upstox's login server on loopback, and a simulated browser,
//! so the whole login can be seen working with no account and no network.

use std::time::Duration;

use httpmock::prelude::*;
use httpmock::{HttpMockRequest, HttpMockResponse};
use upstox_login_sdk::loopback::CallbackServer;
use upstox_login_sdk::{App, ClientId, ClientSecret, LoginClient, RedirectUri, Session};

use crate::Options;

const CLIENT_ID: &str = "SIMULATED-CLIENT";
const CLIENT_SECRET: &str = "simulated-secret";
const CODE: &str = "simulated-code";

pub(crate) async fn run(timeout: Duration) -> Result<Session, String> {
    let upstox = MockServer::start_async().await;
    println!("SIMULATED: UPSTOX_CLIENT_ID is not set, so this run logs in to a built-in");
    println!(
        "SIMULATED: stand-in of Upstox's login server at {}, with a simulated browser.",
        upstox.base_url()
    );
    println!("SIMULATED: set UPSTOX_CLIENT_ID, UPSTOX_CLIENT_SECRET and UPSTOX_REDIRECT_URI for a real login.");
    println!();

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
    let client = LoginClient::builder()
        .base_url(upstox.base_url())
        .build()
        .map_err(|e| e.to_string())?;

    // Upstox's side: the login dialog (after the person would have logged
    // in) redirects back with a code and the state it was given; the token
    // endpoint checks the exact form.
    let callback = redirect.url().clone();
    upstox
        .mock_async(|when, then| {
            when.method(GET)
                .path("/v2/login/authorization/dialog")
                .query_param("response_type", "code")
                .query_param("client_id", CLIENT_ID)
                .query_param("redirect_uri", redirect.as_str())
                .query_param_exists("state");
            then.respond_with(move |req: &HttpMockRequest| {
                let state = req
                    .query_params()
                    .into_iter()
                    .find(|(k, _)| k == "state")
                    .map(|(_, v)| v)
                    .unwrap_or_default();
                let mut location = callback.clone();
                location
                    .query_pairs_mut()
                    .append_pair("code", CODE)
                    .append_pair("state", &state);
                HttpMockResponse::builder()
                    .status(302)
                    .header("location", location.as_str())
                    .build()
            });
        })
        .await;
    upstox
        .mock_async(|when, then| {
            when.method(POST)
                .path("/v2/login/authorization/token")
                .header("content-type", "application/x-www-form-urlencoded")
                .form_urlencoded_tuple("code", CODE)
                .form_urlencoded_tuple("client_id", CLIENT_ID)
                .form_urlencoded_tuple("client_secret", CLIENT_SECRET)
                .form_urlencoded_tuple("redirect_uri", redirect.as_str())
                .form_urlencoded_tuple("grant_type", "authorization_code");
            then.status(200).header("content-type", "application/json").json_body(serde_json::json!({
                "email": "simulated@example.com", "exchanges": ["NSE", "NFO", "BSE", "CDS", "BFO", "BCD"],
                "products": ["D", "CO", "I"], "broker": "UPSTOX", "user_id": "SIM123",
                "user_name": "Simulated Trader", "order_types": ["MARKET", "LIMIT", "SL", "SL-M"],
                "user_type": "individual", "poa": false, "is_active": true,
                "access_token": "simulated-access-token", "extended_token": "simulated-extended-token"
            }));
        })
        .await;

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
