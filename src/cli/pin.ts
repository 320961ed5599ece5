// Where the PIN comes from: --pin (cmdlet compatibility, warned about), --pin-file, --pin-stdin,
// BOOTSTRAP_TEST_PIN, or a hidden prompt on a terminal. Errors never echo the value.

import { readFile, stat } from 'node:fs/promises';
import { BootstrapTestError, UsageError } from '../errors.js';

export type PinSourceName = '--pin' | '--pin-file' | '--pin-stdin' | 'BOOTSTRAP_TEST_PIN' | 'prompt';

export const PIN_ENV = 'BOOTSTRAP_TEST_PIN';

export interface PinRequest {
  pin?: string;
  pinFile?: string;
  pinStdin?: boolean;
  env: NodeJS.ProcessEnv;
  stdin: NodeJS.ReadStream;
  stderr: NodeJS.WritableStream;
}

export interface ObtainedPin {
  pin: string;
  source: PinSourceName;
}

/** Lync PINs are digits; the server's PIN policy decides the length (4..24 by its own limits). */
export function validatePin(pin: string, source: PinSourceName): string {
  if (pin.length === 0) throw new UsageError(`${source}: the PIN is empty`);
  if (!/^\d+$/.test(pin)) throw new UsageError(`${source}: the PIN must be digits only (value not shown)`);
  if (pin.length > 64) throw new UsageError(`${source}: the PIN is longer than 64 digits (value not shown)`);
  return pin;
}

/** The first line of a file or stream, without its line ending or surrounding blanks. */
export function firstLine(text: string): string {
  return (text.split(/\r?\n/, 1)[0] ?? '').trim();
}

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

/** Reads a line from a terminal without echoing it. */
export function promptHidden(input: NodeJS.ReadStream, output: NodeJS.WritableStream, prompt: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let value = '';
    const finish = (): void => {
      input.setRawMode?.(false);
      input.pause();
      input.off('data', onData);
      output.write('\n');
    };
    const onData = (chunk: Buffer | string): void => {
      for (const character of chunk.toString()) {
        if (character === '\r' || character === '\n' || character === '\u0004') {
          finish();
          resolve(value);
          return;
        }
        if (character === '\u0003') {
          finish();
          reject(new BootstrapTestError('BT_PIN_PROMPT_INTERRUPTED', 'PIN prompt interrupted'));
          return;
        }
        value = character === '\u007f' || character === '\b' ? value.slice(0, -1) : value + character;
      }
    };
    output.write(prompt);
    input.setRawMode?.(true);
    input.on('data', onData);
    input.resume();
  });
}

/**
 * Picks exactly one PIN source. Explicit options win; more than one explicit option is a usage
 * error (which one was meant is unclear); then the environment; then a prompt on a terminal.
 */
export async function obtainPin(request: PinRequest): Promise<ObtainedPin> {
  const explicit: PinSourceName[] = [];
  if (request.pin !== undefined) explicit.push('--pin');
  if (request.pinFile !== undefined) explicit.push('--pin-file');
  if (request.pinStdin) explicit.push('--pin-stdin');
  if (explicit.length > 1) throw new UsageError(`${explicit.join(' and ')}: give the PIN one way only`);

  if (request.pin !== undefined) {
    request.stderr.write(
      'warning: --pin puts the PIN on the command line (visible in ps and shell history); prefer --pin-file, --pin-stdin or BOOTSTRAP_TEST_PIN\n',
    );
    return { pin: validatePin(request.pin.trim(), '--pin'), source: '--pin' };
  }
  if (request.pinFile !== undefined) {
    let text: string;
    try {
      text = await readFile(request.pinFile, 'utf8');
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? 'error';
      throw new UsageError(`--pin-file: cannot read "${request.pinFile}" (${code})`);
    }
    const mode = (await stat(request.pinFile)).mode;
    if (process.platform !== 'win32' && (mode & 0o077) !== 0) {
      request.stderr.write(`warning: --pin-file "${request.pinFile}" is readable by other users (chmod 600 it)\n`);
    }
    return { pin: validatePin(firstLine(text), '--pin-file'), source: '--pin-file' };
  }
  if (request.pinStdin) {
    return { pin: validatePin(firstLine(await readAll(request.stdin)), '--pin-stdin'), source: '--pin-stdin' };
  }
  const fromEnv = request.env[PIN_ENV];
  if (fromEnv !== undefined && fromEnv !== '') {
    return { pin: validatePin(fromEnv.trim(), PIN_ENV), source: PIN_ENV };
  }
  if (request.stdin.isTTY) {
    return { pin: validatePin((await promptHidden(request.stdin, request.stderr, 'PIN: ')).trim(), 'prompt'), source: 'prompt' };
  }
  throw new UsageError(`no PIN given: use --pin-file FILE, --pin-stdin, ${PIN_ENV}, or run on a terminal to be asked`);
}

/**
 * Removes a PIN given with --pin from what other processes can see: process.title rewrites the
 * argv area that `ps` reads on Linux and macOS, and the in-process argv copy is masked too.
 */
export function hidePinFromProcessTable(argv: string[], pin: string): void {
  let changed = false;
  for (let index = 0; index < argv.length; index += 1) {
    const value = argv[index] ?? '';
    if (value === pin) {
      argv[index] = '***';
      changed = true;
    } else if (value.startsWith('--pin=') && value.slice('--pin='.length) === pin) {
      argv[index] = '--pin=***';
      changed = true;
    }
  }
  if (changed) {
    try {
      process.title = 'bootstrap-test';
    } catch {
      // Some platforms refuse a new title; the warning already told the user about argv.
    }
  }
}
