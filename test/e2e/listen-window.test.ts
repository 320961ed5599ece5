// Discover goes ahead on the first usable DHCP answer: the listen window for other servers goes on
// in the background, the later stages do not wait for it, and what it hears joins the report before
// the run ends. Latency counts the stages' pool-and-network time, not the window or the tool's work.
// Order, not timing: the window is made long and the checks are on the order of the log lines.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LogLine } from '../../src/stages/types.js';
import { runAgainst, startLab, type Lab } from './helpers.js';

/** Long enough that the next stage starts inside it even on a loaded machine (its code is warmed during discover). */
const LONG_WINDOW_MS = 4000;

let lab: Lab;
beforeAll(async () => {
  lab = await startLab({});
});
afterAll(async () => {
  await lab?.stop();
});

function indexOf(log: LogLine[], test: (line: LogLine) => boolean): number {
  const index = log.findIndex(test);
  expect(index, 'log line not found').toBeGreaterThanOrEqual(0);
  return index;
}

describe('the DHCP listen window', () => {
  it('does not hold up the later stages, and is reported when it closes', async () => {
    const { result } = await runAgainst(lab, {}, (options) => {
      options.dhcp.listenMs = LONG_WINDOW_MS;
    });
    const { report, log } = result;
    expect(report.result).toBe('Success');
    const windowClosed = indexOf(log, (line) => line.stage === 'discover' && line.text.startsWith('Listened '));
    const rootchainWorked = indexOf(log, (line) => line.stage === 'rootchain');
    // The next stage went ahead before the window closed (with the old behaviour it came after).
    expect(rootchainWorked).toBeLessThan(windowClosed);
    const discover = report.stages.find((stage) => stage.name === 'discover');
    expect(discover?.evidence.listenedMs).toBeGreaterThanOrEqual(LONG_WINDOW_MS);
    expect(report.discovered.dhcpResponders).toHaveLength(1);
    // The whole run still lasted the window (the report is complete), but Latency does not count it.
    expect(report.wallMs).toBeGreaterThanOrEqual(LONG_WINDOW_MS);
    expect(report.latencyMs).toBeLessThan(report.wallMs ?? 0);
  });

  it('fails discover after the fact when a server heard in the window disagrees, with the later stages reported as run', async () => {
    await lab.setFaults(['dhcp-two-servers']);
    try {
      const { result } = await runAgainst(lab, {}, (options) => {
        options.dhcp.listenMs = 500;
      });
      const { report } = result;
      const discover = report.stages.find((stage) => stage.name === 'discover');
      expect(report.result).toBe('Failure');
      expect(discover?.status).toBe('fail');
      expect(discover?.diagnosis?.id).toBe('dhcp-multiple-responders');
      expect(discover?.evidence).toMatchObject({ afterListenWindow: true, responders: 2 });
      expect(report.discovered.dhcpResponders).toHaveLength(2);
      expect(report.error).toMatch(/^dhcp-multiple-responders: /);
      // The phone's choice was used meanwhile: the next stage ran with it.
      expect(report.stages.find((stage) => stage.name === 'rootchain')?.status).toBe('pass');
    } finally {
      await lab.setFaults([]);
    }
  });
});

describe('stage times', () => {
  it('Latency is the sum of the stages’ pool-and-network times, each apart from the tool’s own work', async () => {
    const { result } = await runAgainst(lab, {}, (options) => {
      options.dhcp.listenMs = 0;
    });
    const { report } = result;
    expect(report.result).toBe('Success');
    let sum = 0;
    for (const stage of report.stages) {
      expect(stage.wallMs, stage.name).toBeDefined();
      expect(stage.clientMs, stage.name).toBeGreaterThanOrEqual(0);
      expect(stage.ms, stage.name).toBeLessThanOrEqual((stage.wallMs ?? 0) - (stage.clientMs ?? 0) + 0.001);
      sum += stage.ms;
    }
    expect(report.latencyMs).toBeCloseTo(sum, 3);
  });
});
