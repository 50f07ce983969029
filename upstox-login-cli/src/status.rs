//! `upstox-login status`: whose session, where, valid until when (IST).
//! Plain std: reads and parses the file, no runtime, no request; with
//! `--verify`, one profile call asks Upstox whether the token is live.

use std::process::ExitCode;

use upstox_login_sdk::morning::{check_live, is_dead};

use crate::cli::{Common, StatusArgs};
use crate::context::Context;
use crate::report;
use crate::simulated::{self, Upstox};

pub fn run(common: &Common, args: &StatusArgs) -> Result<ExitCode, String> {
    let context = Context::load(common)?;
    let simulated = if context.simulated() {
        " (simulated)"
    } else {
        ""
    };
    println!("account: {}{simulated}", context.account);
    println!("session: {}", context.file.path().display());
    let Some(session) = context.saved()? else {
        println!("state:   no session; run `upstox-login login`");
        return Ok(ExitCode::FAILURE);
    };
    println!(
        "user:    {}",
        Context::whose(&session).trim_start_matches("user ")
    );
    if session.is_expired() {
        println!("state:   expired at {}", Context::until(&session));
        return Ok(ExitCode::FAILURE);
    }
    if args.verify && context.simulated() {
        println!("token:   not checked (a simulated run: the Upstox that issued it is gone)");
    } else if args.verify {
        let runtime = simulated::runtime()?;
        let checked = runtime.block_on(async {
            let Upstox { client, .. } = simulated::connect(&context, false).await?;
            Ok::<_, String>(check_live(&client, &session).await)
        })?;
        runtime.shutdown_background();
        match checked {
            Ok(()) => println!("token:   live (Upstox accepted it)"),
            Err(e) if is_dead(&e) => {
                println!("state:   refused by Upstox: {}", report::describe(&e, None));
                return Ok(ExitCode::FAILURE);
            }
            Err(e) => {
                return Err(format!(
                    "could not check the token: {}",
                    report::describe(&e, None)
                ))
            }
        }
    }
    println!("state:   valid until {}", Context::until(&session));
    Ok(ExitCode::SUCCESS)
}
