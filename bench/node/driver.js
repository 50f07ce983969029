'use strict';
// Driver for the official Node SDK (upstox-js-sdk), run by `cargo xtask bench`.
//
//   node driver.js as-shipped|keep-alive N WARMUP BASE_URL
//
// WARMUP untimed, then N timed sequential token exchanges through one LoginApi;
// prints one JSON line as the Rust client does (bench/src/clients.rs).
// As shipped, the SDK (superagent without an agent) opens a new connection for
// every call and sends `Connection: close`; `keep-alive` hands it a keep-alive
// http.Agent through its documented `ApiClient.requestAgent` hook.

const http = require('http');
const UpstoxClient = require('upstox-js-sdk');
const { version } = require('./node_modules/upstox-js-sdk/package.json');

function token(api, i) {
  const opts = {
    code: `bench-code-${i}`,
    clientId: 'bench-client-id',
    clientSecret: 'bench-client-secret',
    redirectUri: 'http://127.0.0.1/callback',
    grantType: 'authorization_code',
  };
  return new Promise((resolve, reject) => {
    api.token('2.0', opts, (error, data) => {
      if (error) reject(error);
      else if (!data || data.accessToken !== 'bench-access-token') reject(new Error('not the expected access_token'));
      else resolve();
    });
  });
}

async function main() {
  const [mode, n, warmup, baseUrl] = process.argv.slice(2).map((a, i) => (i === 1 || i === 2 ? Number(a) : a));
  const client = UpstoxClient.ApiClient.instance;
  client.basePath = baseUrl;
  if (mode === 'keep-alive') client.requestAgent = new http.Agent({ keepAlive: true });
  const api = new UpstoxClient.LoginApi(client);
  let failed = 0;
  let firstError = null;
  const latencies = [];
  let started = process.hrtime.bigint();
  for (let i = 0; i < warmup + n; i++) {
    if (i === warmup) started = process.hrtime.bigint();
    const before = process.hrtime.bigint();
    try {
      await token(api, i);
      if (i >= warmup) latencies.push(Number(process.hrtime.bigint() - before) / 1e3);
    } catch (e) {
      failed += 1;
      firstError = firstError || `${(e && e.message) || e}${e && e.status ? ` (HTTP ${e.status})` : ''}`.slice(0, 300);
    }
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  latencies.sort((a, b) => a - b);
  const percentile = (p) => latencies[Math.max(Math.ceil((p / 100) * latencies.length), 1) - 1] || 0;
  console.log(JSON.stringify({
    calls_per_s: n / seconds,
    p50_us: percentile(50),
    p99_us: percentile(99),
    failed,
    first_error: firstError,
    version: `Node ${process.version} with upstox-js-sdk ${version}`,
  }));
  process.exitCode = failed ? 1 : 0;
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 2;
});
