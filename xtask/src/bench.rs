//! `cargo xtask bench [--smoke]`: the benchmark of the SDK against raw
//! reqwest and the official Python and Node SDKs (see `bench/README.md`).
//! `bench/run.sh` installs what it needs and runs the harness; this only
//! starts it from the project root.

use std::process::Command;

/// Runs `bash bench/run.sh ARGS...` from the project root.
pub fn run(args: &[&str]) -> Result<(), String> {
    let root = crate::project_root();
    let status = Command::new("bash")
        .arg(root.join("bench/run.sh"))
        .args(args)
        .current_dir(&root)
        .status()
        .map_err(|e| format!("could not run bash bench/run.sh: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("bench/run.sh failed ({status})"))
    }
}
