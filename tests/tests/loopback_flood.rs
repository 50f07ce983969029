//! The loopback listener under a flood from another local process: 500
//! connections that never send a request, or send one byte at a time, must
//! not keep the browser's callback out, and must not make the listener hold
//! memory in proportion to their number.
//!
//! Memory is measured by this binary's global allocator (live bytes, all
//! threads), so the tests here take turns.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;
use upstox_login_sdk::loopback::CallbackServer;
use upstox_login_sdk::{App, AuthorizationCode, ClientId, ClientSecret, PendingLogin, RedirectUri};
use upstox_login_tests::*;

struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

fn grew(by: usize) {
    let now = LIVE.fetch_add(by, Ordering::Relaxed) + by;
    PEAK.fetch_max(now, Ordering::Relaxed);
}

// SAFETY: every call is passed on to `System` unchanged; the counters are
// atomics, which never allocate.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        grew(layout.size());
        // SAFETY: the caller's contract is `System`'s.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        // SAFETY: as above.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        grew(new_size);
        // SAFETY: as above.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static COUNTING: Counting = Counting;

/// One test at a time: the byte counts are process-wide.
static TURN: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// How many connections the attacker opens.
const FLOOD: usize = 500;
/// How long the callback may take under the flood. The goal is well under
/// a second; this bound is generous for a loaded 2-core machine and still
/// far below what the flood cost before (the read slots were held for 10 s
/// each, so 500 connections kept the callback out for minutes, or had the
/// browser's connection dropped from a full backlog).
const CALLBACK_WITHIN: Duration = Duration::from_secs(5);

struct Listening {
    port: u16,
    login: PendingLogin,
    waiting: tokio::task::JoinHandle<Result<AuthorizationCode, String>>,
}

async fn listening() -> Listening {
    let server = CallbackServer::bind(&RedirectUri::new("http://127.0.0.1:0/cb").unwrap())
        .await
        .unwrap();
    let port = server.redirect_uri().url().port().unwrap();
    let app = App::new(
        ClientId::new(CLIENT_ID),
        ClientSecret::new(CLIENT_SECRET),
        server.redirect_uri().clone(),
    );
    let login = client("http://127.0.0.1:9").start_login(&app).unwrap();
    let for_server = login.clone();
    let waiting = tokio::spawn(async move {
        server
            .wait_for_code(&for_server, Duration::from_secs(120))
            .await
            .map_err(|e| e.to_string())
    });
    Listening {
        port,
        login,
        waiting,
    }
}

/// The browser's callback; panics unless it is answered `200` in time.
async fn callback_in_time(l: Listening) {
    let browser = reqwest::Client::builder()
        .timeout(CALLBACK_WITHIN * 4)
        .build()
        .unwrap();
    let url = format!(
        "http://127.0.0.1:{}/cb?code=c0de&state={}",
        l.port,
        l.login.state()
    );
    let started = std::time::Instant::now();
    let answer = tokio::time::timeout(CALLBACK_WITHIN, browser.get(url).send()).await;
    let took = started.elapsed();
    let answer = answer
        .unwrap_or_else(|_| panic!("no answer to the callback within {CALLBACK_WITHIN:?}"))
        .unwrap();
    assert_eq!(answer.status(), 200);
    let code = tokio::time::timeout(Duration::from_secs(5), l.waiting)
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert_eq!(code.secret(), "c0de");
    eprintln!("callback answered in {took:?}");
}

#[tokio::test]
async fn idle_connections_do_not_keep_the_callback_out() {
    let _turn = TURN.lock().await;
    let l = listening().await;
    let mut idle = Vec::with_capacity(FLOOD);
    for _ in 0..FLOOD {
        idle.push(TcpStream::connect(("127.0.0.1", l.port)).await.unwrap());
    }
    callback_in_time(l).await;
    drop(idle);
}

/// Each connection sends most of a request head at once (the most a
/// listener may have to hold for it), then one byte every 200 ms, never
/// finishing it.
#[tokio::test]
async fn slow_connections_neither_keep_the_callback_out_nor_pile_up_memory() {
    let _turn = TURN.lock().await;
    let l = listening().await;
    let mut head = b"GET /cb?code=x&state=y HTTP/1.1\r\nX-Pad: ".to_vec();
    head.resize(15 * 1024, b'a');
    tokio::time::sleep(Duration::from_millis(100)).await;
    let baseline = LIVE.load(Ordering::Relaxed);
    PEAK.store(baseline, Ordering::Relaxed);

    let mut slow = Vec::with_capacity(FLOOD);
    for _ in 0..FLOOD {
        let mut s = TcpStream::connect(("127.0.0.1", l.port)).await.unwrap();
        // A connection the listener already closed is fine.
        let _ = s.write_all(&head).await;
        slow.push(s);
    }
    let trickle = tokio::spawn(async move {
        loop {
            for s in &mut slow {
                let _ = s.write_all(b"a").await;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    });
    // Give the listener time to read what it was sent.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let grown = PEAK.load(Ordering::Relaxed).saturating_sub(baseline);
    eprintln!(
        "peak heap growth under {FLOOD} slow connections: {} KiB",
        grown / 1024
    );
    // Holding every connection's head would be 500 x 15 KiB = 7.3 MiB.
    assert!(
        grown < 4 * 1024 * 1024,
        "the listener held {grown} bytes for {FLOOD} connections"
    );
    callback_in_time(l).await;
    trickle.abort();
}
