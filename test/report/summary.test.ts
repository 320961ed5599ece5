import { describe, expect, it } from 'vitest';
import { formatList, renderFindings, renderSummary, summaryFields } from '../../src/report/summary.js';
import { SUMMARY_CHECK_LINES } from '../../src/diagnosis/classify.js';
import { PLAIN } from '../../src/report/style.js';
import { TARGET_FQDN, TARGET_URI, pinRejectedReport, successReport } from './fixtures.js';

describe('cmdlet summary (Format-List)', () => {
  it('prints the six cmdlet fields, names padded so the colons line up', () => {
    const text = renderSummary(successReport());
    expect(text.startsWith('\n')).toBe(true);
    expect(text.endsWith('\n\n')).toBe(true);
    const lines = text.trim().split('\n');
    expect(lines.map((line) => line.split(':')[0]!.trim())).toEqual(['TargetUri', 'TargetFqdn', 'Result', 'Latency', 'Error', 'Diagnosis']);
    expect(new Set(lines.map((line) => line.indexOf(' :'))).size).toBe(1);
    expect(lines[0]).toBe(`TargetUri  : ${TARGET_URI}`);
    expect(lines[1]).toBe(`TargetFqdn : ${TARGET_FQDN}`);
    expect(lines[2]).toBe('Result     : Success');
    expect(lines[3]).toBe('Latency    : 00:00:06.4123456');
    expect(lines[4]).toBe('Error      :');
    expect(lines[5]).toBe('Diagnosis  :');
  });

  it('on failure carries `<id>: <diagnosis>` in Error and the top CHECK lines in Diagnosis, continuation lines under the value', () => {
    const report = pinRejectedReport();
    const text = renderSummary(report);
    expect(text).toContain('Result     : Failure');
    expect(text).toContain('Error      : webticket-auth-rejected: The Web Ticket service refused the phone number/extension and PIN.');
    const diagnosisLines = text.slice(text.indexOf('Diagnosis  :')).trimEnd().split('\n');
    expect(diagnosisLines[0]).toMatch(/^Diagnosis {2}: - stop: do not retry this PIN/);
    for (const line of diagnosisLines.slice(1)) expect(line).toMatch(/^ {13}- \S/);
    const diagnosis = report.stages[2]!.diagnosis!;
    expect(diagnosis.check.length).toBeGreaterThan(SUMMARY_CHECK_LINES);
    expect(diagnosisLines).toHaveLength(SUMMARY_CHECK_LINES);
    expect(diagnosisLines.map((line) => line.replace(/^(Diagnosis {2}:| {12}) - /, ''))).toEqual(diagnosis.briefCheck);
  });

  it('derives Error from the failed stage when the report left it empty', () => {
    const report = pinRejectedReport();
    report.error = '';
    expect(summaryFields(report).Error).toMatch(/^webticket-auth-rejected: /);
  });

  it('formatList indents multi-line values under the first value column', () => {
    expect(formatList([['A', 'x\ny'], ['Long', ['p', 'q']]])).toBe('\nA    : x\n       y\nLong : - p\n       - q\n\n');
  });
});

describe('failure detail block (diagnosis.md 0.1)', () => {
  it('names stage, id and the other candidates, then the Diagnosis line, CHECK list and evidence', () => {
    const text = renderFindings(pinRejectedReport(), PLAIN);
    const lines = text.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^FAIL {2}webticket {2}webticket-auth-rejected {3}\(also possible: webticket-pin-wrong, webticket-pin-not-set, .*webticket-user-not-enabled\)$/);
    expect(lines[1]).toBe('  The Web Ticket service refused the phone number/extension and PIN.');
    // The full list is left to -v; the summary's Diagnosis carries the top lines, so nothing is printed twice.
    expect(lines[2]).toMatch(/^ {2}CHECK: the top 5 of \d+ in Diagnosis below; all of them with -v or --json$/);
    expect(text).not.toContain('  - stop: do not retry');
    const verbose = renderFindings(pinRejectedReport(), PLAIN, { fullCheck: true }).split('\n');
    expect(verbose[2]).toBe('  CHECK:');
    expect(verbose[3]).toMatch(/^ {2}- stop: do not retry/);
    expect(text).toContain('  observed: HTTP 500 with a FailedAuthentication fault [soap-fault:FailedAuthentication:28055]');
    expect(text).toContain('  server: ErrorId=28055 Reason="PIN authentication failed." X-MS-Server-Fqdn=fe01.lab.bootstrap-test.test');
    expect(text).toContain('  evidence: host=pool01.lab.bootstrap-test.test port=443 httpStatus=500 ports=WebTicketServicePin,WebTicketServiceAuth');
    expect(text).toContain('  note: PIN credential shape inferred: UsernameToken, plain text');
  });

  it('is empty for a run that passed', () => {
    expect(renderFindings(successReport())).toBe('');
  });

  it('also reports warnings that carry a diagnosis', () => {
    const report = successReport();
    report.stages[0] = {
      ...report.stages[0]!,
      status: 'warn',
      diagnosis: { id: 'dhcp-no-option-120', severity: 'warn', summary: 'DHCP does not name the registrar pool.', alsoPossible: [], check: ['define and set option 120'] },
    };
    expect(renderFindings(report)).toMatch(/^WARN {2}discover {2}dhcp-no-option-120\n/);
  });
});
