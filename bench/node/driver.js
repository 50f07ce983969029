'use strict';
// `node driver.js as-shipped|keep-alive N WARMUP BASE_URL`: the official Node
// SDK's driver for `cargo xtask bench`. WARMUP untimed, then N timed sequential
// token exchanges through one LoginApi; one JSON line out, as bench/src/clients.rs
// prints. The first failed call fails the run. As shipped, the SDK opens a new
// connection for every call (superagent without an agent); `keep-alive` sets a
// keep-alive agent through its `requestAgent` hook.

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
  for (let i = 0; i < warmup; i++) await token(api, i);
  const latencies = [];
  const started = process.hrtime.bigint();
  for (let i = 0; i < n; i++) {
    const before = process.hrtime.bigint();
    await token(api, i);
    latencies.push(Number(process.hrtime.bigint() - before) / 1e3);
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  latencies.sort((a, b) => a - b);
  const percentile = (p) => latencies[Math.max(Math.ceil((p / 100) * n), 1) - 1];
  console.log(JSON.stringify({
    calls_per_s: n / seconds,
    p50_us: percentile(50),
    p99_us: percentile(99),
    version: `Node ${process.version} with upstox-js-sdk ${version}`,
  }));
}

main().catch((e) => {
  console.error(`${(e && e.message) || e}${e && e.status ? ` (HTTP ${e.status})` : ''}`);
  process.exitCode = 1;
});
