// The --count summary: nearest-rank percentiles, tallies per stage, failures by diagnosis id.

import { describe, expect, it } from 'vitest';
import { percentile, renderRepeatSummary, summariseRuns } from '../../src/report/repeat.js';
import type { RunReport, StageReport } from '../../src/model.js';

function stage(name: StageReport['name'], status: StageReport['status'], ms: number, diagnosis?: string): StageReport {
  return {
    name,
    status,
    ms,
    summary: '',
    evidence: {},
    notes: [],
    ...(diagnosis ? { diagnosis: { id: diagnosis, severity: 'fail' as const, summary: '', alsoPossible: [], check: [] } } : {}),
  };
}

function run(latencyMs: number, stages: StageReport[]): RunReport {
  return {
    targetUri: '',
    targetFqdn: '',
    result: stages.some((one) => one.status === 'fail') ? 'Failure' : 'Success',
    latencyMs,
    error: '',
    stages,
    discovered: { source: { targetUri: 'none', targetFqdn: 'none' } },
    startedAt: '2026-01-01T00:00:00.000Z',
  };
}

describe('percentile', () => {
  it('is the nearest rank', () => {
    const values = [10, 20, 30, 40, 50, 60, 70, 80, 90, 100];
    expect(percentile(values, 50)).toBe(50);
    expect(percentile(values, 90)).toBe(90);
    expect(percentile(values, 99)).toBe(100);
    expect(percentile(values, 100)).toBe(100);
    expect(percentile([7], 50)).toBe(7);
    expect(percentile([], 50)).toBeNaN();
  });
});

describe('summariseRuns', () => {
  const reports = [
    run(100, [stage('discover', 'pass', 10), stage('rootchain', 'pass', 30)]),
    run(50, [stage('discover', 'pass', 20), stage('rootchain', 'fail', 5, 'chain-port80-blocked')]),
    run(200, [stage('discover', 'warn', 40), stage('rootchain', 'pass', 60)]),
  ];
  const summary = summariseRuns(reports);

  it('counts each stage and keeps the latencies of the runs that reached it', () => {
    expect(summary.runs).toBe(3);
    expect(summary.passed).toBe(2);
    const discover = summary.stages.find((tally) => tally.name === 'discover');
    expect(discover).toMatchObject({ pass: 2, warn: 1, fail: 0, notReached: 0, latenciesMs: [10, 20, 40] });
    const webticket = summary.stages.find((tally) => tally.name === 'webticket');
    expect(webticket).toMatchObject({ pass: 0, fail: 0, notReached: 3, latenciesMs: [] });
    expect(summary.totalMs).toEqual([50, 100, 200]);
    expect(summary.failures).toEqual([{ stage: 'rootchain', diagnosis: 'chain-port80-blocked', runs: 1 }]);
  });

  it('renders the table, the stop reason and the failures', () => {
    const text = renderRepeatSummary(summary, 5, 'interrupted (SIGINT)');
    expect(text).toMatch(/^3 of 5 run\(s\): 2 passed, 1 failed; stopped early: interrupted \(SIGINT\)$/m);
    expect(text).toMatch(/^discover +2 +1 +0 +0 +20 +40 +40 +40$/m);
    expect(text).toMatch(/^webticket +0 +0 +0 +3 +- +- +- +-$/m);
    expect(text).toMatch(/^total +2 +1 +100 +200 +200 +200$/m);
    expect(text).toMatch(/^ {2}1 x rootchain: chain-port80-blocked$/m);
  });
});
