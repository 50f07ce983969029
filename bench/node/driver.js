'use strict';
// Benchmark driver for the official Node SDK (upstox-js-sdk).
//
// Runs one workload against the stand-in server and prints one JSON line of
// the same shape as the Rust driver's (see bench/src/clients.rs, `Outcome`).
//
//   node driver.js --workload token_seq|logout_seq|token_64 --n N \
//       [--warmup W] [--keep-alive yes] --base-url http://127.0.0.1:PORT
//
// By default the SDK (through superagent) pools nothing: every call opens a
// new connection and sends `Connection: close`. `--keep-alive yes` hands it a
// keep-alive agent through its documented `ApiClient.requestAgent` hook.

const http = require('http');
const UpstoxClient = require('upstox-js-sdk');

const CLIENT_ID = 'bench-client-id';
const CLIENT_SECRET = 'bench-client-secret';
const REDIRECT_URI = 'http://127.0.0.1/callback';
const ACCESS_TOKEN = 'bench-access-token';
const API_VERSION = '2.0';
const IN_FLIGHT = 64;

function parseArgs(argv) {
  const args = { warmup: 100, 'keep-alive': 'no' };
  for (let i = 0; i < argv.length; i += 2) {
    const name = argv[i].replace(/^--/, '');
    const value = argv[i + 1];
    if (value === undefined) throw new Error(`--${name} needs a value`);
    args[name] = value;
  }
  for (const required of ['workload', 'n', 'base-url']) {
    if (args[required] === undefined) throw new Error(`--${required} is required`);
  }
  if (!['token_seq', 'logout_seq', 'token_64'].includes(args.workload)) {
    throw new Error(`unknown workload ${args.workload}`);
  }
  if (!['yes', 'no'].includes(args['keep-alive'])) throw new Error('--keep-alive takes yes or no');
  args.n = Number(args.n);
  args.warmup = Number(args.warmup);
  return args;
}

function makeApi(baseUrl, keepAlive) {
  const client = UpstoxClient.ApiClient.instance;
  client.basePath = baseUrl;
  if (keepAlive) {
    client.requestAgent = new http.Agent({ keepAlive: true, maxSockets: IN_FLIGHT });
  }
  client.authentications.OAUTH2.accessToken = ACCESS_TOKEN;
  return new UpstoxClient.LoginApi(client);
}

function token(api, i) {
  return new Promise((resolve, reject) => {
    const opts = {
      code: `bench-code-${i}`,
      clientId: CLIENT_ID,
      clientSecret: CLIENT_SECRET,
      redirectUri: REDIRECT_URI,
      grantType: 'authorization_code',
    };
    api.token(API_VERSION, opts, (error, data) => {
      if (error) return reject(error);
      if (!(data instanceof UpstoxClient.TokenResponse)) {
        return reject(new Error(`token: unexpected answer ${JSON.stringify(data)}`));
      }
      if (data.accessToken !== ACCESS_TOKEN) {
        return reject(new Error(`token: unexpected access_token ${data.accessToken}`));
      }
      resolve();
    });
  });
}

function logout(api) {
  return new Promise((resolve, reject) => {
    api.logout(API_VERSION, (error, data) => {
      if (error) return reject(error);
      if (!data || data.status !== 'success' || data.data !== true) {
        return reject(new Error(`logout: unexpected answer ${JSON.stringify(data)}`));
      }
      resolve();
    });
  });
}

class Tally {
  constructor() {
    this.latenciesNs = [];
    this.failed = 0;
    this.firstError = null;
  }

  async call(op, api, i) {
    const started = process.hrtime.bigint();
    try {
      await op(api, i);
      this.latenciesNs.push(Number(process.hrtime.bigint() - started));
    } catch (e) {
      this.failed += 1;
      if (this.firstError === null) {
        const status = e && e.status ? ` (HTTP ${e.status})` : '';
        this.firstError = `${(e && e.message) || e}${status}`.slice(0, 300);
      }
    }
  }
}

async function sequential(op, api, start, n, tally) {
  for (let i = start; i < start + n; i++) {
    await tally.call(op, api, i);
  }
}

// IN_FLIGHT async workers, each calling in a loop until n calls were started.
async function inFlight(api, start, n, tally) {
  let next = 0;
  const worker = async () => {
    for (;;) {
      const i = next++;
      if (i >= n) return;
      await tally.call(token, api, start + i);
    }
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
}

function percentileUs(sortedNs, p) {
  if (sortedNs.length === 0) return 0;
  const rank = Math.ceil((p / 100) * sortedNs.length);
  const index = Math.min(Math.max(rank, 1), sortedNs.length) - 1;
  return sortedNs[index] / 1000;
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const keepAlive = args['keep-alive'] === 'yes';
  const api = makeApi(args['base-url'].replace(/\/+$/, ''), keepAlive);
  const warm = new Tally();
  const tally = new Tally();
  let elapsedNs;
  let cpu;
  if (args.workload === 'token_64') {
    await inFlight(api, 0, args.warmup, warm);
    const cpuStarted = process.cpuUsage();
    const started = process.hrtime.bigint();
    await inFlight(api, args.warmup, args.n, tally);
    elapsedNs = process.hrtime.bigint() - started;
    cpu = process.cpuUsage(cpuStarted);
  } else {
    const op = args.workload === 'token_seq' ? token : logout;
    await sequential(op, api, 0, args.warmup, warm);
    const cpuStarted = process.cpuUsage();
    const started = process.hrtime.bigint();
    await sequential(op, api, args.warmup, args.n, tally);
    elapsedNs = process.hrtime.bigint() - started;
    cpu = process.cpuUsage(cpuStarted);
  }
  const lat = Float64Array.from(tally.latenciesNs).sort();
  const failed = tally.failed + warm.failed;
  process.stdout.write(
    JSON.stringify({
      client: keepAlive ? 'node-sdk-keepalive' : 'node-sdk',
      runtime: args.workload === 'token_64' ? `${IN_FLIGHT} async workers` : 'await in a loop',
      workload: args.workload,
      n: args.n,
      ok: lat.length,
      failed,
      first_error: tally.firstError || warm.firstError,
      elapsed_s: Number(elapsedNs) / 1e9,
      p50_us: percentileUs(lat, 50),
      p99_us: percentileUs(lat, 99),
      cpu_s: (cpu.user + cpu.system) / 1e6,
    }) + '\n',
  );
  process.exitCode = failed ? 1 : 0;
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 2;
});
