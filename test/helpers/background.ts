// A long-running process a test starts and must always stop: its own process group, so stopping it
// also ends anything it started (`ip netns exec` wrappers, workers), output kept for error messages.

import { spawn } from 'node:child_process';

export interface BackgroundProcess {
  output(): string;
  /** Exit code, or the spawn error, once it has ended; undefined while it runs. */
  ended(): string | undefined;
  stop(): Promise<void>;
}

const KILL_AFTER_MS = 3000;

export function startInBackground(command: string, args: string[]): BackgroundProcess {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let output = '';
  let ended: string | undefined;
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.once('error', (error) => (ended = error.message));
  child.once('exit', (code, signal) => (ended ??= `exit ${code ?? signal}`));
  return {
    output: () => output,
    ended: () => ended,
    stop: () =>
      new Promise((resolve) => {
        if (ended !== undefined || child.pid === undefined) return resolve();
        const group = -child.pid;
        const timer = setTimeout(() => process.kill(group, 'SIGKILL'), KILL_AFTER_MS);
        child.once('exit', () => {
          clearTimeout(timer);
          resolve();
        });
        process.kill(group, 'SIGTERM');
      }),
  };
}

/** Polls the process's output until `read` finds what it waits for; stops the process and throws otherwise. */
export async function waitForOutput<T>(what: string, background: BackgroundProcess, read: (output: string) => T | undefined, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = read(background.output());
    if (value !== undefined) return value;
    const ended = background.ended();
    if (ended !== undefined || Date.now() > deadline) {
      await background.stop();
      throw new Error(`${what} was not ready (${ended ?? `nothing within ${timeoutMs} ms`}):\n${background.output()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
