//! `upstox-login logout`: revokes the token and removes the session.

use std::process::ExitCode;

use upstox_login_sdk::ErrorCode;

use crate::cli::Common;
use crate::context::Context;
use crate::simulated;

pub fn run(common: &Common) -> Result<ExitCode, String> {
    let context = Context::load(common)?;
    context.label();
    let Some(session) = context.saved()? else {
        eprintln!(
            "No session at {}; nothing to do.",
            context.file.path().display()
        );
        return Ok(ExitCode::SUCCESS);
    };
    if !session.is_expired() {
        let runtime = simulated::runtime()?;
        let revoked = runtime.block_on(async {
            let upstox = simulated::connect(&context, false).await?;
            match upstox.client.logout(session.access_token()).await {
                Ok(_) => Ok(()),
                // Already dead (or, simulated, never known to this run's Upstox).
                Err(e) if e.has_code(&ErrorCode::InvalidToken) => Ok(()),
                Err(e) => Err(format!("{e}; the session is kept")),
            }
        });
        runtime.shutdown_background();
        revoked?;
    }
    std::fs::remove_file(context.file.path())
        .map_err(|e| format!("could not remove {}: {e}", context.file.path().display()))?;
    eprintln!(
        "Logged out {}; removed {}.",
        Context::whose(&session),
        context.file.path().display()
    );
    Ok(ExitCode::SUCCESS)
}
