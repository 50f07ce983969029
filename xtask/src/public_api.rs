//! `cargo xtask public-api [--check]`: the SDK's public API as a text
//! listing, `upstox-login-sdk/public-api.txt`, kept in the repository.
//!
//! Until a release is on crates.io there is no baseline for
//! cargo-semver-checks; this listing is the baseline instead. CI runs the
//! check, so any change to the public API shows up as a diff that someone
//! has to accept by regenerating the file: a removed or changed line is a
//! breaking change (bump the version accordingly), an added line is not.
//!
//! The listing comes from rustdoc's JSON output, which stable Rust writes
//! only with `RUSTC_BOOTSTRAP=1`, read by the `public-api` crate. Only the
//! facade is listed: the `generated` module may change with any
//! regeneration (the crate docs say so), so its items are left out; facade
//! signatures that name a generated type still show it.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::{project_root, Mode};

/// The listing, relative to the workspace root.
const LISTING: &str = "upstox-login-sdk/public-api.txt";
/// The command that regenerates the listing.
const REGENERATE: &str = "cargo xtask public-api";
/// Items under this path are left out of the listing.
const GENERATED: &str = "upstox_login_sdk::generated";

/// Writes or checks the listing.
pub fn run(mode: Mode) -> Result<(), String> {
    let root = project_root();
    let json = rustdoc_json(&root)?;
    let listing = listing(&json)?;
    let path = root.join(LISTING);
    let current = std::fs::read_to_string(&path).unwrap_or_default();
    if current == listing {
        return Ok(());
    }
    match mode {
        Mode::Write => {
            std::fs::write(&path, &listing).map_err(|e| format!("writing {LISTING}: {e}"))?;
            eprintln!("updated {LISTING}");
            Ok(())
        }
        Mode::Check => {
            let diff = similar::TextDiff::from_lines(current.as_str(), listing.as_str())
                .unified_diff()
                .context_radius(1)
                .header(
                    &format!("{LISTING} (checked in)"),
                    &format!("{LISTING} (the code now)"),
                )
                .to_string();
            Err(format!(
                "The public API of upstox-login-sdk differs from {LISTING}:\n\n{diff}\n\
                 A removed or changed line (-) breaks users: make sure it is meant, and \
                 bump the version as semver says. If the change is meant, run `{REGENERATE}` \
                 and commit {LISTING} with it."
            ))
        }
    }
}

/// Runs rustdoc on the SDK with every feature and returns its JSON file.
///
/// A target directory of its own: `RUSTC_BOOTSTRAP=1` is part of cargo's
/// fingerprint, and sharing `target/` would rebuild the normal artifacts
/// after every run.
fn rustdoc_json(root: &Path) -> Result<PathBuf, String> {
    let target_dir = root.join("target").join("public-api");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string());
    let status = Command::new(cargo)
        .current_dir(root)
        .env("RUSTC_BOOTSTRAP", "1")
        .env_remove("RUSTDOCFLAGS")
        .args([
            "rustdoc",
            "--quiet",
            "--locked",
            "-p",
            "upstox-login-sdk",
            "--lib",
        ])
        .args(["--all-features", "--target-dir"])
        .arg(&target_dir)
        .args(["--", "-Z", "unstable-options", "--output-format", "json"])
        .status()
        .map_err(|e| format!("running cargo rustdoc: {e}"))?;
    if !status.success() {
        return Err(format!("cargo rustdoc (JSON output) failed: {status}"));
    }
    Ok(target_dir.join("doc").join("upstox_login_sdk.json"))
}

/// The listing for a rustdoc JSON file: one item a line, sorted, the
/// `generated` module's items left out.
fn listing(json: &Path) -> Result<String, String> {
    check_format_version(json)?;
    let api = public_api::Builder::from_rustdoc_json(json)
        .omit_blanket_impls(true)
        .build()
        .map_err(|e| format!("reading {}: {e}", json.display()))?;
    let items: Vec<public_api::PublicItem> = api.into_items().collect();
    let mut lines = vec![format!(
        "# The public API of upstox-login-sdk, without the `generated` module.\n\
         # Made by `{REGENERATE}`; checked in CI by `{REGENERATE} --check`."
    )];
    lines.extend(
        items
            .iter()
            .filter(|item| !in_generated(item, &items))
            .map(ToString::to_string),
    );
    Ok(lines.join("\n") + "\n")
}

/// Whether an item belongs to the `generated` module: its own path is
/// under it, or it is an `impl` (or an item of an `impl`) of a type that is.
fn in_generated(item: &public_api::PublicItem, items: &[public_api::PublicItem]) -> bool {
    let own = item.to_string();
    let under_generated = |path: &str| {
        path.strip_prefix(GENERATED)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with("::"))
    };
    if own_path(&own).is_some_and(under_generated) {
        return true;
    }
    if own.starts_with("impl") {
        if let Some(parent) = item.parent_id() {
            return items
                .iter()
                .filter(|other| other.id() == parent)
                .any(|other| in_generated(other, items));
        }
    }
    false
}

/// The path of a rendered item that has one (not an `impl`): the first word
/// that starts with the crate's name, up to its parameters or generics.
fn own_path(rendered: &str) -> Option<&str> {
    if rendered.starts_with("impl") {
        return None;
    }
    let start = rendered.find("upstox_login_sdk")?;
    let rest = &rendered[start..];
    let end = rest
        .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':'))
        .unwrap_or(rest.len());
    Some(rest[..end].trim_end_matches(':'))
}

/// rustdoc's JSON format changes between toolchains; `public-api` reads one
/// format. Say so plainly instead of failing on a field it cannot parse.
fn check_format_version(json: &Path) -> Result<(), String> {
    let text =
        std::fs::read_to_string(json).map_err(|e| format!("reading {}: {e}", json.display()))?;
    let format_version = serde_json::from_str::<serde_json::Value>(&text)
        .ok()
        .and_then(|v| v.get("format_version")?.as_u64())
        .ok_or_else(|| format!("{} has no format_version", json.display()))?;
    if format_version != u64::from(rustdoc_types::FORMAT_VERSION) {
        return Err(format!(
            "this toolchain's rustdoc writes JSON format {}, and the public-api crate in \
             xtask/Cargo.toml reads format {}: move public-api (and rustdoc-types) to the \
             version that reads {} (see public-api's compatibility notes), then run `{REGENERATE}`",
            format_version,
            rustdoc_types::FORMAT_VERSION,
            format_version
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::own_path;

    #[test]
    fn own_path_is_the_items_path_without_its_signature() {
        assert_eq!(
            own_path("pub fn upstox_login_sdk::LoginClient::generated(&self) -> &upstox_login_sdk::generated::Client"),
            Some("upstox_login_sdk::LoginClient::generated")
        );
        assert_eq!(
            own_path("pub mod upstox_login_sdk::generated"),
            Some("upstox_login_sdk::generated")
        );
        assert_eq!(
            own_path("pub struct upstox_login_sdk::generated::types::TokenResponse"),
            Some("upstox_login_sdk::generated::types::TokenResponse")
        );
        assert_eq!(
            own_path("impl core::clone::Clone for upstox_login_sdk::generated::Client"),
            None
        );
    }
}
