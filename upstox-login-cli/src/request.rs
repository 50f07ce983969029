//! `upstox-login request`: the indie-user flow on the SDK's one call.

use std::process::ExitCode;
use std::time::Duration;

use upstox_login_sdk::expiry::format_ist;
use upstox_login_sdk::morning::{LoginWay, MorningLogin, Outcome, Step};
use upstox_login_sdk::terminal::escape;
use upstox_login_sdk::webhook::NotifierServer;
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
    let server = NotifierServer::bind(listen, &args.path)
        .await
        .map_err(|e| report::describe(&e, None))?;
    let listening = server.url().map_err(|e| e.to_string())?;
    if let Some(simulator) = &simulator {
        simulator.set_notifier_url(listening.clone());
        simulator.set_approval_delay(Some(Duration::from_secs(1)));
        eprintln!("SIMULATED: the account holder approves after a second");
    }
    let timeout = Duration::from_secs(args.timeout);
    let way = LoginWay::Indie {
        server,
        options: IndieTokenOptions::default(),
    };
    let held_by = std::cell::Cell::new(None);
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
        _ => {}
    };
    let morning = MorningLogin::new(&context.file, &app)
        .timeout(timeout)
        .run(&client, way, on_step)
        .await
        .map_err(|e| report::describe(&e, held_by.get()))?;
    let whose = Context::whose(&morning.session);
    let until = Context::until(&morning.session);
    let path = context.file.path().display();
    match morning.outcome {
        Outcome::LoggedIn => {
            eprintln!("Received the token of {whose}, valid until {until}; saved to {path}.")
        }
        _ => {
            eprintln!("The session of {whose} in {path} is valid until {until}; no request needed.")
        }
    }
    Ok(ExitCode::SUCCESS)
}
