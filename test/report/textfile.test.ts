// Textfile mode: one file per account written atomically, identical HELP texts across files, lint clean.

import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderProbeMetrics } from '../../src/report/prometheus.js';
import { writeTextfileAtomically } from '../../src/report/textfile.js';
import { describeWithTool, expectLintClean, promtoolMissing } from '../helpers/promtool.js';
import { pinRejectedReport, successReport } from './fixtures.js';

let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'bt-textfile-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function textfileOf(report: ReturnType<typeof successReport>, module: string): string {
  return renderProbeMetrics({ report, lastRunTimestampSeconds: Date.parse(report.startedAt) / 1000 }, { module });
}

describe('writeTextfileAtomically', () => {
  it('replaces the file whole and leaves no temporary file behind', async () => {
    const file = join(dir, 'pool01_7501.prom');
    await writeFile(file, 'old\n');
    await writeTextfileAtomically(file, textfileOf(successReport(), 'pool01_7501'), 4242);
    expect(await readFile(file, 'utf8')).toContain('probe_phone_bootstrap_last_run_timestamp_seconds{module="pool01_7501"} 1735725600');
    expect((await readdir(dir)).filter((name) => name.includes('.prom.'))).toEqual([]);
  });

  it('fails cleanly (no temporary left) when the directory does not exist', async () => {
    await expect(writeTextfileAtomically(join(dir, 'missing', 'x.prom'), 'x 1\n', 4242)).rejects.toThrow(/ENOENT/);
  });
});

describeWithTool(promtoolMissing, 'textfiles under promtool', () => {
  it('two accounts: each file lint clean, HELP lines identical for shared metrics', async () => {
    const a = textfileOf(successReport(), 'pool01_7501');
    const b = textfileOf(pinRejectedReport(), 'pool02_7502');
    for (const text of [a, b]) await expectLintClean(text);
    const help = (text: string) => new Map(text.split('\n').filter((line) => line.startsWith('# HELP ')).map((line) => [line.split(' ')[2], line]));
    const helpB = help(b);
    for (const [name, line] of help(a)) if (helpB.has(name)) expect(helpB.get(name)).toBe(line);
  });
});
