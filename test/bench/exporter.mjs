// The exporter against the lab pool (lab in a child process, so this process's CPU is the
// exporter's). Prints:
// - real sign-ins through GET /probe, one after another: p50/p99 latency and exporter CPU per probe;
// - scrapes answered from the cache (min_interval not reached) at 50 concurrent clients: rate;
// - memory (heap after GC, RSS) before and after REAL_FOR_MEMORY real probes and 10,000 cached scrapes.
// One account only: the exporter never runs two sign-ins of one account at once, so concurrency over
// real sign-ins needs many lab users (not measured here). Numbers only; nothing here asserts on time.

import { fork } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
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

function moduleYaml(lab, name, minInterval) {
  return `  ${name}:
    account: { extension: "${lab.sampleUser.phoneOrExt}", pin_env: BENCH_PIN, expected_sip_uri: "${lab.sampleUser.sipUri}" }
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
    await writeFile(file, `concurrency: 4\nmodules:\n${moduleYaml(lab, 'live', '1ms')}\n${moduleYaml(lab, 'cached', '24h')}\n`);
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
    await exporter.stop();
  } finally {
    child.send('stop');
    await rm(dir, { recursive: true, force: true });
  }
}

if (process.argv[2] === '--lab-child') {
  const { startLab } = await import(dist('lab/pool.js'));
  const lab = await startLab({});
  process.send({ fqdn: lab.fqdn, ports: lab.ports, sampleUser: lab.sampleUser });
  process.on('message', async () => {
    await lab.stop();
    process.exit(0);
  });
} else {
  await main();
}
