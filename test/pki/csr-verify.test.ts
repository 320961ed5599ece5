import { createPublicKey, X509Certificate } from 'node:crypto';
import forge from 'node-forge';
import { beforeAll, describe, expect, it } from 'vitest';
import { createCsr } from '../../src/pki/csr.js';
import { startKeyGeneration, type KeyPair } from '../../src/pki/keys.js';
import { verifyIssuedCertificate } from '../../src/pki/verify.js';
import { issue, makeCa, rsaKeys, type TestCa } from './fixtures.js';

let keyPair: KeyPair;
let root: TestCa;
let intermediate: TestCa;

beforeAll(async () => {
  keyPair = await startKeyGeneration({ bits: 1024 });
  root = makeCa('Lab Root CA');
  intermediate = makeCa('Lab Issuing CA', root);
});

function readCsr(der: Buffer): forge.pki.CertificateSigningRequest {
  return forge.pki.certificationRequestFromAsn1(forge.asn1.fromDer(der.toString('binary')));
}

describe('key generation and CSR', () => {
  it('generates a 2048-bit RSA pair by default', async () => {
    const pair = await startKeyGeneration();
    expect(pair.privateKey.asymmetricKeyDetails?.modulusLength).toBe(2048);
  });

  it('builds a PKCS#10 with CN=user@domain as UTF8String, signed SHA-1 by default, that verifies', () => {
    const csr = createCsr({ keyPair, commonName: 'jeff@mslync.net' });
    const parsed = readCsr(csr.der);
    expect(parsed.verify()).toBe(true);
    expect(parsed.subject.getField('CN').value).toBe('jeff@mslync.net');
    expect(parsed.siginfo.algorithmOid).toBe(forge.pki.oids['sha1WithRSAEncryption']);
    expect(csr.base64).toBe(csr.der.toString('base64'));
    const spki = Buffer.from(forge.asn1.toDer(forge.pki.publicKeyToAsn1(parsed.publicKey!)).getBytes(), 'binary');
    expect(createPublicKey({ key: spki, format: 'der', type: 'spki' }).equals(keyPair.publicKey)).toBe(true);
  });

  it("lays the request out byte for byte as node-forge's own PKCS#10 builder does", () => {
    for (const [hash, signatureOid] of [
      ['sha1', forge.pki.oids['sha1WithRSAEncryption']],
      ['sha256', forge.pki.oids['sha256WithRSAEncryption']],
    ] as const) {
      const commonName = 'jöran.lindqvist@mslync.net';
      const request = forge.pki.createCertificationRequest();
      const spki = keyPair.publicKey.export({ type: 'spki', format: 'der' });
      request.publicKey = forge.pki.publicKeyFromAsn1(forge.asn1.fromDer(spki.toString('binary')));
      request.setSubject([{ name: 'commonName', value: commonName, valueTagClass: forge.asn1.Type.UTF8 as unknown as forge.asn1.Class }]);
      const ours = createCsr({ keyPair, commonName, hash });
      // forge is handed our signature (the test above verifies it): what is compared is the layout.
      const signed = request as unknown as { signatureOid: string; signature: string };
      signed.signatureOid = signatureOid!;
      signed.signature = readCsr(ours.der).signature as string;
      const forgeDer = Buffer.from(forge.asn1.toDer(forge.pki.certificationRequestToAsn1(request)).getBytes(), 'binary');
      expect(ours.der.equals(forgeDer)).toBe(true);
      expect(readCsr(ours.der).subject.getField('CN').value).toBe(Buffer.from(commonName, 'utf8').toString('binary'));
    }
  });

  it('signs with SHA-256 on request', () => {
    const parsed = readCsr(createCsr({ keyPair, commonName: 'jeff@mslync.net', hash: 'sha256' }).der);
    expect(parsed.siginfo.algorithmOid).toBe(forge.pki.oids['sha256WithRSAEncryption']);
    expect(parsed.verify()).toBe(true);
  });

  it('a pending generation that fails does not crash the process before it is awaited', async () => {
    const pending = startKeyGeneration({ bits: 12 });
    await new Promise((r) => setTimeout(r, 20));
    await expect(pending).rejects.toThrow();
  });
});

describe('verifyIssuedCertificate', () => {
  const now = Date.now();
  const leaf = (o: Partial<Parameters<typeof issue>[0]> = {}): Buffer =>
    issue({ commonName: 'jeff@mslync.net', publicKey: keyPair.publicKey, issuer: intermediate, ...o }).der;

  it('accepts a certificate with the CSR key, the user as subject, chained through an intermediate', () => {
    const verdict = verifyIssuedCertificate({
      certificate: leaf(),
      expectedPublicKey: keyPair.publicKey,
      user: 'sip:jeff@mslync.net',
      roots: [root.der],
      intermediates: [intermediate.der],
      now,
    });
    expect(verdict.failures).toEqual([]);
    expect(verdict.ok).toBe(true);
    expect(verdict.chain.map((c) => c.subject)).toEqual(['CN=Lab Issuing CA', 'CN=Lab Root CA']);
    expect(verdict.info?.subject).toBe('CN=jeff@mslync.net');
  });

  it('names every problem (other key, other user) and reports an unknown issuer as a note', () => {
    const stranger = makeCa('Someone Else CA');
    const verdict = verifyIssuedCertificate({
      certificate: issue({ commonName: 'eve@mslync.net', publicKey: rsaKeys().publicKey, issuer: stranger }).der,
      expectedPublicKey: keyPair.publicKey,
      user: 'jeff@mslync.net',
      roots: [root.der],
      now,
    });
    expect(verdict.ok).toBe(false);
    expect(verdict.failures.map((f) => f.code).sort()).toEqual(['public-key-mismatch', 'subject-mismatch']);
    expect(verdict.issuerCheck).toBe('not-checked');
    expect(verdict.notes.join(' ')).toMatch(/issued by "CN=Someone Else CA".*no CA certificate/);
  });

  it("accepts a pool's internal CA that the response carries, outside the downloaded chain", () => {
    const poolCa = makeCa('Pool Internal CA');
    const verdict = verifyIssuedCertificate({
      certificate: issue({ commonName: 'jeff@mslync.net', publicKey: keyPair.publicKey, issuer: poolCa }).der,
      expectedPublicKey: keyPair.publicKey,
      user: 'jeff@mslync.net',
      roots: [root.der],
      responseCertificates: [poolCa.der],
      now,
    });
    expect(verdict.failures).toEqual([]);
    expect(verdict.issuerCheck).toBe('response-ca');
    expect(verdict.notes.join(' ')).toMatch(/Pool Internal CA.*signature verified/);
  });

  it('fails when the response carries CA certificates and none of them signed the certificate', () => {
    const poolCa = makeCa('Pool Internal CA');
    const verdict = verifyIssuedCertificate({
      certificate: issue({ commonName: 'jeff@mslync.net', publicKey: keyPair.publicKey, issuer: poolCa }).der,
      expectedPublicKey: keyPair.publicKey,
      user: 'jeff@mslync.net',
      roots: [root.der],
      responseCertificates: [root.der],
      now,
    });
    expect(verdict.failures.map((f) => f.code)).toEqual(['issuer-signature-mismatch']);
  });

  it('rejects a certificate claiming the right issuer but signed by another key', () => {
    const forged = leaf({ signingKey: rsaKeys().privateKey });
    const verdict = verifyIssuedCertificate({
      certificate: forged,
      expectedPublicKey: keyPair.publicKey,
      user: 'jeff@mslync.net',
      roots: [root.der],
      intermediates: [intermediate.der],
      now,
    });
    expect(new X509Certificate(forged).issuer).toBe('CN=Lab Issuing CA');
    expect(verdict.failures.map((f) => f.code)).toEqual(['issuer-signature-mismatch']);
  });

  it('judges validity against the supplied clock and warns under one hour left', () => {
    const base = { expectedPublicKey: keyPair.publicKey, user: 'jeff@mslync.net', roots: [intermediate.der] };
    const future = leaf({ notBefore: new Date(now + 86_400_000), notAfter: new Date(now + 2 * 86_400_000) });
    expect(verifyIssuedCertificate({ ...base, certificate: future, now }).failures.map((f) => f.code)).toEqual(['not-yet-valid']);
    const expired = leaf({ notBefore: new Date(now - 2 * 86_400_000), notAfter: new Date(now - 86_400_000) });
    expect(verifyIssuedCertificate({ ...base, certificate: expired, now }).failures.map((f) => f.code)).toEqual(['expired']);
    const short = leaf({ notAfter: new Date(now + 30 * 60_000) });
    const verdict = verifyIssuedCertificate({ ...base, certificate: short, now });
    expect(verdict.ok).toBe(true);
    expect(verdict.warnings.map((w) => w.code)).toEqual(['short-validity']);
  });

  it('accepts the user in a sip: SAN URI when the CN is something else', () => {
    const der = leaf({ commonName: 'Jeff Smith', sanUri: 'sip:jeff@mslync.net' });
    const verdict = verifyIssuedCertificate({ certificate: der, expectedPublicKey: keyPair.publicKey, user: 'JEFF@mslync.net', roots: [intermediate.der], now });
    expect(verdict.failures).toEqual([]);
  });

  it('reports an unparsable certificate instead of throwing', () => {
    const verdict = verifyIssuedCertificate({ certificate: Buffer.from('nope'), expectedPublicKey: keyPair.publicKey, user: 'a@b', roots: [], now });
    expect(verdict.failures[0]?.code).toBe('unparsable');
  });
});
