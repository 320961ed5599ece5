import { X509Certificate, createPublicKey, generateKeyPairSync, createSign } from 'node:crypto';
import forge from 'node-forge';
import { describe, expect, it } from 'vitest';
import {
  createRootCa,
  issueServerCertificate,
  issueUserCertificate,
  loadCertificateAuthority,
  privateKeyPem,
  readCertificateRequest,
} from '../../src/lab/ca.js';
import { startKeyGeneration } from '../../src/pki/keys.js';

const now = new Date('2030-01-01T00:00:00Z');
const hours = (n: number): Date => new Date(now.getTime() + n * 3_600_000);

async function makeCa() {
  const key = await startKeyGeneration();
  return createRootCa({ key, subject: { commonName: 'Lab Root CA', organization: 'bootstrap-test lab' }, notBefore: hours(-1), notAfter: hours(24 * 365) });
}

function csrDer(commonName: string, hash: 'sha1' | 'sha256') {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 1024 });
  const csr = forge.pki.createCertificationRequest();
  csr.publicKey = forge.pki.publicKeyFromPem(publicKey.export({ type: 'spki', format: 'pem' }).toString());
  csr.setSubject([{ name: 'commonName', value: commonName }]);
  csr.sign(forge.pki.privateKeyFromPem(privateKey.export({ type: 'pkcs1', format: 'pem' }).toString()), forge.md[hash].create());
  return { der: Buffer.from(forge.asn1.toDer(forge.pki.certificationRequestToAsn1(csr)).getBytes(), 'binary'), publicKey };
}

describe('lab CA', () => {
  it('creates a self-signed CA certificate that verifies with its own key', async () => {
    const ca = await makeCa();
    const cert = ca.certificate.x509;
    expect(cert.ca).toBe(true);
    expect(cert.subject).toContain('CN=Lab Root CA');
    expect(cert.issuer).toBe(cert.subject);
    expect(cert.verify(cert.publicKey)).toBe(true);
    expect(new Date(cert.validTo).getTime()).toBe(hours(24 * 365).getTime());
  });

  it('issues a server certificate for the pool FQDN that chains to the CA', async () => {
    const ca = await makeCa();
    const serverKey = await startKeyGeneration();
    const server = issueServerCertificate(ca, { publicKey: serverKey.publicKey, dnsNames: ['pool01.lab.test', 'lab.test'], notBefore: hours(-1), notAfter: hours(48) });
    expect(server.x509.verify(ca.certificate.x509.publicKey)).toBe(true);
    expect(server.x509.checkIssued(ca.certificate.x509)).toBe(true);
    expect(server.x509.checkHost('pool01.lab.test')).toBe('pool01.lab.test');
    expect(server.x509.checkHost('other.lab.test')).toBeUndefined();
    expect(server.x509.ca).toBe(false);
    expect(server.x509.checkPrivateKey(serverKey.privateKey)).toBe(true);
  });

  it('reads a CSR and issues a user certificate with its key, subject and validity', async () => {
    const ca = await makeCa();
    const { der, publicKey } = csrDer('phone.test@lab.test', 'sha1');
    const request = readCertificateRequest(der);
    expect(request).toMatchObject({ commonName: 'phone.test@lab.test', keyBits: 1024, signatureHash: 'sha1', signatureValid: true });
    const issued = issueUserCertificate(ca, { publicKeyPem: request.publicKeyPem, commonName: 'phone.test@lab.test', sipUri: 'sip:phone.test@lab.test', notBefore: now, notAfter: hours(4320) });
    expect(issued.x509.subject).toBe('CN=phone.test@lab.test');
    expect(issued.x509.publicKey.export({ type: 'spki', format: 'der' })).toEqual(publicKey.export({ type: 'spki', format: 'der' }));
    expect(issued.x509.verify(ca.certificate.x509.publicKey)).toBe(true);
    expect(new Date(issued.x509.validTo).getTime() - new Date(issued.x509.validFrom).getTime()).toBe(4320 * 3_600_000);
    expect(issued.x509.subjectAltName).toContain('sip:phone.test@lab.test');
  });

  it('notices a CSR whose signature does not match its key', () => {
    const { der } = csrDer('x@lab.test', 'sha256');
    const tampered = Buffer.from(der);
    tampered[tampered.length - 5] = (tampered[tampered.length - 5] ?? 0) ^ 0xff;
    expect(readCertificateRequest(tampered).signatureValid).toBe(false);
    expect(() => readCertificateRequest(Buffer.from('not a csr'))).toThrow(/PKCS#10/);
  });

  it('loads a CA from PEM and refuses a key that belongs to another certificate', async () => {
    const ca = await makeCa();
    const other = await startKeyGeneration();
    const loaded = loadCertificateAuthority(ca.certificate.pem, privateKeyPem(ca.privateKey), 'ca-dir');
    expect(loaded.certificate.der).toEqual(ca.certificate.der);
    expect(() => loadCertificateAuthority(ca.certificate.pem, privateKeyPem(other.privateKey), 'ca-dir')).toThrow(
      'ca-dir: the CA key does not belong to the CA certificate',
    );
    expect(() => loadCertificateAuthority('junk', privateKeyPem(other.privateKey), 'ca-dir')).toThrow(/ca-dir: the CA certificate is not/);
  });
});
