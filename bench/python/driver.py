"""Driver for the official Python SDK (upstox-python-sdk), run by `cargo xtask bench`.

    python driver.py N WARMUP BASE_URL

WARMUP untimed, then N timed sequential token exchanges through one LoginApi;
prints one JSON line as the Rust client does (bench/src/clients.rs).
"""

import importlib.metadata
import json
import math
import platform
import sys
import time

import upstox_client


def main():
    n, warmup, base_url = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    configuration = upstox_client.Configuration()
    configuration.host = base_url
    api = upstox_client.LoginApi(upstox_client.ApiClient(configuration))
    failed, first_error, latencies = 0, None, []
    started = time.perf_counter()
    for i in range(warmup + n):
        if i == warmup:
            started = time.perf_counter()
        before = time.perf_counter()
        try:
            answer = api.token(
                "2.0",
                code="bench-code-%d" % i,
                client_id="bench-client-id",
                client_secret="bench-client-secret",
                redirect_uri="http://127.0.0.1/callback",
                grant_type="authorization_code",
            )
            if answer.access_token != "bench-access-token":
                raise RuntimeError("not the expected access_token")
            if i >= warmup:
                latencies.append((time.perf_counter() - before) * 1e6)
        except Exception as e:  # every failure counts, whatever it is
            failed += 1
            first_error = first_error or "%s: %s" % (type(e).__name__, str(e)[:300])
    seconds = time.perf_counter() - started
    latencies.sort()
    percentile = lambda p: latencies[max(math.ceil(p / 100 * len(latencies)), 1) - 1] if latencies else 0
    print(json.dumps({
        "calls_per_s": n / seconds,
        "p50_us": percentile(50),
        "p99_us": percentile(99),
        "failed": failed,
        "first_error": first_error,
        "version": "Python %s with upstox-python-sdk %s"
        % (platform.python_version(), importlib.metadata.version("upstox-python-sdk")),
    }))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
