// The built command as a user runs it, for the tests that spawn it (`npm test` builds dist/ first).

import { spawn } from 'node:child_process';
import { join, resolve } from 'node:path';

export const PROJECT_ROOT = resolve(import.meta.dirname, '..', '..');
export const BIN = join(PROJECT_ROOT, 'bin', 'bootstrap-test.js');

export interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface RunSettings {
  env?: Record<string, string | undefined>;
  cwd?: string;
  /** Written to standard input, which is then closed; without it the child gets no standard input. */
  stdin?: string;
}

/** Runs a command to its end and collects what it printed. */
export function runCommand(command: string, args: readonly string[], settings: RunSettings = {}): Promise<Ran> {
  return new Promise((resolvePromise, reject) => {
    // Only the PIN a test gives: never one inherited from the developer's shell.
    const env = { ...process.env, BOOTSTRAP_TEST_PIN: undefined, NO_COLOR: '1', ...settings.env };
    const child = spawn(command, args, { env, cwd: settings.cwd ?? PROJECT_ROOT, stdio: [settings.stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (chunk) => (stdout += chunk));
    child.stderr?.on('data', (chunk) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolvePromise({ code, stdout, stderr }));
    if (settings.stdin !== undefined) child.stdin?.end(settings.stdin);
  });
}

/** `bootstrap-test ARGS` with the built command. */
export function runCli(args: readonly string[], settings: RunSettings = {}): Promise<Ran> {
  return runCommand(process.execPath, [BIN, ...args], settings);
}
