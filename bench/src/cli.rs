//! `upstox-login token` and `upstox-login status` against `cat` of the same
//! session file (issue 21: 3x `cat` or less): wall time per spawn, the three
//! taking turns so that whatever else the machine does slows them alike.
//!
//! The session comes the way a user gets one: `upstox-login login` once,
//! against the command's simulated Upstox (no credentials in the
//! environment), with `XDG_CONFIG_HOME` and `HOME` in a folder of its own.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

/// The command, as `bench/run.sh` builds it (release).
const CLI: &str = "target/release/upstox-login";

/// The commands in report order; the first is the yardstick.
pub const COMMANDS: [&str; 3] = ["cat", "upstox-login token", "upstox-login status"];

/// Per command of [`COMMANDS`], per round: the median µs of one spawn.
pub type Medians = [Vec<f64>; 3];

/// Logs in once in `target/bench/cli-home`, then runs `rounds` rounds of
/// `spawns` spawns of each command; removes the folder afterwards.
pub fn measure(rounds: usize, spawns: usize) -> Result<Medians, String> {
    let root = std::env::current_dir().map_err(|e| e.to_string())?;
    let home = root.join("target/bench/cli-home");
    let _ = std::fs::remove_dir_all(&home);
    let result = log_in(&home).and_then(|file| time(&home, &file, rounds, spawns));
    let _ = std::fs::remove_dir_all(&home);
    result
}

/// A command whose config folder is `home` and that sees no credentials, so
/// that it is the simulated account's.
fn command(program: &str, home: &Path) -> Command {
    let mut command = Command::new(program);
    for (key, _) in std::env::vars() {
        if key.starts_with("UPSTOX_") {
            command.env_remove(key);
        }
    }
    command
        .env("XDG_CONFIG_HOME", home)
        .env("HOME", home)
        .stdin(Stdio::null());
    command
}

/// `upstox-login login` against the simulator; the session file it wrote.
fn log_in(home: &Path) -> Result<std::path::PathBuf, String> {
    std::fs::create_dir_all(home).map_err(|e| format!("{}: {e}", home.display()))?;
    let output = command(CLI, home)
        .args(["login", "--no-browser", "--timeout", "60"])
        .output()
        .map_err(|e| format!("{CLI} login: {e}"))?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        return Err(format!(
            "{CLI} login ({}): {}",
            output.status,
            stderr.trim_end().replace('\n', " / ")
        ));
    }
    let file = home.join("upstox-login/simulated/default.json");
    match file.is_file() {
        true => Ok(file),
        false => Err(format!("{CLI} login wrote no {}", file.display())),
    }
}

/// The rounds: in each, every command `spawns` times, taking turns (the
/// order reversed every other turn), after one untimed check of each.
fn time(home: &Path, file: &Path, rounds: usize, spawns: usize) -> Result<Medians, String> {
    let mut commands = [command("cat", home), command(CLI, home), command(CLI, home)];
    commands[0].arg(file);
    commands[1].arg("token");
    commands[2].arg("status");
    // What each prints is checked once: a token alone on its line, a valid
    // session, the file's text.
    for (name, command) in COMMANDS.iter().zip(&mut commands) {
        let output = command.output().map_err(|e| format!("{name}: {e}"))?;
        let stdout = String::from_utf8_lossy(&output.stdout);
        let expected = match *name {
            "upstox-login token" => stdout.lines().count() == 1 && stdout.trim().len() > 8,
            "upstox-login status" => stdout.contains("state:   valid until"),
            _ => !stdout.is_empty(),
        };
        if !output.status.success() || !expected {
            let stderr = String::from_utf8_lossy(&output.stderr);
            return Err(format!("{name} ({}): {}", output.status, stderr.trim_end()));
        }
    }
    for command in &mut commands {
        command.stdout(Stdio::null()).stderr(Stdio::null());
    }
    let mut medians: Medians = Default::default();
    for round in 0..rounds {
        let mut micros: [Vec<f64>; 3] = Default::default();
        for turn in 0..spawns {
            for step in 0..COMMANDS.len() {
                let i = match turn % 2 {
                    0 => step,
                    _ => COMMANDS.len() - 1 - step,
                };
                let started = Instant::now();
                let status = commands[i].status();
                micros[i].push(started.elapsed().as_secs_f64() * 1e6);
                match status {
                    Ok(status) if status.success() => {}
                    Ok(status) => return Err(format!("{} ({status})", COMMANDS[i])),
                    Err(e) => return Err(format!("{}: {e}", COMMANDS[i])),
                }
            }
        }
        for (median, round_micros) in medians.iter_mut().zip(micros) {
            median.push(crate::report::quartiles(round_micros).1);
        }
        eprintln!("== command round {}/{rounds} done", round + 1);
    }
    Ok(medians)
}
