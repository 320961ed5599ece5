import { describe, expect, it } from 'vitest';
import { JSON_SCHEMA_VERSION, renderJson, toJsonReport } from '../../src/report/json.js';
import { STAGE_NAMES } from '../../src/model.js';
import { createRedactor } from '../../src/report/redact.js';
import { pinRejectedReport, successReport } from './fixtures.js';

describe('--json', () => {
  it('is one parsable object with a schema version, the summary and every stage', () => {
    const parsed = JSON.parse(renderJson(successReport()));
    expect(parsed.schemaVersion).toBe(JSON_SCHEMA_VERSION);
    expect(parsed.summary).toMatchObject({ result: 'Success', latency: '00:00:06.4123456', latencyMs: 6412.346, error: '', diagnosis: [], failedStage: null });
    expect(parsed.stages.map((stage: { name: string }) => stage.name)).toEqual([...STAGE_NAMES]);
    expect(parsed.stages[0]).toEqual({
      name: 'discover', status: 'pass', ms: 12.4, wallMs: null, clientMs: null, summary: expect.stringContaining('DHCPACK'), evidence: {}, notes: [], error: null, diagnosis: null,
    });
  });

  it('keeps a stage’s wall time and the tool’s own work apart from its pool-and-network time, and the run’s wall time', () => {
    const report = successReport();
    report.stages[0] = { ...report.stages[0]!, ms: 2.5, wallMs: 40.25, clientMs: 37.75 };
    report.wallMs = 1388.2;
    const parsed = toJsonReport(report);
    expect(parsed.stages[0]).toMatchObject({ ms: 2.5, wallMs: 40.25, clientMs: 37.75 });
    expect(parsed.summary.wallMs).toBe(1388.2);
    expect(parsed.summary.keyWaitMs).toBeNull();
    report.keyWaitMs = 84.2;
    expect(toJsonReport(report).summary.keyWaitMs).toBe(84.2);
  });

  it('includes the discovered values and certificate metadata', () => {
    const parsed = toJsonReport(successReport(), { version: '0.1.0' });
    expect(parsed.tool).toEqual({ name: 'bootstrap-test', version: '0.1.0' });
    expect(parsed.discovered.userSipUri).toBe('sip:alice@lab.bootstrap-test.test');
    expect(parsed.discovered.dhcpResponders[0]!.sipServers).toEqual(['pool01.lab.bootstrap-test.test']);
    expect(parsed.certificates.trustedRoots[0]!.sha256Fingerprint).toBe('AB:CD:EF');
    expect(parsed.certificates.issued!.subject).toBe('CN=alice@lab.bootstrap-test.test');
  });

  it('carries the failure: stage error with verbatim server ids, diagnosis with id, severity, alsoPossible and check', () => {
    const parsed = JSON.parse(renderJson(pinRejectedReport()));
    expect(parsed.summary.failedStage).toBe('webticket');
    expect(parsed.summary.diagnosis[0]).toMatch(/do not retry/);
    const webticket = parsed.stages.find((stage: { name: string }) => stage.name === 'webticket');
    expect(webticket.error.server).toEqual({ ErrorId: '28055', Reason: 'PIN authentication failed.', 'X-MS-Server-Fqdn': 'fe01.lab.bootstrap-test.test' });
    expect(webticket.diagnosis).toMatchObject({ id: 'webticket-auth-rejected', severity: 'fail' });
    expect(webticket.diagnosis.alsoPossible).toContain('webticket-pin-locked');
    expect(parsed.stages.at(-1)).toMatchObject({ name: 'register', status: 'not-run', error: null, diagnosis: null });
  });

  it('keeps every documented key present (null when empty) so consumers need not probe', () => {
    const report = pinRejectedReport();
    report.discovered = { source: { targetUri: 'none', targetFqdn: 'none' } };
    const parsed = toJsonReport(report);
    expect(parsed.discovered).toEqual({
      targetUri: null, targetFqdn: null, source: { targetUri: 'none', targetFqdn: 'none' }, dhcpResponders: [], rootChainFormat: null, webTicketExpires: null, userSipUri: null, deviceId: null,
      dhcpNetwork: null, sipDomain: null, clock: null, registrar: null,
    });
    expect(parsed.stoppedAfter).toBeNull();
    expect(parsed.certificates).toEqual({ trustedRoots: [], issued: null });
  });

  it('stays valid JSON and leaks nothing when redacted, even if the PIN hides inside a number', () => {
    const report = pinRejectedReport();
    report.latencyMs = 147891;
    report.stages[2]!.evidence = { note: 'user typed 14789', port: 14789 };
    const text = renderJson(report, createRedactor(['14789']));
    expect(text).not.toContain('14789');
    const parsed = JSON.parse(text);
    expect(parsed.summary.latencyMs).toBeNull();
    expect(parsed.stages[2].evidence).toEqual({ note: 'user typed [REDACTED]', port: null });
  });

  it('keeps every field typed under redaction: a number stays a number or becomes null, never a string', () => {
    const report = pinRejectedReport();
    report.latencyMs = 147891;
    report.stages[2]!.evidence = { port: 14789, afterMs: 2222, tries: 1 };
    const plain = JSON.parse(renderJson(report, createRedactor()));
    const redacted = JSON.parse(renderJson(report, createRedactor(['14789'])));
    const numbersSeen: string[] = [];
    const compare = (before: unknown, after: unknown, path: string): void => {
      if (typeof before === 'number') {
        numbersSeen.push(path);
        if (after !== null) expect(typeof after, path).toBe('number');
        return;
      }
      if (before !== null && typeof before === 'object') {
        for (const [key, value] of Object.entries(before)) compare(value, (after as Record<string, unknown>)[key], `${path}.${key}`);
        return;
      }
      expect(typeof after, path).toBe(typeof before);
    };
    compare(plain, redacted, '$');
    expect(numbersSeen).toEqual(expect.arrayContaining(['$.summary.latencyMs', '$.stages.2.evidence.port', '$.stages.2.evidence.afterMs']));
    expect(redacted.stages[2].evidence).toEqual({ port: null, afterMs: 2222, tries: 1 });
  });
});
