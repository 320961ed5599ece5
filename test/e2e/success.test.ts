// The whole bootstrap against the lab pool: every stage passes, with the facts a user reads.

import { X509Certificate } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exitCodeForRun } from '../../src/cli/bootstrap-run.js';
import { STAGE_NAMES } from '../../src/model.js';
import { runAgainst, startLab, type Lab } from './helpers.js';

let lab: Lab;
beforeAll(async () => {
  lab = await startLab({});
});
afterAll(async () => {
  await lab?.stop();
});

describe('bootstrap against the lab pool', () => {
  it('passes every stage over at most two connections and issues a certificate for the user', async () => {
    const { result, pin } = await runAgainst(lab);
    const report = result.report;
    expect(report.stages.map((stage) => [stage.name, stage.status])).toEqual(STAGE_NAMES.map((name) => [name, 'pass']));
    expect(report.result).toBe('Success');
    expect(exitCodeForRun(report)).toBe(0);
    expect(result.internalError).toBeUndefined();
    expect(report.targetUri).toBe(`https://${lab.fqdn}:${lab.ports.https}/CertProv/CertProvisioningService.svc`);
    expect(report.targetFqdn).toBe(lab.registrarFqdn);
    expect(report.discovered.userSipUri).toBe(lab.sampleUser.sipUri);
    expect(report.discovered.dhcpResponders).toHaveLength(1);
    expect(report.discovered.trustedRoots?.[0]?.sha256Fingerprint).toBe(new X509Certificate(lab.caCertificatesPem).fingerprint256);
    const issued = report.discovered.issuedCertificate;
    expect(issued?.subject).toContain(lab.sampleUser.sipUri.replace(/^sip:/, ''));
    expect(report.discovered.deviceId).toMatch(/^\{[0-9a-f-]{36}\}$/i);
    expect(result.connections.length).toBeLessThanOrEqual(2);
    expect(pin.uses).toBe(2);
    expect(lab.stats.certificatesIssued).toBe(1);
  });

  it('says in the log where inferred shapes and documented defaults were used', async () => {
    const { result } = await runAgainst(lab);
    const kinds = new Set(result.log.map((line) => line.kind));
    expect(kinds.has('inferred')).toBe(true);
    expect(result.log.some((line) => line.text.startsWith('Searching for end point with name CertProvisioningServiceWebTicketProof'))).toBe(true);
    const rootchain = result.report.stages.find((stage) => stage.name === 'rootchain');
    expect(rootchain?.notes.join('\n')).toMatch(/GetRootCertChain/);
  });
});
