// The exporter against the lab pool (lab in a child process, so this process's CPU is the
// exporter's). Prints:
// - real sign-ins through GET /probe, one after another: p50/p99 latency and exporter CPU per probe;
// - scrapes answered from the cache (min_interval not reached) at 50 concurrent clients: rate;
// - memory (heap after GC, RSS) before and after REAL_FOR_MEMORY real probes and 10,000 cached scrapes.
// - real sign-ins at 1, 10, 50 and 200 concurrent scrapers, each on its own account (the exporter
//   never runs two sign-ins of one account at once): probes/s, p50/p99 latency including queue time.
// - the floor: the lab alone serving pre-built requests (the HTTP requests of one recorded sign-in,
//   replayed as they were, each replayed sign-in on its own connections as a probe opens them) at 50
//   concurrent clients, and the ratio of the exporter's rate at 50 concurrent probes to it (target 0.8).
// - memory after MEMORY_PROBES (10,000) probes, real sign-ins with certificate reuse (the PIN path
//   once, then the stages without the PIN, as the exporter runs them between full paths).
// Numbers only; nothing here asserts on time.

import { fork } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { Agent as HttpAgent, request } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

const here = dirname(fileURLToPath(import.meta.url));
const dist = (path) => join(here, '..', '..', 'dist', path);
const SEQUENTIAL = Number(process.env.BENCH_RUNS ?? 30);
const REAL_FOR_MEMORY = Number(process.env.BENCH_EXPORTER_REAL ?? 200);
const CACHED = 10_000;
const CLIENTS = 50;
const ACCOUNTS = 200;
const LEVELS = [1, 10, 50, 200];
const PROBES_PER_LEVEL = Number(process.env.BENCH_EXPORTER_PER_LEVEL ?? 200);
const EXPORTER_CONCURRENCY = 8;
const FLOOR_CLIENTS = 50;
const FLOOR_SIGN_INS = Number(process.env.BENCH_FLOOR_SIGN_INS ?? 400);
const FLOOR_TARGET = 0.8;
const MEMORY_PROBES = Number(process.env.BENCH_EXPORTER_MEMORY_PROBES ?? 10_000);

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc');

function get(url) {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode));
    });
    req.on('error', reject);
    req.end();
  });
}

const percentile = (values, p) => [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor(values.length * p))];
const memory = () => {
  gc();
  const usage = process.memoryUsage();
  return `heap ${(usage.heapUsed / 1048576).toFixed(1)} MiB, RSS ${(usage.rss / 1048576).toFixed(1)} MiB`;
};

/** The HTTP requests of one real sign-in against the lab, as the client sent them. */
async function recordSignIn(lab, keyPair, targetUri) {
  const [{ runPipeline }, { PinHolder }, { parseResolveRule }, { informSettings }] = await Promise.all([
    import(dist('stages/pipeline.js')),
    import(dist('stages/pin-holder.js')),
    import(dist('net/resolve.js')),
    import(dist('dhcp/inform-settings.js')),
  ]);
  const requests = [];
  const options = {
    phoneOrExt: lab.sampleUser.phoneOrExt,
    registrarPort: 5061,
    extraTrustAnchors: [],
    resolve: [parseResolveRule(`${lab.fqdn}:80=127.0.0.1:${lab.ports.http}`), parseResolveRule(`${lab.fqdn}=127.0.0.1`)],
    dhcp: informSettings({}),
    targetUri,
    targetFqdn: lab.fqdn,
    timeoutMs: 30_000,
    csrHash: 'sha1',
    maxResponseBytes: 4 * 1024 * 1024,
  };
  const result = await runPipeline(options, new PinHolder(lab.sampleUser.pin), { onExchange: (exchange) => requests.push(exchange.request) }, { keyPair });
  if (result.report.result !== 'Success') throw new Error(`the recorded sign-in failed: ${result.report.error}`);
  return requests;
}

/** Sends one recorded sign-in's requests in order on fresh keep-alive connections (as one probe would). */
async function replaySignIn(lab, requests, statuses) {
  const agents = { 'http:': new HttpAgent({ keepAlive: true, maxSockets: 1 }), 'https:': new HttpsAgent({ keepAlive: true, maxSockets: 1, rejectUnauthorized: false }) };
  try {
    for (const recorded of requests) {
      const url = new URL(recorded.url);
      const send = url.protocol === 'https:' ? httpsRequest : request;
      const port = url.port !== '' ? Number(url.port) : url.protocol === 'https:' ? 443 : lab.ports.http;
      const status = await new Promise((resolve, reject) => {
        const req = send(
          {
            host: '127.0.0.1',
            port: url.protocol === 'http:' && port === 80 ? lab.ports.http : port,
            servername: url.hostname,
            method: recorded.method,
            path: `${url.pathname}${url.search}`,
            headers: { ...recorded.headers, host: url.host },
            agent: agents[url.protocol],
          },
          (res) => {
            res.resume();
            res.on('end', () => resolve(res.statusCode));
          },
        );
        req.on('error', reject);
        req.end(recorded.body);
      });
      statuses.set(status, (statuses.get(status) ?? 0) + 1);
    }
  } finally {
    agents['http:'].destroy();
    agents['https:'].destroy();
  }
}

/** The lab alone: FLOOR_SIGN_INS replayed sign-ins by FLOOR_CLIENTS concurrent clients; sign-ins per second. */
async function labFloor(lab, requests) {
  const statuses = new Map();
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: FLOOR_CLIENTS }, async () => {
      while (next < FLOOR_SIGN_INS) {
        next += 1;
        await replaySignIn(lab, requests, statuses);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  return { rate: FLOOR_SIGN_INS / seconds, seconds, statuses };
}

function moduleYaml(lab, name, minInterval, extension = lab.sampleUser.phoneOrExt, extra = '') {
  return `  ${name}:${extra}
    account: { extension: "${extension}", pin_env: BENCH_PIN }
    budgets: { timeout: 30s, min_interval: ${minInterval} }
    trust:
      resolve: ["${lab.fqdn}:80=127.0.0.1:${lab.ports.http}", "${lab.fqdn}=127.0.0.1"]`;
}

async function main() {
  const [{ loadExporterConfigFile }, { startExporter }, { startKeyGeneration }] = await Promise.all([
    import(dist('exporter/config.js')),
    import(dist('exporter/server.js')),
    import(dist('pki/keys.js')),
  ]);
  const child = fork(fileURLToPath(import.meta.url), ['--lab-child'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const lab = await new Promise((resolve) => child.once('message', resolve));
  const dir = await mkdtemp(join(tmpdir(), 'bt-bench-exporter-'));
  try {
    const file = join(dir, 'exporter.yml');
    const accounts = Array.from({ length: ACCOUNTS }, (_, i) => moduleYaml(lab, `acct${i}`, '1ms', String(8000 + i)));
    const reusing = moduleYaml(lab, 'reusing', '1ms', lab.sampleUser.phoneOrExt, '\n    reuse_certificate: { full_interval: 24h }');
    await writeFile(file, `concurrency: ${EXPORTER_CONCURRENCY}\nmodules:\n${moduleYaml(lab, 'live', '1ms')}\n${moduleYaml(lab, 'cached', '24h')}\n${reusing}\n${accounts.join('\n')}\n`);
    const keyPair = startKeyGeneration();
    await keyPair;
    const env = { BENCH_PIN: lab.sampleUser.pin };
    const loadConfig = () => loadExporterConfigFile(file, env);
    const exporter = await startExporter(await loadConfig(), { host: '127.0.0.1', port: 0, loadConfig, keyPair });
    const target = encodeURIComponent(`https://${lab.fqdn}:${lab.ports.https}/CertProv/CertProvisioningService.svc`);
    const live = `${exporter.url}/probe?module=live&target=${target}`;
    const cached = `${exporter.url}/probe?module=cached&target=${target}`;

    for (let i = 0; i < 5; i += 1) await get(live);
    const walls = [];
    const cpuBefore = process.cpuUsage();
    for (let i = 0; i < SEQUENTIAL; i += 1) {
      const started = performance.now();
      await get(live);
      walls.push(performance.now() - started);
    }
    const cpu = process.cpuUsage(cpuBefore);
    console.log(`real sign-ins via /probe (${SEQUENTIAL}, sequential): p50 ${percentile(walls, 0.5).toFixed(1)} ms, p99 ${percentile(walls, 0.99).toFixed(1)} ms, exporter CPU ${((cpu.user + cpu.system) / 1000 / SEQUENTIAL).toFixed(1)} ms per probe`);

    console.log(`memory before: ${memory()}`);
    for (let i = 0; i < REAL_FOR_MEMORY; i += 1) await get(live);
    console.log(`memory after ${REAL_FOR_MEMORY} more real sign-ins: ${memory()}`);

    await get(cached);
    let sent = 0;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: CLIENTS }, async () => {
        while (sent < CACHED) {
          sent += 1;
          await get(cached);
        }
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    console.log(`cached scrapes: ${CACHED} at ${CLIENTS} concurrent clients in ${seconds.toFixed(2)} s = ${(CACHED / seconds).toFixed(0)}/s`);
    console.log(`memory after ${CACHED} cached scrapes: ${memory()}`);

    const recorded = await recordSignIn(lab, keyPair, `https://${lab.fqdn}:${lab.ports.https}/CertProv/CertProvisioningService.svc`);
    const floor = await labFloor(lab, recorded);
    console.log(
      `lab alone, pre-built requests (${recorded.length} requests per sign-in, each sign-in on fresh connections): ${FLOOR_SIGN_INS} sign-ins at ${FLOOR_CLIENTS} concurrent clients in ${floor.seconds.toFixed(2)} s = ${floor.rate.toFixed(1)} sign-ins/s; statuses ${[...floor.statuses].map(([status, count]) => `${status}×${count}`).join(', ')}`,
    );

    const rates = new Map();
    for (const level of LEVELS) {
      const latencies = [];
      let next = 0;
      const cpuStart = process.cpuUsage();
      const pendingBefore = exporter.coordinator.snapshot().scrapesByKind.pending;
      const levelStarted = performance.now();
      await Promise.all(
        Array.from({ length: level }, async (_, client) => {
          while (next < Math.max(PROBES_PER_LEVEL, level)) {
            next += 1;
            const started = performance.now();
            await get(`${exporter.url}/probe?module=acct${client}&target=${target}`);
            latencies.push(performance.now() - started);
          }
        }),
      );
      const seconds = (performance.now() - levelStarted) / 1000;
      rates.set(level, latencies.length / seconds);
      const levelCpu = process.cpuUsage(cpuStart);
      console.log(
        `${String(level).padStart(3)} concurrent scrapers (${latencies.length} scrapes of distinct accounts, exporter concurrency ${EXPORTER_CONCURRENCY}): ${(latencies.length / seconds).toFixed(1)} scrapes/s, p50 ${percentile(latencies, 0.5).toFixed(0)} ms, p99 ${percentile(latencies, 0.99).toFixed(0)} ms, exporter CPU ${((levelCpu.user + levelCpu.system) / 1000 / latencies.length).toFixed(1)} ms per probe, ${exporter.coordinator.snapshot().scrapesByKind.pending - pendingBefore} scrapes answered 'pending' (scrape timeout 10 s reached first)`,
      );
    }
    const ratio = (rates.get(FLOOR_CLIENTS) ?? 0) / floor.rate;
    console.log(
      `exporter at ${FLOOR_CLIENTS} concurrent probes / lab alone at ${FLOOR_CLIENTS}: ${(rates.get(FLOOR_CLIENTS) ?? 0).toFixed(1)} / ${floor.rate.toFixed(1)} = ${ratio.toFixed(2)} (target ≥ ${FLOOR_TARGET}: ${ratio >= FLOOR_TARGET ? 'met' : 'NOT met'})`,
    );

    const reusingUrl = `${exporter.url}/probe?module=reusing&target=${target}`;
    await get(reusingUrl);
    const memoryBefore = memory();
    const reuseStarted = performance.now();
    let reuseSent = 0;
    await Promise.all(
      Array.from({ length: EXPORTER_CONCURRENCY }, async () => {
        while (reuseSent < MEMORY_PROBES) {
          reuseSent += 1;
          await get(reusingUrl);
        }
      }),
    );
    const reuseSeconds = (performance.now() - reuseStarted) / 1000;
    console.log(`${MEMORY_PROBES} probes with certificate reuse (no PIN after the first) in ${reuseSeconds.toFixed(1)} s = ${(MEMORY_PROBES / reuseSeconds).toFixed(0)}/s`);
    console.log(`memory before them: ${memoryBefore}; after ${MEMORY_PROBES} probes: ${memory()}`);

    const stats = exporter.coordinator.snapshot();
    console.log(`results of all real sign-ins: ${stats.probesByResult.success} success, ${stats.probesByResult.failure} failure`);
    console.log(`queue wait over all real sign-ins: mean ${((stats.queueWait.sum / stats.queueWait.count) * 1000).toFixed(0)} ms over ${stats.queueWait.count}`);
    console.log(`memory at the end: ${memory()}`);
    await exporter.stop();
  } finally {
    child.send('stop');
    await rm(dir, { recursive: true, force: true });
  }
}

if (process.argv[2] === '--lab-child') {
  const [{ startLab }, { sampleDirectory }] = await Promise.all([import(dist('lab/pool.js')), import(dist('lab/directory.js'))]);
  const directory = sampleDirectory();
  const template = directory.users[0];
  for (let i = 0; i < ACCOUNTS; i += 1) {
    const digits = String(8000 + i);
    directory.users.push({ ...template, sipUri: `sip:bench${digits}@${template.sipUri.split('@')[1]}`, lineUri: `tel:+1312555${digits};ext=${digits}`, pin: template.pin });
  }
  const lab = await startLab({ directory });
  process.send({ fqdn: lab.fqdn, ports: lab.ports, sampleUser: { ...lab.sampleUser, pin: template.pin } });
  process.on('message', async () => {
    await lab.stop();
    process.exit(0);
  });
} else {
  await main();
}
