"""`python driver.py N WARMUP BASE_URL`: the official Python SDK's driver for
`cargo xtask bench`. WARMUP untimed, then N timed sequential token exchanges
through one LoginApi; one JSON line out, as bench/src/clients.rs prints. The
first failed call fails the run."""

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

    def token(i):
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

    for i in range(warmup):
        token(i)
    latencies = []
    started = time.perf_counter()
    for i in range(n):
        before = time.perf_counter()
        token(i)
        latencies.append((time.perf_counter() - before) * 1e6)
    seconds = time.perf_counter() - started
    latencies.sort()
    percentile = lambda p: latencies[max(math.ceil(p / 100 * n), 1) - 1]
    sdk = importlib.metadata.version("upstox-python-sdk")
    print(json.dumps({
        "calls_per_s": n / seconds,
        "p50_us": percentile(50),
        "p99_us": percentile(99),
        "version": "Python %s with upstox-python-sdk %s" % (platform.python_version(), sdk),
    }))


if __name__ == "__main__":
    main()
