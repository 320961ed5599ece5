// One run per lab fault (the lab's own catalogue, so a new fault gets a test without edits here):
// the stage that reports it, the diagnosis id, the exit code, and that the run kept its deadlines.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT } from '../../src/exit-codes.js';
import { requireCatalogEntry } from '../../src/diagnosis/catalog.js';
import { exitCodeForRun } from '../../src/cli/bootstrap-run.js';
import { DIAGNOSIS_REACHABILITY, LAB_FAULTS } from '../../src/lab/faults.js';
import { STAGE_NAMES } from '../../src/model.js';
import { toJsonReport } from '../../src/report/json.js';
import { runAgainst, startLab, type Lab } from './helpers.js';

const STAGE_LIMIT_MS = 2500;
const RUN_LIMIT_MS = 30_000;
/** How far past its limit a stage may report: the pipeline's grace for a stage to word its own failure. */
const GRACE_MS = 100;

let lab: Lab;
beforeAll(async () => {
  lab = await startLab({});
});
afterAll(async () => {
  await lab?.stop();
});

describe('every lab fault is found at its stage with its diagnosis', () => {
  for (const fault of LAB_FAULTS) {
    it(`${fault.example} -> ${fault.stage} ${fault.expectedStatus} ${fault.expectedDiagnosisId ?? ''}`, async () => {
      await lab.setFaults([fault.example]);
      try {
        const { result, pin, options } = await runAgainst(lab, {}, (o) => {
          o.timeoutMs = RUN_LIMIT_MS;
          o.stageTimeoutsMs = Object.fromEntries(STAGE_NAMES.map((name) => [name, STAGE_LIMIT_MS]));
          o.dhcp.timeoutMs = 1500;
        });
        const report = result.report;
        expect(result.internalError).toBeUndefined();

        // The run kept its deadlines: by its own account, no stage ran past the limit it was given.
        expect(report.latencyMs).toBeLessThanOrEqual(options.timeoutMs);
        for (const ran of report.stages.filter((s) => s.status !== 'not-run')) {
          expect(ran.deadlineMs).toBeGreaterThan(0);
          expect(ran.ms).toBeLessThanOrEqual((ran.deadlineMs ?? 0) + GRACE_MS);
        }

        // The exit code `lab --list-faults` promises is the one the run ends with.
        expect(exitCodeForRun(report)).toBe(fault.expectedExit);
        const stage = report.stages.find((candidate) => candidate.name === fault.stage);
        if (fault.expectedStatus === 'pass') {
          expect(report.result).toBe('Success');
          expect(exitCodeForRun(report)).toBe(EXIT.ok);
          return;
        }
        expect(stage?.status).toBe(fault.expectedStatus);
        expect(stage?.diagnosis?.id).toBe(fault.expectedDiagnosisId);
        if (fault.expectedStatus === 'fail') {
          expect(report.result).toBe('Failure');
          // Silence heard from an unprivileged port proves nothing about the network: exit 4, not 1.
          const unknown = requireCatalogEntry(fault.expectedDiagnosisId ?? '').severity === 'unknown';
          expect(exitCodeForRun(report)).toBe(unknown ? EXIT.local : EXIT.failed);
          expect(report.error).toMatch(new RegExp(`^${fault.expectedDiagnosisId}: `));
          // The first failure stops the run, unless it was found after the stage had returned (a second
          // DHCP server heard in the listen window, which does not hold up the later stages).
          const index = STAGE_NAMES.indexOf(fault.stage);
          if (stage?.evidence.afterListenWindow !== true) for (const later of report.stages.slice(index + 1)) expect(later.status).toBe('not-run');
        } else {
          expect(report.result).toBe('Success');
          expect(exitCodeForRun(report)).toBe(EXIT.ok);
        }
        // A refused PIN is never sent again in the run.
        if (stage?.name === 'webticket' && fault.expectedStatus === 'fail') expect(pin.uses).toBeLessThanOrEqual(1);
      } finally {
        await lab.setFaults([]);
        lab.unlockPin(lab.sampleUser.sipUri);
      }
    });
  }
});

describe("a certificate from the pool's own CA is reported, not failed", () => {
  for (const [fault, issuerCheck] of [
    ['cert-internal-ca', 'response-ca'],
    ['cert-internal-ca-no-chain', 'not-checked'],
  ] as const) {
    it(`${fault}: Success, issuer named, issuerCheck ${issuerCheck}`, async () => {
      await lab.setFaults([fault]);
      try {
        const { result } = await runAgainst(lab, {});
        const stage = result.report.stages.find((candidate) => candidate.name === 'certificate');
        expect(result.report.result).toBe('Success');
        expect(stage?.evidence.issuer).toMatch(/Lab Pool Internal CA/);
        expect(stage?.evidence.issuerCheck).toBe(issuerCheck);
        expect(stage?.summary).toMatch(/issued by .*Lab Pool Internal CA.*outside the downloaded root chain/);
        expect(result.report.discovered.issuedCertificate?.issuer).toMatch(/Lab Pool Internal CA/);
      } finally {
        await lab.setFaults([]);
      }
    });
  }
});

describe('deadlines: slow is not silent, and a spent --timeout is named', () => {
  it('trickle: headers arrived, body stalled -> http-answer-too-slow with when and how much', async () => {
    await lab.setFaults(['trickle:certificate']);
    try {
      const { result } = await runAgainst(lab, {}, (o) => {
        o.stageTimeoutsMs = { ...o.stageTimeoutsMs, certificate: 1500 };
      });
      const stage = result.report.stages.find((candidate) => candidate.name === 'certificate');
      expect(stage?.diagnosis?.id).toBe('http-answer-too-slow');
      expect(stage?.error?.message).toMatch(/answer too slow .*headers after \d+ ms, 64 bytes of body by the deadline/);
      expect(stage?.evidence.bodyBytes).toBe(64);
    } finally {
      await lab.setFaults([]);
    }
  });
});

describe('diagnosis ids reached through a listed fault (DIAGNOSIS_REACHABILITY)', () => {
  for (const [id, how] of Object.entries(DIAGNOSIS_REACHABILITY)) {
    if (!('fault' in how)) continue;
    it(`${how.fault} -> ${how.stage} ${id}`, async () => {
      await lab.setFaults([how.fault]);
      try {
        const { result } = await runAgainst(lab, {}, (o) => {
          o.stageTimeoutsMs = Object.fromEntries(STAGE_NAMES.map((name) => [name, STAGE_LIMIT_MS]));
          if (how.timeoutMs !== undefined) {
            o.timeoutMs = how.timeoutMs;
            o.stageTimeoutsMs = Object.fromEntries(STAGE_NAMES.map((name) => [name, 20_000]));
          }
        });
        const stage = result.report.stages.find((candidate) => candidate.name === how.stage);
        expect(stage?.status).toBe('fail');
        expect(stage?.diagnosis?.id).toBe(id);
        expect(exitCodeForRun(result.report)).toBe(EXIT.failed);
      } finally {
        await lab.setFaults([]);
      }
    });
  }
});

describe('a bad option 43 keeps its sub-option detail in the main run', () => {
  it('dhcp-option-43-bad-port: the binary port and "quote it", not 43=(none)', async () => {
    await lab.setFaults(['dhcp-option-43-bad-port']);
    try {
      const lines: string[] = [];
      const { result } = await runAgainst(lab, {}, () => undefined, { onLog: (line) => lines.push(line.text) });
      const stage = result.report.stages.find((candidate) => candidate.name === 'discover');
      expect(stage?.diagnosis?.id).toBe('dhcp-option-43-bad-values');
      expect(stage?.error?.message).toMatch(/sub-option 4 \(WebServerPort\): port is binary.*quote it/);
      expect(String(stage?.evidence.option43)).toMatch(/quote it/);
      const responderLine = lines.find((line) => / 43=/.test(line));
      expect(responderLine).toBeDefined();
      expect(responderLine).not.toMatch(/43=\(none\)/);
      expect(responderLine).toMatch(/43=\(unusable: .*binary/);
    } finally {
      await lab.setFaults([]);
    }
  });
});

describe('the server certificate is shown on a TLS failure', () => {
  it('tls-other-ca: subject, SANs, issuer, NotAfter, days left and SHA-256 of what the server presented', async () => {
    await lab.setFaults(['tls-other-ca']);
    try {
      const { result } = await runAgainst(lab);
      const stage = result.report.stages.find((candidate) => candidate.name === 'webticket');
      expect(stage?.status).toBe('fail');
      const evidence = stage?.evidence ?? {};
      expect(evidence.certSubject).toMatch(new RegExp(`CN=${lab.fqdn.replace(/\./g, '\\.')}`));
      expect(evidence.certSans).toMatch(new RegExp(`DNS:${lab.fqdn.replace(/\./g, '\\.')}`));
      expect(evidence.certIssuer).toMatch(/Other Enterprise Root CA/);
      expect(Number(evidence.certDaysLeft)).toBeGreaterThan(300);
      expect(evidence.certSha256).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
      expect(typeof evidence.certNotAfter).toBe('string');
    } finally {
      await lab.setFaults([]);
    }
  });
});

describe('--json lists every connection with the certificate the server presented', () => {
  it('a passing run: the https connection carries subject, SANs, issuer, NotAfter, days left and SHA-256', async () => {
    const lines: string[] = [];
    const { result } = await runAgainst(lab, {}, () => undefined, { onLog: (line) => lines.push(line.text) });
    expect(result.report.result).toBe('Success');
    // -v names the front end that answered each request.
    expect(lines.filter((line) => / from front end .* \(X-MS-Server-Fqdn\)$/.test(line)).length).toBeGreaterThan(2);
    const json = toJsonReport(result.report);
    const https = json.connections.find((connection) => connection.serverCertificate !== null);
    expect(https?.host).toBe(lab.fqdn);
    expect(https?.serverCertificate?.subject).toMatch(/CN=/);
    expect(https?.serverCertificate?.subjectAltName).toContain(`DNS:${lab.fqdn}`);
    expect(https?.serverCertificate?.issuer).toMatch(/Lab Root CA/);
    expect(https?.serverCertificate?.daysLeft).toBeGreaterThan(0);
    expect(https?.serverCertificate?.sha256Fingerprint).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
    expect(json.connections.some((connection) => connection.serverCertificate === null)).toBe(true);
  });
});
