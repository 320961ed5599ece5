// Where the PIN comes from, and that it never comes back out: not in errors, not in the process table.

import { mkdtempSync, writeFileSync, chmodSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { inspect } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { hidePinFromProcessTable, obtainPin, promptHidden, validatePin } from '../../src/cli/pin.js';
import { UsageError } from '../../src/errors.js';
import { PinHolder, PinRejectedError } from '../../src/stages/pin-holder.js';

const PIN = '14789';

function stdinWith(text: string, isTTY = false): NodeJS.ReadStream {
  const stream = new PassThrough() as unknown as NodeJS.ReadStream & PassThrough;
  (stream as { isTTY?: boolean }).isTTY = isTTY;
  stream.end(text);
  return stream;
}

function sink(): { stream: NodeJS.WritableStream; text: () => string } {
  let text = '';
  const stream = new PassThrough();
  stream.on('data', (chunk) => (text += chunk.toString()));
  return { stream, text: () => text };
}

const tempDir = mkdtempSync(join(tmpdir(), 'bt-pin-'));
afterAll(() => rmSync(tempDir, { recursive: true, force: true }));

describe('obtainPin', () => {
  it('takes --pin and warns that argv is visible, without echoing the PIN', async () => {
    const err = sink();
    const result = await obtainPin({ pin: PIN, env: {}, stdin: stdinWith(''), stderr: err.stream });
    expect(result).toEqual({ pin: PIN, source: '--pin' });
    expect(err.text()).toMatch(/visible in ps/);
    expect(err.text()).not.toContain(PIN);
  });

  it('reads the first line of --pin-file and warns when others can read the file', async () => {
    const file = join(tempDir, 'pin.txt');
    writeFileSync(file, `${PIN}\nsecond line\n`);
    chmodSync(file, 0o644);
    const err = sink();
    expect(await obtainPin({ pinFile: file, env: {}, stdin: stdinWith(''), stderr: err.stream })).toEqual({ pin: PIN, source: '--pin-file' });
    expect(err.text()).toMatch(/readable by other users/);
    chmodSync(file, 0o600);
    const quiet = sink();
    await obtainPin({ pinFile: file, env: {}, stdin: stdinWith(''), stderr: quiet.stream });
    expect(quiet.text()).toBe('');
  });

  it('reads --pin-stdin', async () => {
    expect(await obtainPin({ pinStdin: true, env: {}, stdin: stdinWith(`${PIN}\r\n`), stderr: sink().stream })).toEqual({ pin: PIN, source: '--pin-stdin' });
  });

  it('falls back to BOOTSTRAP_TEST_PIN', async () => {
    expect(await obtainPin({ env: { BOOTSTRAP_TEST_PIN: PIN }, stdin: stdinWith(''), stderr: sink().stream })).toEqual({
      pin: PIN,
      source: 'BOOTSTRAP_TEST_PIN',
    });
  });

  it('explicit options win over the environment, and two explicit sources are a usage error', async () => {
    const file = join(tempDir, 'pin2.txt');
    writeFileSync(file, '22222\n', { mode: 0o600 });
    expect((await obtainPin({ pinFile: file, env: { BOOTSTRAP_TEST_PIN: PIN }, stdin: stdinWith(''), stderr: sink().stream })).pin).toBe('22222');
    await expect(obtainPin({ pin: PIN, pinFile: file, env: {}, stdin: stdinWith(''), stderr: sink().stream })).rejects.toThrow(
      /--pin and --pin-file: give the PIN one way only/,
    );
  });

  it('without any source and no terminal, says how to give one', async () => {
    await expect(obtainPin({ env: {}, stdin: stdinWith(''), stderr: sink().stream })).rejects.toThrow(UsageError);
    await expect(obtainPin({ env: {}, stdin: stdinWith(''), stderr: sink().stream })).rejects.toThrow(/--pin-file/);
  });

  it('names a missing --pin-file', async () => {
    await expect(obtainPin({ pinFile: join(tempDir, 'absent'), env: {}, stdin: stdinWith(''), stderr: sink().stream })).rejects.toThrow(
      /--pin-file: cannot read ".*absent" \(ENOENT\)/,
    );
  });

  it('rejects a PIN that is not digits without showing it', () => {
    expect(() => validatePin('12a45', '--pin')).toThrow(/digits only \(value not shown\)/);
    try {
      validatePin('secret99x', 'BOOTSTRAP_TEST_PIN');
    } catch (error) {
      expect((error as Error).message).not.toContain('secret99x');
    }
  });

  it('prompts on a terminal without echoing what is typed', async () => {
    const input = new PassThrough() as unknown as NodeJS.ReadStream & PassThrough;
    const modes: boolean[] = [];
    (input as unknown as { setRawMode: (on: boolean) => void }).setRawMode = (on: boolean) => modes.push(on);
    const out = sink();
    const answer = promptHidden(input, out.stream, 'PIN: ');
    input.write('147');
    input.write('\u007f');
    input.write('789\r');
    expect(await answer).toBe('14789');
    expect(out.text()).toBe('PIN: \n');
    expect(modes).toEqual([true, false]);
  });
});

describe('hidePinFromProcessTable', () => {
  it('masks --pin VALUE and --pin=VALUE in the argv copy', () => {
    const argv = ['node', 'bootstrap-test', '--ext', '7501', '--pin', PIN];
    hidePinFromProcessTable(argv, PIN);
    expect(argv).toEqual(['node', 'bootstrap-test', '--ext', '7501', '--pin', '***']);
    const inline = ['node', 'bt', `--pin=${PIN}`];
    hidePinFromProcessTable(inline, PIN);
    expect(inline).toEqual(['node', 'bt', '--pin=***']);
  });
});

describe('PinHolder', () => {
  it('never shows the PIN when printed, inspected or serialised', () => {
    const pin = new PinHolder(PIN);
    expect(String(pin)).not.toContain(PIN);
    expect(JSON.stringify({ pin })).not.toContain(PIN);
    expect(inspect(pin)).not.toContain(PIN);
  });

  it('refuses to hand out the PIN again once the server rejected it', () => {
    const pin = new PinHolder(PIN);
    expect(pin.reveal()).toBe(PIN);
    pin.markRejected('SOAP fault wsse:FailedAuthentication');
    expect(() => pin.reveal()).toThrow(PinRejectedError);
    expect(pin.uses).toBe(1);
    expect(pin.rejected).toBe(true);
  });
});
