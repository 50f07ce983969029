#!/usr/bin/env bash
# `cargo xtask bench [--smoke]` runs this: it installs what is missing (see
# bench/README.md), builds the harness and the command and runs it.
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

# Two builds, so that the harness's SDK keeps its default features (one
# build would unify them with the command's). The harness at opt-level 3, as
# users' release builds are; the command as `cargo install` builds it.
log "cargo build --profile bench-harness -p upstox-login-bench; --release -p upstox-login-cli"
cargo build --profile bench-harness -p upstox-login-bench
cargo build --release -p upstox-login-cli
# The harness runs both from under ./target.
BUILT="${CARGO_TARGET_DIR:-target}"
if [[ "$(realpath -m "$BUILT")" != "$(realpath -m target)" ]]; then
    mkdir -p target/release target/bench-harness
    cp -f "$BUILT/bench-harness/upstox-login-bench" target/bench-harness/
    cp -f "$BUILT/release/upstox-login" target/release/
fi
exec target/bench-harness/upstox-login-bench run "$ROOT" "$@"
