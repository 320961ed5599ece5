// Certificates as they arrive from the pool: PKCS#7 certs-only (DER, base64 or PEM), a list of
// base64/PEM X.509 certificates, or a single DER certificate. Certificates are kept as the exact
// DER bytes received (sliced out of the PKCS#7, not re-encoded) and described with node:crypto.
// Each certificate is parsed once, here; the parsed form travels with the bytes so that later
// steps (the stage table, trust anchors, path building) never parse it again.

import { X509Certificate } from 'node:crypto';
import type { CertificateInfo } from '../model.js';
import { BootstrapTestError } from '../errors.js';

export class CertificateParseError extends BootstrapTestError {
  constructor(message: string) {
    super('BT_CERTIFICATE_PARSE', message);
  }
}

export type BundleFormat = 'pkcs7' | 'certificate-list';
export type BundleEncoding = 'der' | 'base64' | 'pem';

export interface CertificateBundle {
  format: BundleFormat;
  encoding: BundleEncoding;
  /** DER of each certificate, in the order received. */
  certificates: Buffer[];
  /** The same certificates, parsed (same order). */
  parsed: X509Certificate[];
}

/** A certificate's exact DER bytes together with their parsed form. */
interface CheckedCertificate {
  der: Buffer;
  x509: X509Certificate;
}

function bundleOf(format: BundleFormat, encoding: BundleEncoding, checked: CheckedCertificate[]): CertificateBundle {
  return { format, encoding, certificates: checked.map((c) => c.der), parsed: checked.map((c) => c.x509) };
}

// ---- a minimal DER reader (exact byte ranges) --------------------------------------------------

interface Tlv {
  tag: number;
  /** Offset of the tag byte. */
  start: number;
  /** Offset of the first content byte. */
  contentStart: number;
  /** Offset just past the element (after the end-of-contents octets for indefinite lengths). */
  end: number;
  /** Offset just past the content. */
  contentEnd: number;
}

function readTlv(der: Uint8Array, start: number, limit: number): Tlv {
  if (start + 2 > limit) throw new CertificateParseError(`DER truncated at byte ${start}`);
  const tag = der[start] as number;
  if ((tag & 0x1f) === 0x1f) throw new CertificateParseError(`unsupported multi-byte DER tag at byte ${start}`);
  let offset = start + 1;
  const first = der[offset++] as number;
  if (first === 0x80) {
    if ((tag & 0x20) === 0) throw new CertificateParseError(`indefinite length on a primitive at byte ${start}`);
    let at = offset;
    for (;;) {
      if (at + 2 > limit) throw new CertificateParseError('DER indefinite length without end-of-contents');
      if (der[at] === 0 && der[at + 1] === 0) return { tag, start, contentStart: offset, contentEnd: at, end: at + 2 };
      at = readTlv(der, at, limit).end;
    }
  }
  let length = first;
  if (first & 0x80) {
    const count = first & 0x7f;
    if (count > 4) throw new CertificateParseError(`DER length of ${count} bytes at byte ${start}`);
    length = 0;
    for (let i = 0; i < count; i++) {
      if (offset >= limit) throw new CertificateParseError(`DER truncated at byte ${offset}`);
      length = length * 256 + (der[offset++] as number);
    }
  }
  const end = offset + length;
  if (end > limit) throw new CertificateParseError(`DER element at byte ${start} runs past the end (${end} > ${limit})`);
  return { tag, start, contentStart: offset, contentEnd: end, end };
}

function childrenOf(der: Uint8Array, parent: Tlv): Tlv[] {
  const out: Tlv[] = [];
  for (let at = parent.contentStart; at < parent.contentEnd; ) {
    const tlv = readTlv(der, at, parent.contentEnd);
    out.push(tlv);
    at = tlv.end;
  }
  return out;
}

/** PKCS#7 signedData (1.2.840.113549.1.7.2), the content type a chain bundle carries. */
export const OID_SIGNED_DATA = Buffer.from([0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x02]);

function isPkcs7(der: Uint8Array): boolean {
  try {
    const outer = readTlv(der, 0, der.length);
    if (outer.tag !== 0x30) return false;
    const first = childrenOf(der, outer)[0];
    return first !== undefined && first.tag === 0x06 && Buffer.from(der.subarray(first.contentStart, first.contentEnd)).equals(OID_SIGNED_DATA);
  } catch {
    return false;
  }
}

/** The certificates of a PKCS#7 SignedData (certs-only or not), as their exact DER bytes. */
export function certificatesFromPkcs7(der: Uint8Array): Buffer[] {
  const outer = readTlv(der, 0, der.length);
  if (outer.tag !== 0x30 || outer.end !== der.length) throw new CertificateParseError('PKCS#7 is not one DER SEQUENCE');
  const [oid, explicit] = childrenOf(der, outer);
  if (!oid || oid.tag !== 0x06 || !Buffer.from(der.subarray(oid.contentStart, oid.contentEnd)).equals(OID_SIGNED_DATA)) {
    throw new CertificateParseError('PKCS#7 content type is not signedData');
  }
  if (!explicit || explicit.tag !== 0xa0) throw new CertificateParseError('PKCS#7 has no [0] content');
  const signedData = childrenOf(der, explicit)[0];
  if (!signedData || signedData.tag !== 0x30) throw new CertificateParseError('PKCS#7 SignedData is not a SEQUENCE');
  const certificateSet = childrenOf(der, signedData).find((t) => t.tag === 0xa0);
  if (!certificateSet) return [];
  return childrenOf(der, certificateSet)
    .filter((t) => t.tag === 0x30)
    .map((t) => Buffer.from(der.subarray(t.start, t.end)));
}

// ---- parsing any of the accepted encodings -----------------------------------------------------

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/g;

function checkCertificate(der: Buffer, where: string): CheckedCertificate {
  try {
    return { der, x509: new X509Certificate(der) };
  } catch (error) {
    throw new CertificateParseError(`${where} is not an X.509 certificate: ${(error as Error).message}`);
  }
}

/** Consecutive complete DER SEQUENCEs filling `bytes` exactly, or undefined. */
function derSequences(bytes: Buffer): Buffer[] | undefined {
  const items: Buffer[] = [];
  try {
    for (let at = 0; at < bytes.length; ) {
      const tlv = readTlv(bytes, at, bytes.length);
      if (tlv.tag !== 0x30) return undefined;
      items.push(bytes.subarray(tlv.start, tlv.end));
      at = tlv.end;
    }
  } catch {
    return undefined;
  }
  return items.length > 0 ? items : undefined;
}

function fromDer(bytes: Buffer): { format: BundleFormat; checked: CheckedCertificate[] } {
  if (isPkcs7(bytes)) {
    const checked = certificatesFromPkcs7(bytes).map((c, i) => checkCertificate(c, `PKCS#7 certificate ${i + 1}`));
    if (checked.length === 0) throw new CertificateParseError('PKCS#7 holds no certificates');
    return { format: 'pkcs7', checked };
  }
  const items = derSequences(bytes) ?? [bytes];
  return {
    format: 'certificate-list',
    checked: items.map((c, i) => checkCertificate(Buffer.from(c), items.length === 1 ? 'DER data' : `DER item ${i + 1}`)),
  };
}

function bundleFromDer(bytes: Buffer, encoding: BundleEncoding): CertificateBundle {
  const { format, checked } = fromDer(bytes);
  return bundleOf(format, encoding, checked);
}

const BASE64_ONLY = /^[A-Za-z0-9+/=\s]+$/;

/**
 * Certificates from PKCS#7 (DER, base64 or PEM) or from one or more X.509 certificates (DER, PEM,
 * or base64 strings separated by whitespace/commas). Throws CertificateParseError naming the problem.
 */
export function parseCertificates(input: Uint8Array | string): CertificateBundle {
  if (typeof input !== 'string') {
    const bytes = Buffer.from(input);
    if (bytes.length > 0 && bytes[0] === 0x30) return bundleFromDer(bytes, 'der');
    return parseCertificates(bytes.toString('latin1'));
  }
  const text = input.trim();
  if (text === '') throw new CertificateParseError('no certificate data');
  const pemBlocks = [...text.matchAll(PEM_BLOCK)];
  if (pemBlocks.length > 0) {
    const certificates: CheckedCertificate[] = [];
    let format: BundleFormat = 'certificate-list';
    for (const [, label, body] of pemBlocks) {
      const bytes = Buffer.from((body ?? '').replace(/\s+/g, ''), 'base64');
      if (label === 'PKCS7' || label === 'CMS') {
        format = 'pkcs7';
        certificates.push(...fromDer(bytes).checked);
      } else if (label === 'CERTIFICATE' || label === 'X509 CERTIFICATE' || label === 'TRUSTED CERTIFICATE') {
        certificates.push(checkCertificate(bytes, `PEM certificate ${certificates.length + 1}`));
      }
    }
    if (certificates.length === 0) throw new CertificateParseError('PEM data holds no certificate or PKCS7 block');
    return bundleOf(format, 'pem', certificates);
  }
  const pieces = text.split(/[\s,;]+/).filter((p) => p !== '');
  if (!pieces.every((p) => BASE64_ONLY.test(p))) throw new CertificateParseError('data is neither DER, PEM nor base64');
  // Either several base64 items, each a whole certificate, or one base64 blob wrapped over lines.
  const decoded = pieces.map((p) => Buffer.from(p, 'base64'));
  if (pieces.length > 1 && decoded.every((d) => derSequences(d)?.length === 1)) {
    if (decoded.some(isPkcs7)) throw new CertificateParseError('a PKCS#7 sits inside a list of certificates');
    return bundleOf('certificate-list', 'base64', decoded.map((d, i) => checkCertificate(d, `base64 item ${i + 1}`)));
  }
  return bundleFromDer(Buffer.from(pieces.join(''), 'base64'), 'base64');
}

// ---- describing --------------------------------------------------------------------------------

/** `CN=a\nO=b` (node's multi-line form) → `CN=a, O=b`. */
function oneLineName(name: string): string {
  return name
    .split('\n')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .join(', ');
}

export function certificateInfo(certificate: Uint8Array | X509Certificate): CertificateInfo {
  const x509 = certificate instanceof X509Certificate ? certificate : new X509Certificate(certificate);
  return {
    subject: oneLineName(x509.subject),
    issuer: oneLineName(x509.issuer),
    serialNumber: x509.serialNumber.toUpperCase(),
    notBefore: new Date(x509.validFrom).toISOString(),
    notAfter: new Date(x509.validTo).toISOString(),
    sha256Fingerprint: x509.fingerprint256,
  };
}

export function toPem(certificate: Uint8Array): string {
  const base64 = Buffer.from(certificate).toString('base64');
  const lines = base64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN CERTIFICATE-----\n${lines.join('\n')}\n-----END CERTIFICATE-----\n`;
}

/** PEM bundle, e.g. for a TLS `ca` option. */
export function pemBundle(certificates: Uint8Array[]): string {
  return certificates.map(toPem).join('');
}
