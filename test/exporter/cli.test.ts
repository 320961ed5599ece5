// The exporter command's glue (registered in main.ts by the lead): configuration check, one-line
// errors, reload on the reload signal, clean stop. Driven in-process with an injected signal source.

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.js';
import { parseListenAddress, runExporterCommand } from '../../src/cli/exporter.js';
import type { Lab } from '../../src/lab/pool.js';
import { startLab } from '../e2e/helpers.js';
import { configYaml, moduleYaml, PIN_VARIABLE } from './helpers.js';

function sink(): { stream: PassThrough; text: () => string } {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (chunk: Buffer) => (text += chunk.toString()));
  return { stream, text: () => text };
}

describe('parseListenAddress', () => {
  it('reads host:port, [v6]:port and :port', () => {
    expect(parseListenAddress('127.0.0.1:9815')).toEqual({ host: '127.0.0.1', port: 9815 });
    expect(parseListenAddress('[::1]:9815')).toEqual({ host: '::1', port: 9815 });
    expect(parseListenAddress(':9815')).toEqual({ host: '0.0.0.0', port: 9815 });
    expect(() => parseListenAddress('9815')).toThrow(UsageError);
    expect(() => parseListenAddress('example.com:9815')).toThrow('--listen: "example.com" is not an IP address');
    expect(() => parseListenAddress('127.0.0.1:70000')).toThrow('--listen port: "70000" is not in 0..65535');
  });
});

describe('runExporterCommand', () => {
  let lab: Lab;
  let dir = '';
  let file = '';
  beforeAll(async () => {
    lab = await startLab({});
    dir = await mkdtemp(join(tmpdir(), 'bt-exporter-cli-'));
    file = join(dir, 'exporter.yml');
  });
  afterAll(async () => {
    await lab?.stop();
    await rm(dir, { recursive: true, force: true });
  });
  const env = () => ({ [PIN_VARIABLE]: lab.sampleUser.pin ?? '' });

  it('--check-config: valid file -> exit 0; a wrong one -> UsageError naming file and line', async () => {
    await writeFile(file, configYaml([moduleYaml(lab)]));
    const out = sink();
    const code = await runExporterCommand({ config: file, listen: '127.0.0.1:0', checkConfig: true }, { env: env(), stdout: out.stream, stderr: sink().stream, untilStopped: async () => 'never' });
    expect(code).toBe(0);
    expect(out.text()).toContain('configuration is valid, 1 module(s): lab');
    await writeFile(file, configYaml([moduleYaml(lab, { minInterval: 'often' })]));
    await expect(runExporterCommand({ config: file, listen: '127.0.0.1:0', checkConfig: true }, { env: env(), stdout: sink().stream, stderr: sink().stream, untilStopped: async () => 'never' })).rejects.toThrow(
      new RegExp(`^${file.replace(/[.\\/]/g, '\\$&')}:\\d+: modules\\.lab\\.budgets\\.min_interval: "often" is not a duration`),
    );
    await expect(runExporterCommand({ config: join(dir, 'absent.yml'), listen: '127.0.0.1:0', checkConfig: true }, { env: env(), stdout: sink().stream, stderr: sink().stream, untilStopped: async () => 'never' })).rejects.toThrow('cannot read the configuration (ENOENT)');
  });

  it('serves, reloads on the reload signal (keeping the old configuration when the new one is wrong), stops', async () => {
    await writeFile(file, configYaml([moduleYaml(lab)]));
    const err = sink();
    const code = await runExporterCommand(
      { config: file, listen: '127.0.0.1:0' },
      {
        env: env(),
        stdout: sink().stream,
        stderr: err.stream,
        untilStopped: async (reload) => {
          await writeFile(file, configYaml([moduleYaml(lab, { timeout: 'soon' })]));
          reload();
          await new Promise((resolve) => setTimeout(resolve, 200));
          await writeFile(file, configYaml([moduleYaml(lab), moduleYaml(lab, { name: 'second' })]));
          reload();
          await new Promise((resolve) => setTimeout(resolve, 200));
          return 'SIGTERM';
        },
      },
    );
    expect(code).toBe(0);
    const lines = err.text().split('\n');
    expect(lines.find((line) => line.includes('listening on http://127.0.0.1:'))).toBeDefined();
    expect(lines.find((line) => line.includes('configuration not reloaded, the previous one stays in force') && line.includes('"soon" is not a duration'))).toBeDefined();
    expect(lines.find((line) => line.includes('configuration reloaded: 2 module(s)'))).toBeDefined();
    expect(err.text()).toContain('SIGTERM: stopping');
    expect(err.text()).not.toContain(lab.sampleUser.pin);
  });
});
