//! `upstox-login request`: the indie-user flow on the SDK's one call.

use std::process::ExitCode;
use std::time::Duration;

use upstox_login_sdk::expiry::format_ist;
use upstox_login_sdk::morning::{LoginWay, MorningLogin, Outcome, Step};
use upstox_login_sdk::terminal::escape;
use upstox_login_sdk::webhook::NotifierAddress;
use upstox_login_sdk::IndieTokenOptions;

use crate::cli::{Common, RequestArgs};
use crate::context::Context;
use crate::place;
use crate::report;
use crate::simulated::{self, Upstox};

pub fn run(common: &Common, args: &RequestArgs) -> Result<ExitCode, String> {
    let context = Context::load(common)?;
    context.label();
    context.saved()?;
    place::create_folder(&context.file)?;
    let runtime = simulated::runtime()?;
    let result = runtime.block_on(request(&context, args));
    runtime.shutdown_background();
    result
}

async fn request(context: &Context, args: &RequestArgs) -> Result<ExitCode, String> {
    let Upstox {
        app,
        client,
        simulator,
    } = simulated::connect(context, false).await?;
    // The simulated run listens on a free port, never on a real one's.
    let listen = match &simulator {
        Some(_) => std::net::SocketAddr::from(([127, 0, 0, 1], 0)),
        None => args.listen,
    };
    let path = notifier_path(context, args);
    // Checked now, the certificate read; bound only once the lock is held.
    let mut notifier =
        NotifierAddress::new(listen, &path).map_err(|e| report::describe(&e, None))?;
    if let (Some(cert), Some(key)) = (&args.tls_cert, &args.tls_key) {
        notifier = notifier
            .with_tls(cert, key)
            .map_err(|e| report::describe(&e, None))?;
    }
    let timeout = Duration::from_secs(args.timeout);
    let way = LoginWay::Indie {
        notifier,
        options: IndieTokenOptions::default(),
    };
    let mut listening = String::new();
    let held_by = std::cell::Cell::new(None);
    let trusted_first = std::cell::Cell::new(false);
    let on_step = |step: Step<'_>| match step {
        Step::Waiting { holder } => {
            held_by.set(holder);
            eprintln!(
                "Another program{} is logging in for this session; waiting ...",
                holder
                    .map(|p| format!(" (process {p})"))
                    .unwrap_or_default()
            )
        }
        Step::NotifierUrl(url) => {
            if let Some(simulator) = &simulator {
                simulator.set_notifier_url(url);
                simulator.set_approval_delay(Some(Duration::from_secs(1)));
                eprintln!("SIMULATED: the account holder approves after a second");
            }
            listening = url.to_string();
        }
        Step::IndieRequested(request) => {
            let until = match (
                request.expires_at(),
                request.authorization_expiry.as_deref(),
            ) {
                (Some(at), _) => format_ist(at),
                (None, Some(raw)) => escape(raw).to_string(),
                (None, None) => "(not said)".into(),
            };
            eprintln!("Requested. Approve it in the Upstox app or on WhatsApp before {until}.");
            eprintln!("Waiting up to {timeout:?} for Upstox's POST at {listening} ...");
        }
        Step::Notifier(event) => eprintln!("  {event}"),
        Step::NoExpectedAccount => trusted_first.set(true),
        _ => {}
    };
    let mut morning = MorningLogin::new(&context.file, &app).timeout(timeout);
    let expected = args.user_id.as_deref().or(context.expected_user());
    if let Some(user_id) = expected {
        morning = morning.user_id(user_id);
    }
    let morning = morning
        .run(&client, way, on_step)
        .await
        .map_err(|e| report::describe(&e, held_by.get()))?;
    let whose = Context::whose(&morning.session);
    let until = Context::until(&morning.session);
    let path = context.file.path().display();
    match morning.outcome {
        Outcome::LoggedIn => {
            eprintln!("Received the token of {whose}, valid until {until}; saved to {path}.");
            if trusted_first.get() {
                eprintln!(
                    "No account was expected, so the first token that verified as the account \
                     its payload names was trusted. Pin the account: --user-id {} (or \
                     UPSTOX_USER_ID, or `user_id` in the config file).",
                    escape(morning.session.user_id().unwrap_or("UCC"))
                );
            }
        }
        Outcome::WaitedForAnother => eprintln!(
            "Another program received the token: the session of {whose} in {path} is valid \
             until {until}; no request needed."
        ),
        _ => {
            eprintln!("The session of {whose} in {path} is valid until {until}; no request needed.")
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The webhook's path: `--path`, else `UPSTOX_NOTIFIER_PATH`, else the
/// account's `notifier_path`, else `/upstox/notify`.
fn notifier_path(context: &Context, args: &RequestArgs) -> String {
    let from_env = std::env::var("UPSTOX_NOTIFIER_PATH")
        .ok()
        .filter(|p| !p.is_empty());
    let from_config = context
        .credentials
        .as_ref()
        .and_then(|c| c.notifier_path.clone());
    args.path
        .clone()
        .or(from_env)
        .or(from_config)
        .unwrap_or_else(|| "/upstox/notify".into())
}
