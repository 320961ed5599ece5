// --nagios output against the Monitoring Plugins guidelines: one status line `BOOTSTRAP STATE -
// text | perfdata`, perfdata as 'label'=value[UOM];warn;crit;min;max with seconds as `s`, long
// output after it, and the state as exit code 0..3.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NAGIOS } from '../../src/diagnosis/status.js';
import { STAGE_NAMES } from '../../src/model.js';
import { DEFAULT_NAGIOS_THRESHOLDS, renderNagios } from '../../src/report/nagios.js';
import { runAgainst, startLab, type Lab } from '../e2e/helpers.js';
import { pinRejectedReport, successReport } from './fixtures.js';

const STATUS_LINE = /^BOOTSTRAP (OK|WARNING|CRITICAL|UNKNOWN) - ([^|\n]+) \| (.+)$/;
/** One perfdata item (guidelines, section "Performance data"); UOM one of the listed units. */
const PERF_ITEM = /^'[^'=]+'=(-?\d+(?:\.\d+)?|U)(s|ms|us|%|B|KB|MB|TB|c)?;([^;]*);([^;]*)(?:;([^;]*))?(?:;([^;]*))?$/;
const LABELS = ['OK', 'WARNING', 'CRITICAL', 'UNKNOWN'];

/** Checks the whole output against the guidelines and returns its parts. */
function parsePluginOutput(text: string, state: number) {
  expect(text.endsWith('\n')).toBe(true);
  const [first = '', ...long] = text.trimEnd().split('\n');
  const match = STATUS_LINE.exec(first);
  expect(match, first).not.toBeNull();
  expect(match?.[1]).toBe(LABELS[state]);
  const items = (match?.[3] ?? '').split(' ');
  const perf = new Map<string, string>();
  for (const item of items) {
    expect(item, item).toMatch(PERF_ITEM);
    const label = item.slice(1, item.indexOf("'", 1));
    // A repeated label makes a monitoring system keep one value and drop the other.
    expect(perf.has(label), `perfdata label '${label}' twice`).toBe(false);
    perf.set(label, item.slice(item.indexOf('=') + 1));
  }
  for (const line of long) expect(line).not.toContain('|');
  return { summary: match?.[2] ?? '', perf, long };
}

const NOW = new Date('2025-01-01T12:00:00Z');

describe('renderNagios', () => {
  it('a success is OK (exit 0) with each stage time in seconds and the total', () => {
    const output = renderNagios({ report: successReport() }, DEFAULT_NAGIOS_THRESHOLDS, NOW);
    expect(output.state).toBe(NAGIOS.ok);
    const { summary, perf, long } = parsePluginOutput(output.text, output.state);
    expect(summary).toMatch(/sign-in passed in 6\.412 s/);
    expect(perf.get('latency')).toBe('6.412346s;;;0');
    expect(perf.get('certificate')).toBe('0.09s;;;0');
    for (const stage of STAGE_NAMES) expect(perf.has(stage)).toBe(true);
    expect(long).toHaveLength(STAGE_NAMES.length);
  });

  it('a PIN rejection is CRITICAL (exit 2), names stage and diagnosis; stages not run are U', () => {
    const report = pinRejectedReport();
    const output = renderNagios({ report }, DEFAULT_NAGIOS_THRESHOLDS, NOW);
    expect(output.state).toBe(NAGIOS.critical);
    const { summary, perf, long } = parsePluginOutput(output.text, output.state);
    const diagnosis = report.stages.find((stage) => stage.status === 'fail')?.diagnosis;
    expect(summary).toContain(`webticket failed: ${diagnosis?.id}`);
    expect(perf.get('certprov-mex')).toBe('U;;;0');
    expect(long.some((line) => line.startsWith('CHECK: '))).toBe(true);
  });

  it('a certificate expiring within the warning days is WARNING, within the critical days CRITICAL', () => {
    const report = successReport();
    report.discovered.trustedRoots = [];
    report.discovered.issuedCertificate = { ...report.discovered.issuedCertificate!, notAfter: '2025-01-11T12:00:00Z' };
    const warning = renderNagios({ report }, { warningDays: 14, criticalDays: 7 }, NOW);
    expect(warning.state).toBe(NAGIOS.warning);
    const parsed = parsePluginOutput(warning.text, warning.state);
    expect(parsed.summary).toContain('issued user certificate expires in 10 days');
    expect(parsed.perf.get('user_cert_days')).toBe('10;14:;7:');
    expect(renderNagios({ report }, { warningDays: 30, criticalDays: 11 }, NOW).state).toBe(NAGIOS.critical);
    expect(renderNagios({ report }, { warningDays: 5, criticalDays: 2 }, NOW).state).toBe(NAGIOS.ok);
  });

  it('the pool certificate counts too, and latency thresholds apply to the total time', () => {
    const report = successReport();
    const sample = { report, connections: [{ peerCertificate: { validTo: 'Jan  3 12:00:00 2025 GMT' } }] };
    expect(renderNagios(sample, DEFAULT_NAGIOS_THRESHOLDS, NOW).state).toBe(NAGIOS.critical);
    const slow = renderNagios({ report: successReport() }, { ...DEFAULT_NAGIOS_THRESHOLDS, warningSeconds: 5, criticalSeconds: 10 }, NOW);
    expect(slow.state).toBe(NAGIOS.warning);
    expect(parsePluginOutput(slow.text, slow.state).perf.get('latency')).toBe('6.412346s;5;10;0');
  });

  it('a run stopped by its own deadline is UNKNOWN and names the stage', () => {
    const report = pinRejectedReport();
    const webticket = report.stages.find((stage) => stage.name === 'webticket')!;
    webticket.error = { observation: 'timeout', message: "the run's deadline (--timeout) passed during webticket after 200 ms" };
    webticket.evidence = { limitMs: 200, runDeadline: true };
    const output = renderNagios({ report }, DEFAULT_NAGIOS_THRESHOLDS, NOW);
    expect(output.state).toBe(NAGIOS.unknown);
    expect(parsePluginOutput(output.text, output.state).summary).toMatch(/^timed out during webticket after /);
  });
});

describe('renderNagios on real runs against the lab', () => {
  let lab: Lab;
  beforeAll(async () => {
    lab = await startLab({});
  });
  afterAll(async () => {
    await lab?.stop();
  });

  it('OK for a sign-in that works, with the lab pool certificate expiry in the perfdata', async () => {
    await lab.setFaults([]);
    const { result } = await runAgainst(lab);
    const output = renderNagios({ report: result.report, connections: result.connections }, DEFAULT_NAGIOS_THRESHOLDS, new Date());
    expect(output.state).toBe(NAGIOS.ok);
    const { perf } = parsePluginOutput(output.text, output.state);
    expect(Number(perf.get('pool_cert_days')?.split(';')[0])).toBeGreaterThan(14);
  });

  it('UNKNOWN naming webticket when the pool stops answering and the run deadline passes there', async () => {
    await lab.setFaults(['blackhole:webticket']);
    const { result } = await runAgainst(lab, {}, (options) => {
      options.timeoutMs = 1500;
    });
    const output = renderNagios({ report: result.report }, { ...DEFAULT_NAGIOS_THRESHOLDS, timeoutMs: 1500 }, new Date());
    expect(output.state).toBe(NAGIOS.unknown);
    // The same stage timing out under its own (shorter) limit is the pool's fault: CRITICAL.
    const own = await runAgainst(lab, {}, (options) => {
      options.stageTimeoutsMs = { webticket: 300 };
    });
    expect(renderNagios({ report: own.result.report }, { ...DEFAULT_NAGIOS_THRESHOLDS, timeoutMs: own.options.timeoutMs }, new Date()).state).toBe(NAGIOS.critical);
    expect(parsePluginOutput(output.text, output.state).summary).toMatch(/^timed out during webticket after 1\.\d+ s$/);
  });

  it('CRITICAL for a wrong PIN', async () => {
    await lab.setFaults(['pin-wrong']);
    const { result } = await runAgainst(lab);
    const output = renderNagios({ report: result.report }, DEFAULT_NAGIOS_THRESHOLDS, new Date());
    expect(output.state).toBe(NAGIOS.critical);
    parsePluginOutput(output.text, output.state);
  });
});
