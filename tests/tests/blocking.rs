//! The blocking client (feature `blocking`): one client shared by many
//! threads at once, each getting its own answer; and, called from inside an
//! async runtime, a clear error with nothing sent, never a panic (neither
//! when called nor when dropped there).

use std::sync::{Arc, Barrier};
use std::thread;

use httpmock::prelude::*;
use upstox_login_sdk::blocking::LoginClient;
use upstox_login_sdk::simulator::{Simulator, USER_ID};
use upstox_login_sdk::{AccessToken, AuthorizationCode, Error, IndieTokenOptions};
use upstox_login_tests::*;

const THREADS: usize = 8;

fn blocking_client(base_url: &str) -> LoginClient {
    LoginClient::from_builder(
        upstox_login_sdk::LoginClient::builder()
            .base_url(base_url)
            .timeout(std::time::Duration::from_secs(5)),
    )
    .expect("a blocking client")
}

#[test]
fn the_client_is_send_sync_and_clone() {
    fn shareable<T: Send + Sync + Clone + 'static>() {}
    shareable::<LoginClient>();
}

/// Eight threads, one client, calls started together: each exchange sends
/// its own code and gets its own token, each logout its own token; every
/// request reaches the server exactly once.
#[test]
fn one_client_serves_many_threads_at_once_without_crossing_answers() {
    let server = MockServer::start();
    let mut mocks = Vec::new();
    for i in 0..THREADS {
        let mut body = token_response();
        body["access_token"] = format!("token-{i}").into();
        mocks.push(server.mock(|when, then| {
            when.method(POST)
                .path("/v2/login/authorization/token")
                .header("api-version", "2.0")
                .form_urlencoded_tuple("code", format!("code-{i}"))
                .form_urlencoded_tuple("client_secret", CLIENT_SECRET);
            then.status(200)
                .header("content-type", "application/json")
                .json_body(body);
        }));
        mocks.push(server.mock(|when, then| {
            when.method(DELETE)
                .path("/v2/logout")
                .header("authorization", format!("Bearer token-{i}"));
            then.status(200)
                .header("content-type", "application/json")
                .json_body(serde_json::json!({"status": "success", "data": true}));
        }));
    }
    let client = blocking_client(&server.base_url());
    let start = Arc::new(Barrier::new(THREADS));
    let threads: Vec<_> = (0..THREADS)
        .map(|i| {
            let (client, start) = (client.clone(), start.clone());
            thread::spawn(move || {
                start.wait();
                let session = client
                    .exchange_code(&app(), AuthorizationCode::new(format!("code-{i}")))
                    .expect("an exchange");
                let outcome = client.logout(session.access_token()).expect("a logout");
                (session.access_token().secret().to_string(), outcome.revoked)
            })
        })
        .collect();
    for (i, thread) in threads.into_iter().enumerate() {
        assert_eq!(
            thread.join().expect("no panic"),
            (format!("token-{i}"), true)
        );
    }
    for mock in mocks {
        mock.assert_calls(1);
    }
}

/// The whole login from threads, against the simulated Upstox (which runs
/// in a runtime of the test's own): every request passes its checks.
#[test]
fn threads_log_in_against_the_simulator() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let sim = Arc::new(runtime.block_on(Simulator::start(&app())).unwrap());
    let client = blocking_client(sim.base_url());
    let threads: Vec<_> = (0..THREADS)
        .map(|_| {
            let (client, sim) = (client.clone(), sim.clone());
            thread::spawn(move || {
                let login = client.start_login(&app()).unwrap();
                let callback = sim.log_in(login.url()).unwrap();
                let code = login.code_from_callback(callback.as_str()).unwrap();
                let session = client.exchange_code(&app(), code).expect("a session");
                assert_eq!(session.user_id(), Some(USER_ID));
                client.logout(session.access_token()).expect("a logout");
                session.access_token().secret().to_string()
            })
        })
        .collect();
    let mut tokens: Vec<String> = threads.into_iter().map(|t| t.join().unwrap()).collect();
    tokens.sort();
    tokens.dedup();
    assert_eq!(tokens.len(), THREADS, "each thread its own token");
    client
        .request_indie_token(&app(), IndieTokenOptions::default())
        .expect("an indie request");
    assert!(sim.problems().is_empty(), "{:?}", sim.problems());
}

/// Every call, made from inside the runtime it would stall: a typed error,
/// nothing sent. Building the client there, and dropping it, is fine.
/// Counts whatever reaches `server` (answered 500): nothing should.
async fn any_request(server: &MockServer) -> httpmock::Mock<'_> {
    server
        .mock_async(|when, then| {
            when.any_request();
            then.status(500);
        })
        .await
}

async fn every_call_refuses(server: &MockServer) {
    let client = blocking_client(&server.base_url());
    let refused = |result: Result<String, Error>| match result {
        Err(e @ Error::BlockingInAsyncRuntime) => {
            assert!(e.to_string().contains("async runtime"), "{e}");
        }
        other => panic!("{other:?}"),
    };
    refused(
        client
            .exchange_code(&app(), AuthorizationCode::new(CODE))
            .map(|s| format!("{s:?}")),
    );
    refused(
        client
            .exchange_code_with(&app(), AuthorizationCode::new(CODE), Some(true))
            .map(|s| format!("{s:?}")),
    );
    refused(
        client
            .logout(&AccessToken::new(ACCESS_TOKEN))
            .map(|o| format!("{o:?}")),
    );
    refused(
        client
            .request_indie_token(&app(), IndieTokenOptions::default())
            .map(|r| format!("{r:?}")),
    );
    // Nothing to send, nothing to block on.
    client.start_login(&app()).expect("a login URL");
    // A clone outlives the client and is dropped later, in the runtime too.
    let clone = client.clone();
    drop(client);
    tokio::task::yield_now().await;
    drop(clone);
}

#[tokio::test]
async fn a_blocking_call_inside_a_current_thread_runtime_is_a_clear_error() {
    let server = MockServer::start_async().await;
    let any = any_request(&server).await;
    every_call_refuses(&server).await;
    any.assert_calls_async(0).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_blocking_call_inside_a_multi_thread_runtime_is_a_clear_error() {
    let server = MockServer::start_async().await;
    let any = any_request(&server).await;
    every_call_refuses(&server).await;
    // spawn_blocking's threads belong to the runtime too: refused there as well.
    let client = blocking_client(&server.base_url());
    let result =
        tokio::task::spawn_blocking(move || client.logout(&AccessToken::new(ACCESS_TOKEN)))
            .await
            .expect("no panic");
    assert!(
        matches!(result, Err(Error::BlockingInAsyncRuntime)),
        "{result:?}"
    );
    any.assert_calls_async(0).await;
}
