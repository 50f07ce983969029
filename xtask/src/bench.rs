//! `cargo xtask bench`: the benchmark of the SDK against raw reqwest and the
//! official Python and Node SDKs. Everything is in `bench/run.sh` (tools,
//! stand-in server, runs) and the `upstox-login-bench` crate (measuring and
//! writing `BENCHMARKS.md`); this only starts it from the project root.
//!
//! `BENCH_SMOKE=1 cargo xtask bench` runs a tiny version that leaves
//! `BENCHMARKS.md` alone; `BENCH_ARGS` passes options to the orchestrator.

use std::process::Command;

/// Runs `bash bench/run.sh` from the project root.
pub fn run() -> Result<(), String> {
    let root = crate::project_root();
    let status = Command::new("bash")
        .arg(root.join("bench/run.sh"))
        .current_dir(&root)
        .status()
        .map_err(|e| format!("could not run bash bench/run.sh: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("bench/run.sh failed ({status})"))
    }
}
