// The real Prometheus tools (Debian package `prometheus`) as test oracles. Without them the tests
// that need them skip with a message; under CI=true they fail instead (the CI installs the package).

import { spawn, spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

export const inCi = process.env.CI === 'true';

function binaryMissing(name: string): string | undefined {
  const found = spawnSync(name, ['--version'], { stdio: 'ignore' });
  return found.error ? `${name} is not installed (apt-get install --no-install-recommends prometheus)` : undefined;
}

export const promtoolMissing = binaryMissing('promtool');
export const prometheusMissing = binaryMissing('prometheus');

/**
 * `describe` when the tool is there; a failing test under CI=true when it is not; a skipped block
 * naming the reason elsewhere.
 */
export function describeWithTool(missing: string | undefined, title: string, body: () => void): void {
  if (missing === undefined) describe(title, body);
  else if (inCi) {
    describe(title, () => {
      it('can run here (CI=true requires it)', () => {
        throw new Error(`cannot run: ${missing}`);
      });
    });
  } else describe.skip(`${title} (skipped: ${missing})`, () => it('needs the prometheus package', () => undefined));
}

export interface ToolResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a binary with `input` on stdin, within `timeoutMs`. */
export function runTool(command: string, args: string[], input = '', timeoutMs = 20_000): Promise<ToolResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(input);
  });
}

/** `promtool check metrics` on an exposition: exit 0 and nothing printed means no parse error and no lint finding. */
export async function checkMetrics(exposition: string): Promise<ToolResult> {
  return runTool('promtool', ['check', 'metrics'], exposition);
}

/** Sample values of an exposition by series (`name{labels}`). */
export function seriesOf(text: string): Map<string, number> {
  const result = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const space = line.lastIndexOf(' ');
    result.set(line.slice(0, space), Number(line.slice(space + 1)));
  }
  return result;
}

/**
 * Asserts `promtool check metrics` finds nothing (exit 0, no output). Outside CI without promtool
 * it returns without checking: the describeWithTool suites are the ones that fail or skip loudly.
 */
export async function expectLintClean(exposition: string): Promise<void> {
  if (promtoolMissing !== undefined && !inCi) return;
  const checked = await checkMetrics(exposition);
  expect({ code: checked.code, findings: `${checked.stdout}${checked.stderr}`.trim() }).toEqual({ code: 0, findings: '' });
}
