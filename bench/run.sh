#!/usr/bin/env bash
# The whole benchmark on a fresh machine; `cargo xtask bench [--smoke]` runs it.
#
# 1. installs what is missing: node, npm, python3-venv and GNU time (Debian);
#    the pinned upstox-python-sdk in a venv under target/bench/venv (PyPI);
#    the locked upstox-js-sdk with `npm ci` in bench/node (npm);
# 2. builds the harness in release;
# 3. runs it: it starts the stand-in on 127.0.0.1, runs every client and
#    writes BENCHMARKS.md (with --smoke: a short run, no cold build, to
#    target/bench/BENCHMARKS.smoke.md).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
mkdir -p target/bench
log() { printf '== %s\n' "$*" >&2; }

missing=()
command -v node >/dev/null 2>&1 || missing+=(nodejs)
command -v npm >/dev/null 2>&1 || missing+=(npm)
python3 -c 'import venv, ensurepip' 2>/dev/null || missing+=(python3 python3-venv)
[[ -x /usr/bin/time ]] || missing+=(time)
if ((${#missing[@]})); then
    SUDO=()
    [[ "$(id -u)" == 0 ]] || SUDO=(sudo)
    log "apt-get install ${missing[*]}"
    "${SUDO[@]}" apt-get update -qq
    DEBIAN_FRONTEND=noninteractive "${SUDO[@]}" apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# Rebuilt only when the pins change.
VENV=target/bench/venv
want="$(sha256sum bench/python/requirements.txt | cut -d' ' -f1)"
if [[ "$(cat "$VENV/.pins" 2>/dev/null)" != "$want" ]]; then
    log "python venv with upstox-python-sdk ($VENV)"
    rm -rf "$VENV"
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install --quiet --disable-pip-version-check -r bench/python/requirements.txt
    echo "$want" >"$VENV/.pins"
fi
want="$(sha256sum bench/node/package-lock.json | cut -d' ' -f1)"
if [[ "$(cat bench/node/node_modules/.pins 2>/dev/null)" != "$want" ]]; then
    log "npm ci (upstox-js-sdk)"
    (cd bench/node && npm ci --no-audit --no-fund --loglevel=error)
    echo "$want" >bench/node/node_modules/.pins
fi

log "cargo build --release -p upstox-login-bench"
cargo build --release -p upstox-login-bench
exec target/release/upstox-login-bench run "$ROOT" "$@"
