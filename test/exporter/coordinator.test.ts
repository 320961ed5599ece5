// The coordinator's scheduling with a runner the test controls: the concurrency limit queues runs
// (and counts the wait), a lowered limit holds, a failing start becomes a host-side failure report.

import { describe, expect, it } from 'vitest';
import { ProbeCoordinator, pendingReport, type ProbeRunner } from '../../src/exporter/coordinator.js';
import type { ModuleConfig } from '../../src/exporter/config.js';
import type { ProbeRunResult } from '../../src/exporter/probe-run.js';

function moduleFor(name: string, extension: string): ModuleConfig {
  return {
    name,
    account: { extension, pinSource: 'env X', fingerprint: extension },
    discovery: { dhcp: { clientPort: 0, timeoutMs: 1000, tries: 1, listenMs: 0 } },
    stages: [],
    budgets: { timeoutMs: 1000, minIntervalMs: 1, stageTimeoutsMs: {} },
    trust: { caFiles: [], resolve: [] },
  };
}

/** A runner whose runs finish when the test says so. */
function heldRunner() {
  const pending: Array<(result: ProbeRunResult) => void> = [];
  let started = 0;
  const run: ProbeRunner = () =>
    new Promise((resolve) => {
      started += 1;
      pending.push(resolve);
    });
  return {
    run,
    started: () => started,
    finishOne: () => pending.shift()?.({ report: { ...pendingReport(0), result: 'Success' }, log: [], connections: [] }),
  };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('ProbeCoordinator', () => {
  it('runs at most `concurrency` sign-ins; the rest queue and their wait is counted', async () => {
    const runner = heldRunner();
    const coordinator = new ProbeCoordinator({ concurrency: 1, recentProbes: 5, run: runner.run });
    const probes = ['a', 'b', 'c'].map((name, index) =>
      coordinator.probe({ module: moduleFor(name, `75${index}`), pin: '13579', target: { kind: 'dhcp' }, targetText: 'dhcp', waitMs: 60_000 }),
    );
    await tick();
    expect(runner.started()).toBe(1);
    expect(coordinator.snapshot()).toMatchObject({ running: 1, queued: 2 });
    coordinator.reconfigure(2, 5, new Map());
    await tick();
    expect(runner.started()).toBe(2);
    for (let i = 0; i < 3; i += 1) {
      runner.finishOne();
      await tick();
    }
    const served = await Promise.all(probes);
    expect(served.map((one) => one.kind)).toEqual(['fresh', 'fresh', 'fresh']);
    const stats = coordinator.snapshot();
    expect(stats).toMatchObject({ running: 0, queued: 0, probesByResult: { success: 3, failure: 0 } });
    expect(stats.queueWait.count).toBe(3);
    expect(coordinator.recentProbes()).toHaveLength(3);
  });

  it('after a lowered limit, releases do not let more than the new limit run', async () => {
    const runner = heldRunner();
    const coordinator = new ProbeCoordinator({ concurrency: 3, recentProbes: 5, run: runner.run });
    const probes = ['a', 'b', 'c', 'd', 'e'].map((name, index) =>
      coordinator.probe({ module: moduleFor(name, `76${index}`), pin: '13579', target: { kind: 'dhcp' }, targetText: 'dhcp', waitMs: 60_000 }),
    );
    await tick();
    expect(runner.started()).toBe(3);
    coordinator.reconfigure(1, 5, new Map());
    runner.finishOne();
    runner.finishOne();
    await tick();
    expect(coordinator.snapshot().running).toBe(1);
    expect(runner.started()).toBe(3);
    runner.finishOne();
    await tick();
    expect(runner.started()).toBe(4);
    runner.finishOne();
    await tick();
    runner.finishOne();
    await Promise.all(probes);
  });

  it('a probe that cannot start (e.g. an unreadable CA file) is a failure at discover, not an exception', async () => {
    const coordinator = new ProbeCoordinator({
      concurrency: 1,
      recentProbes: 5,
      run: async () => {
        throw new Error('--ca-file: cannot read "/nope" (ENOENT)');
      },
    });
    const served = await coordinator.probe({ module: moduleFor('a', '7501'), pin: '13579', target: { kind: 'dhcp' }, targetText: 'dhcp', waitMs: 1000 });
    expect(served.record?.report.result).toBe('Failure');
    expect(served.record?.report.stages[0]).toMatchObject({ name: 'discover', status: 'fail', summary: '--ca-file: cannot read "/nope" (ENOENT)' });
  });
});
