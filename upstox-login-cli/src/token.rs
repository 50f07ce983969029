//! `upstox-login token`: the access token of a valid session alone on
//! stdout. Plain std: reads and parses the file, no runtime, no request.
//! `--watch` keeps printing it as the file is replaced.

use std::io::Write;
use std::process::ExitCode;
use std::time::Duration;

use upstox_login_sdk::token_source::TokenSource;

use crate::cli::{Common, TokenArgs};
use crate::context::Context;

pub fn run(common: &Common, args: &TokenArgs) -> Result<ExitCode, String> {
    let context = Context::load(common)?;
    if args.watch {
        return watch(&context);
    }
    let Some(session) = context.saved()? else {
        return Err(format!(
            "no session for account {:?} at {}; run `upstox-login login`",
            context.account,
            context.file.path().display()
        ));
    };
    if session.is_expired() {
        return Err(format!(
            "the session of account {:?} expired at {}; run `upstox-login login`",
            context.account,
            Context::until(&session)
        ));
    }
    print(session.access_token().secret())?;
    Ok(ExitCode::SUCCESS)
}

/// Prints the token each time it changes, and why there is none when that
/// changes: for a program that runs all day and reads it from a pipe.
fn watch(context: &Context) -> Result<ExitCode, String> {
    let source = TokenSource::new(context.file.clone());
    let mut last: Option<Result<String, String>> = None;
    loop {
        let now = source
            .session()
            .map_err(|e| e.to_string())
            .and_then(|session| {
                context.check_owner(&session)?;
                source
                    .token()
                    .map(|t| t.secret().to_owned())
                    .map_err(|e| e.to_string())
            });
        if last.as_ref() != Some(&now) {
            match &now {
                Ok(token) => print(token)?,
                Err(why) => eprintln!("upstox-login: {why}"),
            }
            last = Some(now);
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

fn print(token: &str) -> Result<(), String> {
    let mut out = std::io::stdout().lock();
    writeln!(out, "{token}")
        .and_then(|()| out.flush())
        .map_err(|e| format!("could not write the token: {e}"))
}
