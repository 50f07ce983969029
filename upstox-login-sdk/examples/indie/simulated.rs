//! The indie-user flow against the SDK's simulated Upstox on loopback: the
//! simulated account holder approves after a second, and the simulator
//! POSTs the payload to this run's listener.

use std::time::Duration;

use upstox_login_sdk::simulator::Simulator;
use upstox_login_sdk::webhook::NotifierServer;
use upstox_login_sdk::{App, ClientId, ClientSecret, LoginClient, RedirectUri, Session};

use crate::Options;

const CLIENT_ID: &str = "SIMULATED-CLIENT";
const CLIENT_SECRET: &str = "simulated-secret";

pub(crate) async fn run(options: &Options) -> Result<Session, String> {
    let redirect = RedirectUri::new("http://127.0.0.1/").map_err(|e| e.to_string())?;
    let app = App::new(
        ClientId::new(CLIENT_ID),
        ClientSecret::new(CLIENT_SECRET),
        redirect,
    );
    // A free port, so that the offline run never collides with a real one.
    let listen = std::net::SocketAddr::from(([127, 0, 0, 1], 0));
    let server = NotifierServer::bind(listen, &options.path)
        .await
        .map_err(|e| e.to_string())?;
    let upstox = Simulator::start(&app).await.map_err(|e| e.to_string())?;
    upstox.set_notifier_url(server.url().map_err(|e| e.to_string())?);
    upstox.set_approval_delay(Some(Duration::from_secs(1)));
    println!("SIMULATED: UPSTOX_CLIENT_ID is not set, so this run asks a built-in stand-in");
    println!(
        "SIMULATED: of Upstox at {}, whose account holder approves after a second.",
        upstox.base_url()
    );
    println!("SIMULATED: set UPSTOX_CLIENT_ID and UPSTOX_CLIENT_SECRET for a real request.");
    println!();
    let client = LoginClient::builder()
        .base_url(upstox.base_url())
        .build()
        .map_err(|e| e.to_string())?;
    let session = crate::request_and_wait(&client, &app, server, options).await;
    for problem in upstox.problems() {
        println!("SIMULATED: the stand-in saw a problem: {problem}");
    }
    session
}
