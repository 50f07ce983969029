//! Cold builds, sources already downloaded, each with a fresh target
//! directory: a minimal application that depends only on upstox-login-sdk
//! (by path, default features), what adding the SDK costs a new project's
//! first `cargo build`; and `cargo install` of the `upstox-login` command
//! (issue 21: at most 1.3x the former).

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

/// Wall time of a build and the crates it compiled.
pub struct ColdBuild {
    /// Seconds of the timed cargo command.
    pub seconds: f64,
    /// "Compiling" lines in cargo's output, the application included.
    pub crates: usize,
}

/// Builds the application in `target/bench/cold-app` with its own target
/// directory and the workspace's `Cargo.lock` (so the same versions are
/// built), after an untimed `cargo fetch`; removes it afterwards.
pub fn measure() -> Result<ColdBuild, String> {
    let root = std::env::current_dir().map_err(|e| e.to_string())?;
    let dir = root.join("target/bench/cold-app");
    let _ = std::fs::remove_dir_all(&dir);
    let result = build(&root, &dir);
    let _ = std::fs::remove_dir_all(&dir);
    result
}

/// `cargo install --path upstox-login-cli --locked --offline` into
/// `target/bench/cold-install` (its root and target directory), after an
/// untimed `cargo fetch`; removes it afterwards.
pub fn measure_install() -> Result<ColdBuild, String> {
    let root = std::env::current_dir().map_err(|e| e.to_string())?;
    let dir = root.join("target/bench/cold-install");
    let _ = std::fs::remove_dir_all(&dir);
    let manifest = root.join("upstox-login-cli/Cargo.toml");
    let result = cargo(
        &root,
        &dir,
        &["fetch", "--locked", "--manifest-path"],
        &manifest,
    )
    .and_then(|_| {
        let install = [
            "install",
            "--locked",
            "--offline",
            "--path",
            "upstox-login-cli",
        ];
        let into = dir.to_string_lossy();
        let args = [&install[..], &["--root", &into, "--target-dir"]].concat();
        timed(&root, &dir, &args, &dir.join("target"))
    });
    let _ = std::fs::remove_dir_all(&dir);
    result
}

fn build(root: &Path, dir: &Path) -> Result<ColdBuild, String> {
    let io = |e: std::io::Error| format!("{}: {e}", dir.display());
    std::fs::create_dir_all(dir.join("src")).map_err(io)?;
    let sdk = root.join("upstox-login-sdk");
    let manifest = format!(
        "[package]\nname = \"cold-app\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n\
         [dependencies]\nupstox-login-sdk = {{ path = {:?} }}\n\n[workspace]\n",
        sdk.to_string_lossy()
    );
    std::fs::write(dir.join("Cargo.toml"), manifest).map_err(io)?;
    let main = "use upstox_login_sdk as _;\n\nfn main() {}\n";
    std::fs::write(dir.join("src/main.rs"), main).map_err(io)?;
    std::fs::copy(root.join("Cargo.lock"), dir.join("Cargo.lock")).map_err(io)?;
    cargo(
        dir,
        dir,
        &["fetch", "--manifest-path"],
        &dir.join("Cargo.toml"),
    )?;
    let target = dir.join("target");
    timed(dir, dir, &["build", "--offline", "--target-dir"], &target)
}

/// Times one cargo command (its last argument `path`), counting the crates
/// it compiled.
fn timed(cwd: &Path, dir: &Path, args: &[&str], path: &Path) -> Result<ColdBuild, String> {
    let started = Instant::now();
    let stderr = cargo(cwd, dir, args, path)?;
    let seconds = started.elapsed().as_secs_f64();
    let compiling = |l: &&str| l.trim_start().starts_with("Compiling ");
    let crates = stderr.lines().filter(compiling).count();
    Ok(ColdBuild { seconds, crates })
}

/// Runs `cargo ARGS PATH` in `cwd` with nothing of the outer build's
/// environment (which started this harness through `cargo run`) and
/// `dir/target` as its target directory, and returns its stderr.
fn cargo(cwd: &Path, dir: &Path, args: &[&str], path: &Path) -> Result<String, String> {
    let mut command = Command::new("cargo");
    for (key, _) in std::env::vars() {
        let outer = key.starts_with("CARGO_") && key != "CARGO_HOME";
        if outer || key.starts_with("__CARGO") || key.starts_with("RUSTC") {
            command.env_remove(key);
        }
    }
    let output = command
        .args(args)
        .arg(path)
        .current_dir(cwd)
        .env("CARGO_TARGET_DIR", dir.join("target"))
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cargo {}: {e}", args.join(" ")))?;
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    match output.status.success() {
        true => Ok(stderr),
        false => Err(format!(
            "cargo {args:?} failed: {}",
            stderr.replace('\n', " / ")
        )),
    }
}
