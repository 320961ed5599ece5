// Run reports as the pipeline produces them, for the renderer tests.
import { diagnose } from '../../src/diagnosis/classify.js';
import type { RunReport, StageReport } from '../../src/model.js';

export const TARGET_URI = 'https://pool01.lab.bootstrap-test.test:443/CertProv/CertProvisioningService.svc';
export const TARGET_FQDN = 'pool01.lab.bootstrap-test.test';

const ROOT = {
  subject: 'CN=Lab Root CA',
  issuer: 'CN=Lab Root CA',
  serialNumber: '01',
  notBefore: '2024-01-01T00:00:00.000Z',
  notAfter: '2034-01-01T00:00:00.000Z',
  sha256Fingerprint: 'AB:CD:EF',
};

function pass(name: StageReport['name'], ms: number, summary: string): StageReport {
  return { name, status: 'pass', ms, summary, evidence: {}, notes: [] };
}

export function successReport(): RunReport {
  return {
    targetUri: TARGET_URI,
    targetFqdn: TARGET_FQDN,
    result: 'Success',
    latencyMs: 6412.3456,
    error: '',
    startedAt: '2025-01-01T10:00:00.000Z',
    stages: [
      pass('discover', 12.4, 'DHCPACK from 127.0.0.1: web pool01.lab.bootstrap-test.test, registrar pool01.lab.bootstrap-test.test'),
      pass('rootchain', 8, 'PKCS#7 with 1 certificate: CN=Lab Root CA'),
      pass('webticket', 40, 'ticket valid until 2025-01-01T18:00:00Z'),
      pass('certprov-mex', 5, 'CertProvisioningServiceWebTicketProof_SHA1 (endorsing)'),
      pass('resolveuser', 6, 'sip:alice@lab.bootstrap-test.test'),
      pass('webticket-sip', 30, 'ticket with the SIP URI claim'),
      pass('certificate', 90, 'CN=alice@lab.bootstrap-test.test, valid 180 days'),
      pass('time', 3, '127.0.0.1:123 (srv): offset 2 ms, stratum 3'),
      pass('dns', 2, 'pool01.lab.bootstrap-test.test 127.0.0.1:5061 (SRV)'),
      pass('registrar-tls', 15, 'TLSv1 TLS_RSA_WITH_AES_128_CBC_SHA, pool01.lab.bootstrap-test.test, 364 days left'),
      pass('register', 120, '200 OK from pool01.lab.bootstrap-test.test (TLSv1, rspauth verified), signed out: yes'),
    ],
    discovered: {
      targetUri: TARGET_URI,
      targetFqdn: TARGET_FQDN,
      source: { targetUri: 'dhcp', targetFqdn: 'dhcp' },
      dhcpResponders: [{ server: '127.0.0.1', address: '127.0.0.1', ms: 3, certProvisioningUrl: TARGET_URI, sipServers: [TARGET_FQDN] }],
      rootChainFormat: 'pkcs7',
      trustedRoots: [ROOT],
      webTicketExpires: '2025-01-01T18:00:00Z',
      userSipUri: 'sip:alice@lab.bootstrap-test.test',
      deviceId: '{6F9619FF-8B86-D011-B42D-00C04FC964FF}',
      issuedCertificate: { ...ROOT, subject: 'CN=alice@lab.bootstrap-test.test', serialNumber: '1234abcd' },
    },
  };
}

/** A run that failed at webticket with a wrong-PIN style rejection. */
export function pinRejectedReport(): RunReport {
  const diagnosis = diagnose('webticket', 'soap-fault:FailedAuthentication:28055');
  return {
    targetUri: TARGET_URI,
    targetFqdn: TARGET_FQDN,
    result: 'Failure',
    latencyMs: 203.5,
    error: `${diagnosis.id}: ${diagnosis.summary}`,
    startedAt: '2025-01-01T10:00:00.000Z',
    stages: [
      pass('discover', 12, 'DHCPACK from 127.0.0.1'),
      pass('rootchain', 8, 'PKCS#7 with 1 certificate'),
      {
        name: 'webticket',
        status: 'fail',
        ms: 150.2,
        summary: 'PIN refused',
        evidence: { host: TARGET_FQDN, port: 443, httpStatus: 500, ports: ['WebTicketServicePin', 'WebTicketServiceAuth'] },
        notes: ['PIN credential shape inferred: UsernameToken, plain text'],
        error: {
          observation: 'soap-fault:FailedAuthentication:28055',
          message: 'HTTP 500 with a FailedAuthentication fault',
          server: { ErrorId: '28055', Reason: 'PIN authentication failed.', 'X-MS-Server-Fqdn': 'fe01.lab.bootstrap-test.test' },
        },
        diagnosis,
      },
      { name: 'certprov-mex', status: 'not-run', ms: 0, summary: 'not run', evidence: {}, notes: [] },
    ],
    discovered: { targetUri: TARGET_URI, targetFqdn: TARGET_FQDN, source: { targetUri: 'dhcp', targetFqdn: 'dhcp' }, trustedRoots: [ROOT] },
  };
}
