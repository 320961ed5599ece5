// The probe metric set: every stage series present whatever happened, bounded labels, stable HELP
// texts, and `promtool check metrics` clean (exit 0, no finding) on the exposition of a success and
// of a run stopped by every fault the lab can inject.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LAB_FAULTS } from '../../src/lab/faults.js';
import { STAGE_NAMES } from '../../src/model.js';
import { PROBE_HELP, STAGE_RESULTS, renderExposition, renderProbeMetrics } from '../../src/report/prometheus.js';
import { runAgainst, startLab, type Lab } from '../e2e/helpers.js';
import { checkMetrics, describeWithTool, expectLintClean, promtoolMissing, seriesOf as series } from '../helpers/promtool.js';
import { pinRejectedReport, successReport } from './fixtures.js';

function helpLines(text: string): string[] {
  return text.split('\n').filter((line) => line.startsWith('# HELP '));
}

describe('renderProbeMetrics', () => {
  it('a success: probe_success 1, the duration in seconds, every stage passed', () => {
    const text = renderProbeMetrics({ report: successReport() });
    const values = series(text);
    expect(values.get('probe_success')).toBe(1);
    expect(values.get('probe_duration_seconds')).toBeCloseTo(6.4123456, 6);
    expect(values.get('probe_phone_bootstrap_stage_duration_seconds{stage="certificate"}')).toBeCloseTo(0.09, 6);
    for (const stage of STAGE_NAMES) expect(values.get(`probe_phone_bootstrap_stage_result{stage="${stage}",result="pass"}`)).toBe(1);
    expect(text).not.toContain('failure_info');
    expect(values.get('probe_phone_bootstrap_cert_expiry_timestamp_seconds')).toBe(Date.parse('2034-01-01T00:00:00Z') / 1000);
    expect(text.endsWith('\n')).toBe(true);
  });

  it('a run stopped early still has every stage series, the failing stage and its catalogue id as labels', () => {
    const report = pinRejectedReport();
    const values = series(renderProbeMetrics({ report }));
    expect(values.get('probe_success')).toBe(0);
    for (const stage of STAGE_NAMES) {
      expect(values.has(`probe_phone_bootstrap_stage_duration_seconds{stage="${stage}"}`)).toBe(true);
      const ones = STAGE_RESULTS.filter((result) => values.get(`probe_phone_bootstrap_stage_result{stage="${stage}",result="${result}"}`) === 1);
      expect(ones).toHaveLength(1);
    }
    // Stages after the failure are reported as skipped at 0 s, so the graphs keep their lines.
    expect(values.get('probe_phone_bootstrap_stage_duration_seconds{stage="certificate"}')).toBe(0);
    expect(values.get('probe_phone_bootstrap_stage_result{stage="certificate",result="skip"}')).toBe(1);
    const failing = report.stages.find((stage) => stage.status === 'fail');
    expect(values.get(`probe_phone_bootstrap_failure_info{stage="webticket",diagnosis="${failing?.diagnosis?.id}"}`)).toBe(1);
  });

  it('the HELP lines are the same text in every exposition', () => {
    const a = helpLines(renderProbeMetrics({ report: successReport(), lastRunTimestampSeconds: 1 }, { module: 'a' }));
    const b = helpLines(renderProbeMetrics({ report: pinRejectedReport(), lastRunTimestampSeconds: 2, resultAgeSeconds: 3 }, { module: 'b' }));
    for (const line of b) if (a.some((other) => other.split(' ')[2] === line.split(' ')[2])) expect(a).toContain(line);
    expect(a).toContain(`# HELP probe_success ${PROBE_HELP.success}`);
  });

  it('constant labels go on every sample; label values are escaped', () => {
    const text = renderExposition(
      [{ name: 'x_info', help: 'h', type: 'gauge', samples: [{ labels: { v: 'a"b\\c\nd' }, value: 1 }] }],
      { module: 'lab' },
    );
    expect(text).toBe('# HELP x_info h\n# TYPE x_info gauge\nx_info{module="lab",v="a\\"b\\\\c\\nd"} 1\n');
  });

  it('TLS versions, server expiry, clock offset, cache age and latch are rendered when known', () => {
    const report = successReport();
    report.stages[2] = { ...report.stages[2]!, status: 'fail', error: { observation: 'clock:-600', message: 'skew' } };
    const values = series(
      renderProbeMetrics({
        report,
        connections: [{ tlsProtocol: 'TLSv1.3', peerCertificate: { validTo: 'Jan  1 00:00:00 2030 GMT' } }],
        resultAgeSeconds: 12.5,
        pinLatched: true,
      }),
    );
    expect(values.get('probe_phone_bootstrap_clock_offset_seconds')).toBe(-600);
    expect(values.get('probe_tls_version_info{version="TLSv1.3"}')).toBe(1);
    expect(values.get('probe_ssl_earliest_cert_expiry')).toBe(Date.parse('2030-01-01T00:00:00Z') / 1000);
    expect(values.get('probe_phone_bootstrap_result_age_seconds')).toBe(12.5);
    expect(values.get('probe_phone_bootstrap_pin_latched')).toBe(1);
  });
});

describeWithTool(promtoolMissing, 'promtool check metrics on every probe exposition', () => {
  let lab: Lab;
  beforeAll(async () => {
    lab = await startLab({});
  });
  afterAll(async () => {
    await lab?.stop();
  });

  it('the fixtures, with every optional family', async () => {
    await expectLintClean(renderProbeMetrics({ report: successReport(), lastRunTimestampSeconds: 1.7e9, resultAgeSeconds: 0, pinLatched: false }, { module: 'm' }));
    await expectLintClean(renderProbeMetrics({ report: pinRejectedReport(), connections: [{ tlsProtocol: 'TLSv1.2', peerCertificate: { validTo: 'Jan  1 00:00:00 2030 GMT' } }] }));
  });

  it('a real run against the lab, and a run stopped by each lab fault', async () => {
    const specs = ['', ...LAB_FAULTS.map((fault) => fault.example)];
    const failures: string[] = [];
    for (const spec of specs) {
      await lab.setFaults(spec === '' ? [] : [spec]);
      const { result } = await runAgainst(lab, {}, (options) => {
        options.stageTimeoutsMs = Object.fromEntries(STAGE_NAMES.map((name) => [name, 1500]));
        options.dhcp.timeoutMs = 1000;
      });
      const text = renderProbeMetrics({ report: result.report, connections: result.connections });
      if (spec === '') expect(series(text).get('probe_success')).toBe(1);
      const checked = await checkMetrics(text);
      if (checked.code !== 0 || `${checked.stdout}${checked.stderr}`.trim() !== '') failures.push(`${spec || 'success'}: exit ${checked.code} ${checked.stdout}${checked.stderr}`);
    }
    expect(failures).toEqual([]);
  }, 180_000);
});
