//! The simulator's request counter: what reached each endpoint, refused
//! requests included, and nothing for a path it does not serve.

use upstox_login_sdk::simulator::{Endpoint, Simulator};
use upstox_login_tests::*;

fn counts(sim: &Simulator) -> [usize; 4] {
    [
        sim.calls(Endpoint::Authorize),
        sim.calls(Endpoint::Token),
        sim.calls(Endpoint::Logout),
        sim.calls(Endpoint::Profile),
    ]
}

#[tokio::test]
async fn each_request_is_counted_at_its_endpoint() {
    let sim = Simulator::start(&app()).await.expect("simulator starts");
    let client = client(sim.base_url());
    assert_eq!(counts(&sim), [0, 0, 0, 0]);

    // The browser's visit, played by `log_in`, is one authorization.
    let login = client.start_login(&app()).expect("login starts");
    let callback = sim.log_in(login.url()).expect("logged in");
    assert_eq!(counts(&sim), [1, 0, 0, 0]);

    let code = login.code_from_callback(callback.as_str()).expect("a code");
    let session = client
        .exchange_code(&app(), code.clone())
        .await
        .expect("a session");
    assert_eq!(counts(&sim), [1, 1, 0, 0]);

    // A refused exchange (the code is spent) reached the endpoint all the same.
    client
        .exchange_code(&app(), code)
        .await
        .expect_err("a spent code");
    assert_eq!(counts(&sim), [1, 2, 0, 0]);

    client
        .logout(session.access_token())
        .await
        .expect("logged out");
    assert_eq!(counts(&sim), [1, 2, 1, 0]);

    // The dialog fetched over HTTP, as a real browser does, counts too;
    // a path the simulator does not serve counts nowhere.
    let browser = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .build()
        .expect("a browser");
    let login = client.start_login(&app()).expect("login starts");
    browser
        .get(login.url().as_str())
        .send()
        .await
        .expect("answered");
    browser
        .get(format!("{}/v2/nowhere", sim.base_url()))
        .send()
        .await
        .expect("answered");
    assert_eq!(counts(&sim), [2, 2, 1, 0]);
    assert_eq!(sim.calls(Endpoint::IndieRequest), 0);
}
