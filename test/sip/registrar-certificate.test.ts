import { generateKeyPairSync } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { createRootCa, issueServerCertificate, type CertificateAuthority } from '../../src/lab/ca.js';
import { inspectRegistrarCertificate, signatureAlgorithmOid } from '../../src/sip/registrar-certificate.js';

const NOW = Date.UTC(2026, 10, 30);
const validity = { notBefore: new Date(NOW - 86_400_000), notAfter: new Date(NOW + 10 * 86_400_000 + 3600_000) };
const rsa = () => generateKeyPairSync('rsa', { modulusLength: 2048 });
let ca: CertificateAuthority;
let sha1Ca: CertificateAuthority;

beforeAll(() => {
  ca = createRootCa({ key: rsa(), subject: { commonName: 'Lab Root' }, ...validity });
  sha1Ca = createRootCa({ key: rsa(), subject: { commonName: 'Old Root' }, hash: 'sha1', ...validity });
});

describe('registrar certificate findings', () => {
  it('checks every name a phone may use and counts the days left', () => {
    const leaf = issueServerCertificate(ca, { publicKey: rsa().publicKey, dnsNames: ['pool01.lab.test', 'fe01.lab.test'], ...validity });
    const findings = inspectRegistrarCertificate([leaf.x509, ca.certificate.x509], ['pool01.lab.test', 'FE01.lab.test.', 'sip.lab.test'], NOW);
    expect(findings.nameChecks).toEqual([
      { name: 'pool01.lab.test', covered: true },
      { name: 'fe01.lab.test', covered: true },
      { name: 'sip.lab.test', covered: false },
    ]);
    expect(findings).toMatchObject({ daysLeft: 10, expired: false, notYetValid: false, wildcardNames: [], sha1Signed: [], serverAuth: true });
    expect(inspectRegistrarCertificate([leaf.x509], [], NOW + 11 * 86_400_000)).toMatchObject({ expired: true, daysLeft: -1 });
  });

  it('lists wildcard SAN entries, which cover a name but break Lync Phone Edition', () => {
    const leaf = issueServerCertificate(ca, { publicKey: rsa().publicKey, dnsNames: ['*.lab.test', 'pool01.lab.test'], ...validity });
    const findings = inspectRegistrarCertificate([leaf.x509], ['sip.lab.test'], NOW);
    expect(findings.wildcardNames).toEqual(['*.lab.test']);
    expect(findings.nameChecks).toEqual([{ name: 'sip.lab.test', covered: true }]);
  });

  it('flags SHA-1-signed certificates below a self-signed root, not the root itself', () => {
    const leaf = issueServerCertificate(sha1Ca, { publicKey: rsa().publicKey, dnsNames: ['pool01.lab.test'], hash: 'sha1', ...validity });
    expect(signatureAlgorithmOid(leaf.x509)).toBe('1.2.840.113549.1.1.5');
    expect(signatureAlgorithmOid(ca.certificate.x509)).toBe('1.2.840.113549.1.1.11');
    expect(inspectRegistrarCertificate([leaf.x509, sha1Ca.certificate.x509], [], NOW).sha1Signed).toEqual(['CN=pool01.lab.test']);
  });
});
