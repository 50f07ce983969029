#!/usr/bin/env bash
# The whole benchmark, on a fresh machine: `cargo xtask bench` runs this.
#
#   bash bench/run.sh [--smoke] [orchestrator options...]
#
# 1. installs what it needs (nginx, wrk, GNU time, valgrind from Debian; a Python venv
#    with the pinned upstox-python-sdk under target/bench/venv; `npm ci` in
#    bench/node for upstox-js-sdk), and builds the harness in release;
# 2. starts the stand-in (nginx, bench/nginx.conf) on 127.0.0.1 and stops it
#    on exit, whatever happens;
# 3. runs `upstox-login-bench orchestrate`, which runs wrk and every client
#    and writes BENCHMARKS.md at the workspace root.
#
# --smoke: tiny N, one round, no cold build; the report goes to
# target/bench/BENCHMARKS.smoke.md instead (BENCHMARKS.md is left alone).
# Environment: BENCH_SMOKE=1 is the same as --smoke; BENCH_PORT picks the
# first port to try (default 18787); BENCH_ARGS adds orchestrator options
# (e.g. BENCH_ARGS="--n 50000 --rounds 5"). See
# `target/release/upstox-login-bench orchestrate --help`.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
WORK="$ROOT/target/bench"
mkdir -p "$WORK"

ARGS=()
if [[ "${BENCH_SMOKE:-}" == 1 ]]; then ARGS+=(--smoke); fi
for arg in "$@"; do ARGS+=("$arg"); done
if [[ -n "${BENCH_ARGS:-}" ]]; then
    read -r -a extra <<<"$BENCH_ARGS"
    ARGS+=("${extra[@]}")
fi

log() { printf '== %s\n' "$*" >&2; }

SUDO=()
if [[ "$(id -u)" != 0 ]]; then SUDO=(sudo); fi

# --- 1. tools -----------------------------------------------------------------
missing=()
command -v nginx >/dev/null 2>&1 || [[ -x /usr/sbin/nginx ]] || missing+=(nginx)
command -v wrk >/dev/null 2>&1 || missing+=(wrk)
[[ -x /usr/bin/time ]] || missing+=(time)
command -v valgrind >/dev/null 2>&1 || missing+=(valgrind)
command -v node >/dev/null 2>&1 || missing+=(nodejs)
command -v npm >/dev/null 2>&1 || missing+=(npm)
command -v python3 >/dev/null 2>&1 || missing+=(python3 python3-venv)
if ((${#missing[@]})); then
    log "apt-get install ${missing[*]}"
    "${SUDO[@]}" apt-get update -qq
    DEBIAN_FRONTEND=noninteractive "${SUDO[@]}" apt-get install -y -qq "${missing[@]}" >/dev/null
fi
NGINX="$(command -v nginx || echo /usr/sbin/nginx)"

# Python venv with the pinned official SDK (rebuilt when the pins change).
VENV="$WORK/venv"
REQ="$ROOT/bench/python/requirements.txt"
STAMP="$VENV/.requirements.sha256"
want="$(sha256sum "$REQ" | cut -d' ' -f1)"
if [[ ! -x "$VENV/bin/python" || "$(cat "$STAMP" 2>/dev/null)" != "$want" ]]; then
    log "python venv with upstox-python-sdk ($VENV)"
    rm -rf "$VENV"
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install --quiet --disable-pip-version-check -r "$REQ"
    echo "$want" >"$STAMP"
fi

# Node SDK, exactly as locked.
NODE_DIR="$ROOT/bench/node"
NSTAMP="$NODE_DIR/node_modules/.package-lock.sha256"
want="$(sha256sum "$NODE_DIR/package-lock.json" | cut -d' ' -f1)"
if [[ "$(cat "$NSTAMP" 2>/dev/null)" != "$want" ]]; then
    log "npm ci (upstox-js-sdk)"
    (cd "$NODE_DIR" && npm ci --no-audit --no-fund --loglevel=error)
    echo "$want" >"$NSTAMP"
fi

log "cargo build --release -p upstox-login-bench"
cargo build --release -p upstox-login-bench
BENCH_BIN="$ROOT/target/release/upstox-login-bench"

# --- 2. the stand-in server ---------------------------------------------------
port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
PORT="${BENCH_PORT:-18787}"
for _ in $(seq 1 50); do
    port_busy "$PORT" || break
    PORT=$((PORT + 1))
done
if port_busy "$PORT"; then
    echo "no free port found near ${BENCH_PORT:-18787}" >&2
    exit 1
fi

NGX="$WORK/nginx"
rm -rf "$NGX"
mkdir -p "$NGX/tmp"
sed "s/@PORT@/$PORT/" "$ROOT/bench/nginx.conf" >"$NGX/nginx.conf"
"$NGINX" -t -q -p "$NGX/" -c "$NGX/nginx.conf"

NGINX_PID=""
cleanup() {
    if [[ -n "$NGINX_PID" ]] && kill -0 "$NGINX_PID" 2>/dev/null; then
        log "stopping nginx ($NGINX_PID)"
        kill -TERM "$NGINX_PID" 2>/dev/null || true
        for _ in $(seq 1 50); do
            kill -0 "$NGINX_PID" 2>/dev/null || break
            sleep 0.1
        done
        kill -KILL "$NGINX_PID" 2>/dev/null || true
        wait "$NGINX_PID" 2>/dev/null || true
    fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log "starting nginx on 127.0.0.1:$PORT"
"$NGINX" -p "$NGX/" -c "$NGX/nginx.conf" -g 'daemon off;' &
NGINX_PID=$!
for _ in $(seq 1 100); do
    port_busy "$PORT" && break
    kill -0 "$NGINX_PID" 2>/dev/null || { echo "nginx exited; see $NGX/error.log" >&2; exit 1; }
    sleep 0.1
done
port_busy "$PORT" || { echo "nginx did not start listening on $PORT" >&2; exit 1; }

# --- 3. measure and report ----------------------------------------------------
"$BENCH_BIN" orchestrate \
    --root "$ROOT" \
    --base-url "http://127.0.0.1:$PORT" \
    --python "$VENV/bin/python" \
    --node "$(command -v node)" \
    --nginx-pid "$NGINX_PID" \
    "${ARGS[@]}"
