import { X509Certificate } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  CertificateParseError,
  certificateInfo,
  certificatesFromPkcs7,
  parseCertificates,
  pemBundle,
  toPem,
} from '../../src/pki/certs.js';
import { buildPkcs7CertsOnly } from '../../src/lab/wire/pkcs7.js';
import { makeCa, type TestCa } from './fixtures.js';

let root: TestCa;
let intermediate: TestCa;

beforeAll(() => {
  root = makeCa('Lab Root CA');
  intermediate = makeCa('Lab Issuing CA', root);
});

describe('parseCertificates', () => {
  it('reads a DER certs-only PKCS#7 and returns the exact certificate bytes', () => {
    const p7 = buildPkcs7CertsOnly([root.der, intermediate.der]);
    const bundle = parseCertificates(p7);
    expect(bundle.format).toBe('pkcs7');
    expect(bundle.encoding).toBe('der');
    expect(bundle.certificates.map((c) => c.toString('hex'))).toEqual([root.der.toString('hex'), intermediate.der.toString('hex')]);
    expect(bundle.parsed.map((c) => c.subject)).toEqual(['CN=Lab Root CA', 'CN=Lab Issuing CA']);
  });

  it('reads base64 PKCS#7, wrapped over lines or not', () => {
    const base64 = buildPkcs7CertsOnly([root.der]).toString('base64');
    expect(parseCertificates(base64)).toMatchObject({ format: 'pkcs7', encoding: 'base64' });
    const wrapped = base64.match(/.{1,64}/g)!.join('\r\n');
    expect(parseCertificates(wrapped).certificates[0]!.equals(root.der)).toBe(true);
  });

  it('reads a PEM PKCS7 block and a PEM certificate list', () => {
    const p7pem = `-----BEGIN PKCS7-----\n${buildPkcs7CertsOnly([root.der, intermediate.der]).toString('base64')}\n-----END PKCS7-----\n`;
    expect(parseCertificates(p7pem)).toMatchObject({ format: 'pkcs7', encoding: 'pem' });
    const list = parseCertificates(pemBundle([root.der, intermediate.der]));
    expect(list.format).toBe('certificate-list');
    expect(list.encoding).toBe('pem');
    expect(list.certificates).toHaveLength(2);
    expect(list.parsed.map((c) => c.raw.toString('hex'))).toEqual(list.certificates.map((c) => c.toString('hex')));
  });

  it('reads several base64 certificates separated by whitespace as a list', () => {
    const text = `${root.der.toString('base64')}\n  ${intermediate.der.toString('base64')}`;
    const bundle = parseCertificates(text);
    expect(bundle).toMatchObject({ format: 'certificate-list', encoding: 'base64' });
    expect(bundle.certificates[1]!.equals(intermediate.der)).toBe(true);
  });

  it('reads a single DER certificate as a one-item list', () => {
    expect(parseCertificates(root.der)).toMatchObject({ format: 'certificate-list', encoding: 'der' });
  });

  it('reads a BER PKCS#7 with indefinite lengths (as some Windows tools write)', () => {
    const oid = Buffer.from('06092a864886f70d010702', 'hex');
    const inner = Buffer.concat([
      Buffer.from('3080', 'hex'),
      Buffer.from('020101', 'hex'),
      Buffer.from('3100', 'hex'),
      Buffer.from('300b06092a864886f70d010701', 'hex'),
      Buffer.from('a080', 'hex'),
      root.der,
      Buffer.from('0000', 'hex'),
      Buffer.from('3100', 'hex'),
      Buffer.from('0000', 'hex'),
    ]);
    const ber = Buffer.concat([Buffer.from('3080', 'hex'), oid, Buffer.from('a080', 'hex'), inner, Buffer.from('00000000', 'hex')]);
    expect(certificatesFromPkcs7(ber)[0]!.equals(root.der)).toBe(true);
  });

  it('rejects garbage, empty input, truncated DER and an empty PKCS#7 with a named error', () => {
    expect(() => parseCertificates('')).toThrow(CertificateParseError);
    expect(() => parseCertificates('hello <world>')).toThrow(/neither DER, PEM nor base64/);
    expect(() => parseCertificates(root.der.subarray(0, 100))).toThrow(CertificateParseError);
    expect(() => parseCertificates(buildPkcs7CertsOnly([]))).toThrow(/no certificates/);
    expect(() => parseCertificates(Buffer.from('not base64 at all!!').toString('base64'))).toThrow(CertificateParseError);
  });
});

describe('certificateInfo and PEM', () => {
  it('describes subject, issuer, serial, validity and SHA-256 fingerprint', () => {
    const info = certificateInfo(intermediate.der);
    const x509 = new X509Certificate(intermediate.der);
    expect(info.subject).toBe('CN=Lab Issuing CA');
    expect(info.issuer).toBe('CN=Lab Root CA');
    expect(info.serialNumber).toBe(x509.serialNumber.toUpperCase());
    expect(info.notBefore).toBe(new Date(x509.validFrom).toISOString());
    expect(info.notAfter).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(info.sha256Fingerprint).toBe(x509.fingerprint256);
  });

  it('writes PEM that node:crypto reads back to the same certificate', () => {
    const pem = toPem(root.der);
    expect(pem).toMatch(/^-----BEGIN CERTIFICATE-----\n/);
    expect(pem.split('\n').every((line) => line.length <= 64)).toBe(true);
    expect(new X509Certificate(pem).raw.equals(root.der)).toBe(true);
  });
});
