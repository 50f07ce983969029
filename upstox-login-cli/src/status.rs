//! `upstox-login status`: whose session, where, valid until when (IST).
//! Plain std: reads and parses the file, no runtime, no request.

use std::process::ExitCode;

use crate::cli::Common;
use crate::context::Context;

pub fn run(common: &Common) -> Result<ExitCode, String> {
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
    println!("state:   valid until {}", Context::until(&session));
    Ok(ExitCode::SUCCESS)
}
