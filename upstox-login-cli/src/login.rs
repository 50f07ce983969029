//! `upstox-login login`: the morning, on the SDK's one call.

use std::process::ExitCode;
use std::time::Duration;

use upstox_login_sdk::morning::{LoginWay, MorningLogin, Outcome, Step};

use crate::cli::{Common, LoginArgs};
use crate::context::Context;
use crate::place;
use crate::report;
use crate::simulated::{self, Upstox};

pub fn run(common: &Common, args: &LoginArgs) -> Result<ExitCode, String> {
    let context = Context::load(common)?;
    context.label();
    // Another user's session is refused before anything is spent.
    context.saved()?;
    place::create_folder(&context.file)?;
    let runtime = simulated::runtime()?;
    let result = runtime.block_on(morning(&context, args));
    // A paste still being read from stdin must not hold the exit.
    runtime.shutdown_background();
    result
}

async fn morning(context: &Context, args: &LoginArgs) -> Result<ExitCode, String> {
    let Upstox {
        app,
        client,
        simulator,
    } = simulated::connect(context, true).await?;
    let timeout = Duration::from_secs(args.timeout);
    let wait = args
        .wait
        .map(Duration::from_secs)
        .unwrap_or(timeout + Duration::from_secs(60));
    let way = if args.paste {
        LoginWay::Paste(Box::new(std::io::BufReader::new(std::io::stdin())))
    } else {
        LoginWay::Browser
    };
    let held_by = std::cell::Cell::new(None);
    let on_step = |step: Step<'_>| match step {
        Step::Waiting { holder } => {
            held_by.set(holder);
            eprintln!(
                "Another program{} is logging in for this session; waiting up to {wait:?} ...",
                holder
                    .map(|p| format!(" (process {p})"))
                    .unwrap_or_default()
            )
        }
        Step::OpenUrl(url) => {
            eprintln!("Open this URL in your browser to log in:\n{url}");
            match &simulator {
                Some(simulator) => simulated::play_browser(simulator, url),
                None if !args.no_browser
                    && !upstox_login_sdk::loopback::open_in_browser(url.as_str()) =>
                {
                    eprintln!("(could not open a browser; open the URL above yourself)")
                }
                None => {}
            }
            eprintln!("Waiting up to {timeout:?} for the browser ...");
        }
        Step::PasteUrl(url) => {
            eprintln!("Open this URL in a browser on any device and log in:\n{url}");
            if let Some(landed) = simulator.as_ref().and_then(|s| simulated::landing(s, url)) {
                eprintln!("SIMULATED: the browser landed on {landed}");
            }
            eprintln!("Then paste here the whole address the browser was sent to:");
        }
        Step::Callback(event) => eprintln!("  {event}"),
        Step::SavedSessionDead(e) => eprintln!(
            "The saved session's token is not live ({}); logging in again.",
            report::describe(e, None)
        ),
        _ => {}
    };
    let morning = MorningLogin::new(&context.file, &app)
        .timeout(timeout)
        .wait(wait)
        .verify(args.verify)
        .run(&client, way, on_step)
        .await
        .map_err(|e| report::describe(&e, held_by.get()))?;
    let session = &morning.session;
    let whose = Context::whose(session);
    let until = Context::until(session);
    let path = context.file.path().display();
    match morning.outcome {
        Outcome::Reused => {
            eprintln!("The session of {whose} in {path} is valid until {until}; no login needed.")
        }
        Outcome::WaitedForAnother => eprintln!(
            "Another program logged in: the session of {whose} in {path} is valid until {until}."
        ),
        _ => {
            eprintln!("Logged in as {whose} until {until}; saved to {path} (readable by you only).")
        }
    }
    Ok(ExitCode::SUCCESS)
}
