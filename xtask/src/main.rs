//! Project automation for the upstox-login-sdk workspace.
//!
//! `cargo xtask codegen` regenerates every generated file from its source;
//! `cargo xtask bench [--smoke]` runs the benchmark (see `bench/README.md`);
//! `cargo xtask codegen --check` fails, with a diff, if any checked-in file
//! differs from what the generator would write now.
//! `cargo xtask public-api [--check]` writes (or checks) the SDK's public API
//! listing, `upstox-login-sdk/public-api.txt`.

#![warn(missing_docs)]

mod bench;
mod codegen;
mod public_api;
mod transforms;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

const USAGE: &str =
    "usage: cargo xtask codegen [--check]\n       cargo xtask bench [--smoke]\n       \
                     cargo xtask public-api [--check]";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let result = match args.as_slice() {
        ["codegen"] => codegen::run(Mode::Write),
        ["codegen", "--check"] => codegen::run(Mode::Check),
        ["bench", options @ ..] => bench::run(options),
        ["public-api"] => public_api::run(Mode::Write),
        ["public-api", "--check"] => public_api::run(Mode::Check),
        _ => Err(USAGE.to_string()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("{message}");
            ExitCode::FAILURE
        }
    }
}

/// Whether generated files are written or only compared.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Mode {
    /// Overwrite the checked-in files.
    Write,
    /// Compare, and fail with a diff on any difference.
    Check,
}

/// The workspace root (the parent of this crate's directory).
pub fn project_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}

/// Writes `contents` to `path` (in [`Mode::Write`]) or checks that the file
/// already holds exactly `contents` (in [`Mode::Check`]), failing with a
/// unified diff and the command that fixes it.
///
/// Every generated file of the project goes through this one function.
pub fn ensure_file_contents(path: &Path, contents: &str, mode: Mode) -> Result<(), String> {
    let current = std::fs::read_to_string(path).unwrap_or_default();
    if current == contents {
        return Ok(());
    }
    let display = path
        .strip_prefix(project_root())
        .unwrap_or(path)
        .display()
        .to_string();
    match mode {
        Mode::Write => {
            std::fs::write(path, contents).map_err(|e| format!("writing {display}: {e}"))?;
            eprintln!("updated {display}");
            Ok(())
        }
        Mode::Check => {
            let diff = similar::TextDiff::from_lines(current.as_str(), contents)
                .unified_diff()
                .context_radius(3)
                .header(
                    &format!("{display} (checked in)"),
                    &format!("{display} (from the spec)"),
                )
                .to_string();
            Err(format!(
                "{display} is out of date with its source:\n\n{diff}\n\
                 Run `cargo xtask codegen` to regenerate it, and commit the result."
            ))
        }
    }
}
