"""Benchmark driver for the official Python SDK (upstox-python-sdk).

Runs one workload against the stand-in server and prints one JSON line of the
same shape as the Rust driver's (see bench/src/clients.rs, `Outcome`).

    python driver.py --workload token_seq|logout_seq|token_64 --n N \
        [--warmup W] --base-url http://127.0.0.1:PORT
"""

import argparse
import concurrent.futures
import itertools
import json
import math
import sys
import threading
import time

import upstox_client

CLIENT_ID = "bench-client-id"
CLIENT_SECRET = "bench-client-secret"
REDIRECT_URI = "http://127.0.0.1/callback"
ACCESS_TOKEN = "bench-access-token"
API_VERSION = "2.0"
IN_FLIGHT = 64


def make_api(base_url):
    configuration = upstox_client.Configuration()
    configuration.host = base_url
    configuration.access_token = ACCESS_TOKEN
    # The default pool keeps cpu_count * 5 connections; with 64 threads in
    # flight the rest would be opened and dropped on every call.
    configuration.connection_pool_maxsize = IN_FLIGHT
    return upstox_client.LoginApi(upstox_client.ApiClient(configuration))


def token(api, i):
    response = api.token(
        API_VERSION,
        code="bench-code-%d" % i,
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        redirect_uri=REDIRECT_URI,
        grant_type="authorization_code",
    )
    if not isinstance(response, upstox_client.TokenResponse):
        raise RuntimeError("token: unexpected answer type %r" % type(response))
    if response.access_token != ACCESS_TOKEN:
        raise RuntimeError("token: unexpected access_token %r" % response.access_token)


def logout(api, _i):
    response = api.logout(API_VERSION)
    if response.status != "success" or response.data is not True:
        raise RuntimeError("logout: unexpected answer %r" % response)


class Tally:
    def __init__(self):
        self.latencies_ns = []
        self.failed = 0
        self.first_error = None
        self.lock = threading.Lock()

    def record(self, started_ns, error):
        elapsed = time.perf_counter_ns() - started_ns
        with self.lock:
            if error is None:
                self.latencies_ns.append(elapsed)
            else:
                self.failed += 1
                if self.first_error is None:
                    self.first_error = error


def call(op, api, i, tally):
    started = time.perf_counter_ns()
    try:
        op(api, i)
        error = None
    except Exception as e:  # every failure counts, whatever it is
        error = "%s: %s" % (type(e).__name__, str(e)[:300])
    tally.record(started, error)


def sequential(op, api, start, n, tally):
    for i in range(start, start + n):
        call(op, api, i, tally)


def in_flight(api, start, n, tally, pool):
    """IN_FLIGHT threads, each calling in a loop until n calls were started."""
    counter = itertools.count()
    lock = threading.Lock()

    def worker():
        while True:
            with lock:
                i = next(counter)
            if i >= n:
                return
            call(token, api, start + i, tally)

    futures = [pool.submit(worker) for _ in range(IN_FLIGHT)]
    for f in futures:
        f.result()


def percentile_us(sorted_ns, p):
    if not sorted_ns:
        return 0.0
    rank = math.ceil(p / 100.0 * len(sorted_ns))
    index = min(max(rank, 1), len(sorted_ns)) - 1
    return sorted_ns[index] / 1000.0


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--workload", required=True, choices=["token_seq", "logout_seq", "token_64"])
    parser.add_argument("--n", type=int, required=True)
    parser.add_argument("--warmup", type=int, default=100)
    parser.add_argument("--base-url", required=True)
    args = parser.parse_args()

    api = make_api(args.base_url.rstrip("/"))
    warm = Tally()
    tally = Tally()
    if args.workload == "token_64":
        runtime = "ThreadPoolExecutor(%d)" % IN_FLIGHT
        with concurrent.futures.ThreadPoolExecutor(max_workers=IN_FLIGHT) as pool:
            in_flight(api, 0, args.warmup, warm, pool)
            cpu_started = time.process_time()
            started = time.perf_counter()
            in_flight(api, args.warmup, args.n, tally, pool)
            elapsed = time.perf_counter() - started
            cpu_s = time.process_time() - cpu_started
    else:
        runtime = "sync"
        op = token if args.workload == "token_seq" else logout
        sequential(op, api, 0, args.warmup, warm)
        cpu_started = time.process_time()
        started = time.perf_counter()
        sequential(op, api, args.warmup, args.n, tally)
        elapsed = time.perf_counter() - started
        cpu_s = time.process_time() - cpu_started

    failed = tally.failed + warm.failed
    first_error = tally.first_error or warm.first_error
    lat = sorted(tally.latencies_ns)
    print(json.dumps({
        "client": "python-sdk",
        "runtime": runtime,
        "workload": args.workload,
        "n": args.n,
        "ok": len(lat),
        "failed": failed,
        "first_error": first_error,
        "elapsed_s": elapsed,
        "p50_us": percentile_us(lat, 50),
        "p99_us": percentile_us(lat, 99),
        "cpu_s": cpu_s,
    }))
    sys.stdout.flush()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
