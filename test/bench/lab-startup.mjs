// Start-up of `bootstrap-test lab`: from process start to the printed banner (the figure the banner
// itself reports, measured by the lab process), and stop on SIGTERM. Target: under one second.

import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const RUNS = Number(process.env.LAB_STARTUP_RUNS ?? 15);

function startOnce(extraArgs) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(root, 'bin', 'bootstrap-test.js'), 'lab', '--quiet', ...extraArgs], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error('no banner within 10 s'));
    }, 10_000);
    child.stdout.on('data', (chunk) => {
      out += chunk;
      const ready = /ready (\d+) ms after start/.exec(out);
      if (ready) {
        clearTimeout(timer);
        const stopAt = performance.now();
        child.once('exit', (code) => resolve({ readyMs: Number(ready[1]), stopMs: performance.now() - stopAt, code }));
        child.kill('SIGTERM');
      }
    });
    child.once('error', reject);
  });
}

const sorted = (values) => [...values].sort((a, b) => a - b);
const at = (values, q) => sorted(values)[Math.min(values.length - 1, Math.floor(q * values.length))];

async function scenario(label, extraArgs) {
  const results = [];
  for (let i = 0; i < RUNS; i++) results.push(await startOnce(extraArgs));
  const ready = results.map((r) => r.readyMs);
  const stop = results.map((r) => r.stopMs);
  console.log(`${label}, process start -> banner, ${RUNS} runs: median ${at(ready, 0.5)} ms, p90 ${at(ready, 0.9)} ms, max ${Math.max(...ready)} ms (target < 1000 ms)`);
  console.log(`${label}, SIGTERM -> exit: median ${Math.round(at(stop, 0.5))} ms, max ${Math.round(Math.max(...stop))} ms`);
  if (results.some((r) => r.code !== 0)) {
    console.log(`exit codes: ${results.map((r) => r.code).join(' ')}`);
    process.exitCode = 1;
  }
}

// A new CA and server key per start (two RSA 2048 key pairs in parallel).
await scenario('lab, fresh CA', []);
// The CA kept in --ca-dir: only the server key is generated.
const caDir = mkdtempSync(join(tmpdir(), 'bootstrap-test-bench-ca-'));
try {
  await startOnce(['--ca-dir', caDir]);
  await scenario('lab, --ca-dir', ['--ca-dir', caDir]);
} finally {
  rmSync(caDir, { recursive: true, force: true });
}
