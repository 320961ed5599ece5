// Ctrl-C and SIGTERM during a run: the built command, spawned against the lab, is signalled while
// the lab holds its web-ticket request unanswered (blackhole fault). The run must say where it was
// stopped, exit 130 / 143, keep --json valid, and never turn the interrupt into a server fault.
// Needs `npm run build` (npm test does it).

import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLab, type Lab } from '../../src/lab/pool.js';
import type { JsonReport } from '../../src/report/json.js';

const BIN = resolve(import.meta.dirname, '../../bin/bootstrap-test.js');

interface Ran {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

describe('a run stopped by a signal', () => {
  let lab: Lab;
  /** Called by the lab when it swallows a request: the moment the run is inside the webticket stage. */
  let onBlackholed: (() => void) | undefined;

  beforeAll(async () => {
    lab = await startLab({
      faults: ['blackhole:webticket'],
      log: (line) => {
        if (line.includes('blackholed')) onBlackholed?.();
      },
    });
  });
  afterAll(async () => {
    await lab?.stop();
  });

  /** Runs the CLI against the lab and sends `signal` once the lab holds the web-ticket request. */
  function runAndSignal(signal: NodeJS.Signals, extraArgs: string[]): Promise<Ran> {
    return new Promise((resolvePromise, reject) => {
      const env = { ...process.env, BOOTSTRAP_TEST_PIN: lab.sampleUser.pin ?? '', NO_COLOR: '1' };
      const child = spawn(process.execPath, [BIN, ...lab.clientArguments(), '--listen-ms', '200', ...extraArgs], { env });
      let stdout = '';
      let stderr = '';
      let signalled = false;
      onBlackholed = () => {
        if (signalled) return;
        signalled = true;
        child.kill(signal);
      };
      child.stdout.on('data', (chunk) => (stdout += chunk));
      child.stderr.on('data', (chunk) => (stderr += chunk));
      child.on('error', reject);
      child.on('close', (code, closedBy) => {
        onBlackholed = undefined;
        if (!signalled) reject(new Error(`the run ended before reaching the web ticket request (exit ${code}): ${stderr}`));
        else resolvePromise({ code, signal: closedBy, stdout, stderr });
      });
    });
  }

  it('SIGINT: says where, exits 130, and --json is a valid object with result "Interrupted"', async () => {
    const ran = await runAndSignal('SIGINT', ['--json']);
    expect(ran.signal).toBeNull();
    expect(ran.code).toBe(130);
    expect(ran.stderr).toContain('interrupted during webticket');
    const json = JSON.parse(ran.stdout) as JsonReport;
    expect(json.summary.result).toBe('Interrupted');
    expect(json.summary.error).toBe('interrupted during webticket (SIGINT)');
    expect(json.summary.failedStage).toBeNull();
    expect(json.summary.diagnosis).toEqual([]);
    // Stages before the interrupt stand; none is a failure, and no diagnosis blames the server.
    expect(json.stages.map((stage) => [stage.name, stage.status])).toEqual([
      ['discover', 'pass'],
      ['rootchain', 'pass'],
      ['webticket', 'not-run'],
      ['certprov-mex', 'not-run'],
      ['resolveuser', 'not-run'],
      ['webticket-sip', 'not-run'],
      ['certificate', 'not-run'],
      ['time', 'not-run'],
      ['dns', 'not-run'],
      ['registrar-tls', 'not-run'],
      ['register', 'not-run'],
    ]);
    expect(json.stages.filter((stage) => stage.diagnosis !== null)).toEqual([]);
    expect(json.stages.find((stage) => stage.name === 'webticket')?.error?.observation).toBe('local:interrupted');
    expect(ran.stdout).not.toContain('webticket-no-response');
  });

  it('SIGTERM: exits 143 with the summary saying Interrupted, not a failure', async () => {
    const ran = await runAndSignal('SIGTERM', []);
    expect(ran.signal).toBeNull();
    expect(ran.code).toBe(143);
    expect(ran.stderr).toContain('bootstrap-test: interrupted during webticket (SIGTERM)');
    expect(ran.stdout).toMatch(/^Result\s+: Interrupted$/m);
    expect(ran.stdout).toMatch(/^Error\s+: interrupted during webticket \(SIGTERM\)$/m);
    expect(ran.stdout + ran.stderr).not.toMatch(/webticket-no-response|FAIL|✗/);
  });
});
