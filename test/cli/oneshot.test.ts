// The one-shot outputs the bootstrap command will call: flag checks, Nagios text and exit state,
// the textfile written atomically and lint clean, on real runs against the lab.

import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emitOneShot, oneShotModeFrom } from '../../src/cli/oneshot.js';
import { UsageError } from '../../src/errors.js';
import { runAgainst, startLab, type Lab } from '../e2e/helpers.js';
import { expectLintClean, seriesOf } from '../helpers/promtool.js';

describe('oneShotModeFrom', () => {
  it('reads --nagios with thresholds and --format prometheus --output with labels', () => {
    expect(oneShotModeFrom({ nagios: true, warningDays: '30', criticalDays: '10', warning: '2', critical: '5' }, 60_000)).toEqual({
      kind: 'nagios',
      thresholds: { warningDays: 30, criticalDays: 10, warningSeconds: 2, criticalSeconds: 5, timeoutMs: 60_000 },
    });
    expect(oneShotModeFrom({ format: 'prometheus', output: '/x/a.prom', label: ['module=pool01_7501'] }, 1)).toEqual({
      kind: 'textfile',
      path: '/x/a.prom',
      labels: { module: 'pool01_7501' },
    });
    expect(oneShotModeFrom({}, 1)).toEqual({ kind: 'none' });
  });

  it.each([
    [{ nagios: true, format: 'prometheus' }, '--nagios and --format exclude each other'],
    [{ nagios: true, warningDays: 'soon' }, '--warning-days: "soon" is not a number'],
    [{ nagios: true, warningDays: '5', criticalDays: '10' }, '--critical-days 10 is more than --warning-days 5'],
    [{ format: 'json' }, '--format: "json" is not prometheus'],
    [{ format: 'prometheus' }, '--format prometheus needs --output FILE'],
    [{ output: 'a.prom' }, '--output needs --format prometheus'],
    [{ format: 'prometheus', output: 'a.prom', label: ['__name__=x'] }, '--label: "__name__=x" is not name=value'],
  ])('%j -> %s', (options, message) => {
    expect(() => oneShotModeFrom(options, 1)).toThrow(UsageError);
    expect(() => oneShotModeFrom(options, 1)).toThrow(message);
  });
});

describe('emitOneShot on real runs', () => {
  let lab: Lab;
  let dir = '';
  beforeAll(async () => {
    lab = await startLab({});
    dir = await mkdtemp(join(tmpdir(), 'bt-oneshot-'));
  });
  afterAll(async () => {
    await lab?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('--nagios: OK and exit 0 for a working pool, CRITICAL and exit 2 for a wrong PIN', async () => {
    const mode = oneShotModeFrom({ nagios: true }, 60_000);
    if (mode.kind !== 'nagios') throw new Error('expected nagios mode');
    for (const [faults, state, label] of [[[], 0, 'OK'], [['pin-wrong'], 2, 'CRITICAL']] as const) {
      await lab.setFaults([...faults]);
      const { result } = await runAgainst(lab);
      const out = new PassThrough();
      let text = '';
      out.on('data', (chunk: Buffer) => (text += chunk.toString()));
      expect(await emitOneShot(mode, { report: result.report, connections: result.connections }, out, new Date(), 1)).toBe(state);
      expect(text).toMatch(new RegExp(`^BOOTSTRAP ${label} - [^|\\n]+ \\| 'latency'=[\\d.]+s;;;0 `));
      expect(text).not.toContain(lab.sampleUser.pin);
    }
    lab.unlockPin(lab.sampleUser.sipUri);
  });

  it('--format prometheus --output: the textfile with labels and last-run timestamp, exit code of the run', async () => {
    await lab.setFaults([]);
    const path = join(dir, 'pool01_7501.prom');
    const mode = oneShotModeFrom({ format: 'prometheus', output: path, label: ['module=pool01_7501'] }, 60_000);
    if (mode.kind !== 'textfile') throw new Error('expected textfile mode');
    const { result } = await runAgainst(lab);
    const now = new Date();
    expect(await emitOneShot(mode, { report: result.report, connections: result.connections }, new PassThrough(), now, 0)).toBe(0);
    const text = await readFile(path, 'utf8');
    const values = seriesOf(text);
    expect(values.get('probe_success{module="pool01_7501"}')).toBe(1);
    expect(values.get('probe_phone_bootstrap_last_run_timestamp_seconds{module="pool01_7501"}')).toBe(now.getTime() / 1000);
    await expectLintClean(text);
  });
});
