// The real `bootstrap-test lab` process (dist/, so `npm run build` first) removes the private PIN file
// it hands out, whichever terminating signal ends it.

import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const bin = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bin', 'bootstrap-test.js');
// Generous: key generation on a loaded 2-core machine; a hang fails the test instead of passing it.
const READY_TIMEOUT_MS = 60_000;

let caDir: string;
beforeAll(async () => {
  // One CA kept across the runs, so that each start generates only its server key.
  caDir = await mkdtemp(join(tmpdir(), 'bt-lab-signals-'));
});
afterAll(async () => {
  await rm(caDir, { recursive: true, force: true });
});

interface Stopped {
  pinFile: string;
  pinWhileRunning: string;
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
}

function runLabUntil(signal: NodeJS.Signals): Promise<Stopped> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, 'lab', '--no-dhcp', '--quiet', '--ca-dir', caDir], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let pinFile = '';
    let pinWhileRunning = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`lab not ready within ${READY_TIMEOUT_MS} ms: ${stderr}`));
    }, READY_TIMEOUT_MS);
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const found = /--pin-file (\S+)/.exec(stdout)?.[1];
      if (found === undefined || pinFile !== '') return;
      pinFile = found;
      readFile(pinFile, 'utf8').then(
        (text) => {
          pinWhileRunning = text.trim();
          child.kill(signal);
        },
        (error: unknown) => {
          child.kill('SIGKILL');
          reject(error);
        },
      );
    });
    child.on('error', reject);
    child.on('exit', (code, exitSignal) => {
      clearTimeout(timer);
      resolve({ pinFile, pinWhileRunning, code, signal: exitSignal, stderr });
    });
  });
}

describe('bootstrap-test lab ended by a signal', () => {
  it.each(['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR2'] as const)('removes its PIN file on %s', async (signal) => {
    const stopped = await runLabUntil(signal);
    expect(stopped.pinFile).toMatch(/sample-user\.pin$/);
    expect(stopped.pinWhileRunning).toMatch(/^\d+$/);
    expect(stopped.stderr).toContain(`stopped (${signal})`);
    expect(stopped.code).toBe(0);
    expect(existsSync(stopped.pinFile)).toBe(false);
    expect(existsSync(dirname(stopped.pinFile))).toBe(false);
  }, READY_TIMEOUT_MS + 10_000);
});
