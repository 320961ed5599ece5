// The checks a phone makes on the certificate GetAndPublishCert returns (protocol.md section 7):
// its public key is the CSR's, its subject names the user, it is valid now, and its signature verifies
// against a CA certificate the response carried, when it carried one. A Lync/SfB pool issues phone
// certificates from its own internal CA, not from the enterprise chain GetRootCertChain returns, so
// not chaining to the downloaded root is a note naming the issuer, never a failure. Every problem is
// reported, not just the first.

import { X509Certificate, type KeyObject } from 'node:crypto';
import type { CertificateInfo } from '../model.js';
import { certificateInfo } from './certs.js';

export type IssuedCertificateProblemCode =
  | 'unparsable'
  | 'public-key-mismatch'
  | 'subject-mismatch'
  | 'issuer-signature-mismatch'
  | 'not-yet-valid'
  | 'expired'
  | 'short-validity';

export interface IssuedCertificateProblem {
  code: IssuedCertificateProblemCode;
  message: string;
}

export interface IssuedCertificateVerdict {
  ok: boolean;
  failures: IssuedCertificateProblem[];
  warnings: IssuedCertificateProblem[];
  /** Facts worth a line in the report that are not problems (who issued it, how it chains). */
  notes: string[];
  info?: CertificateInfo;
  /** Issuers from the certificate's issuer up to the trusted root, when a chain was found. */
  chain: CertificateInfo[];
  /** How the issuer was established: a downloaded root, a CA certificate of the response, or neither. */
  issuerCheck: 'downloaded-root' | 'response-ca' | 'not-checked';
}

/** DER, or a certificate the caller already parsed (each is parsed only once per run). */
export type CertificateInput = Uint8Array | X509Certificate;

export interface VerifyIssuedOptions {
  certificate: CertificateInput;
  /** The public key the CSR carried. */
  expectedPublicKey: KeyObject;
  /** `sip:user@domain` or `user@domain`. */
  user: string;
  /** Trust anchors (the downloaded root chain's roots, plus --ca-file). */
  roots: CertificateInput[];
  /** Other certificates of the downloaded chain that may complete a path to the roots. */
  intermediates?: CertificateInput[];
  /** CA certificates the GetAndPublishCert response carried with the issued one (a PKCS#7 or a chain). */
  responseCertificates?: CertificateInput[];
  now: Date | number;
  /** Less validity left than this is a warning (default one hour: pidgin-sipe refuses such a certificate). */
  minRemainingMs?: number;
}

const MAX_CHAIN_DEPTH = 8;

/** Parsed certificates; bytes identical to one of `known` (a returned chain repeating the roots) reuse it. */
function parseAll(inputs: CertificateInput[], known: X509Certificate[] = []): X509Certificate[] {
  const out: X509Certificate[] = [];
  for (const input of inputs) {
    if (input instanceof X509Certificate) {
      out.push(input);
      continue;
    }
    const same = known.find((certificate) => certificate.raw.equals(input));
    if (same) {
      out.push(same);
      continue;
    }
    try {
      out.push(new X509Certificate(input));
    } catch {
      // A bad extra certificate cannot help build a path; the leaf is what gets judged.
    }
  }
  return out;
}

const issuedBy = (subject: X509Certificate, issuer: X509Certificate): boolean =>
  subject.checkIssued(issuer) && subject.verify(issuer.publicKey);

/** A path from `leaf` to one of `roots` through `pool`, issuers only (leaf excluded), or undefined. */
function findPath(leaf: X509Certificate, pool: X509Certificate[], roots: X509Certificate[]): X509Certificate[] | undefined {
  const path: X509Certificate[] = [];
  let current = leaf;
  for (let depth = 0; depth < MAX_CHAIN_DEPTH; depth++) {
    const root = roots.find((r) => issuedBy(current, r));
    if (root) return [...path, root];
    const next = pool.find((c) => c !== current && !path.includes(c) && !c.checkIssued(c) && issuedBy(current, c));
    if (!next) return undefined;
    path.push(next);
    current = next;
  }
  return undefined;
}

function namesUser(certificate: X509Certificate, entity: string): boolean {
  const wanted = entity.toLowerCase();
  const commonNames = certificate.subject
    .split('\n')
    .filter((line) => line.startsWith('CN='))
    .map((line) => line.slice(3).trim().toLowerCase());
  if (commonNames.includes(wanted) || commonNames.includes(`sip:${wanted}`)) return true;
  const altNames = (certificate.subjectAltName ?? '').toLowerCase().split(/,\s*/);
  return altNames.includes(`uri:sip:${wanted}`) || altNames.includes(`email:${wanted}`);
}

export function verifyIssuedCertificate(o: VerifyIssuedOptions): IssuedCertificateVerdict {
  const failures: IssuedCertificateProblem[] = [];
  const warnings: IssuedCertificateProblem[] = [];
  let certificate: X509Certificate;
  try {
    certificate = o.certificate instanceof X509Certificate ? o.certificate : new X509Certificate(o.certificate);
  } catch (error) {
    return {
      ok: false,
      failures: [{ code: 'unparsable', message: `not an X.509 certificate: ${(error as Error).message}` }],
      warnings,
      notes: [],
      chain: [],
      issuerCheck: 'not-checked',
    };
  }
  const info = certificateInfo(certificate);

  // Compares the key material itself, so an equivalent re-encoding by the CA still matches.
  if (!certificate.publicKey.equals(o.expectedPublicKey)) {
    failures.push({ code: 'public-key-mismatch', message: 'the certificate does not carry the public key of the request' });
  }

  const entity = o.user.replace(/^sip:/i, '');
  if (!namesUser(certificate, entity)) {
    failures.push({ code: 'subject-mismatch', message: `subject "${info.subject}" does not name ${entity}` });
  }

  const notes: string[] = [];
  const roots = parseAll(o.roots);
  const downloaded = parseAll(o.intermediates ?? [], roots);
  const fromResponse = parseAll(o.responseCertificates ?? [], roots).filter((c) => !c.raw.equals(certificate.raw));
  const path = findPath(certificate, [...downloaded, ...fromResponse], roots);
  let issuerCheck: IssuedCertificateVerdict['issuerCheck'] = 'not-checked';
  if (path) issuerCheck = 'downloaded-root';
  else {
    const known = [...fromResponse, ...roots, ...downloaded];
    const signer = known.find((candidate) => issuedBy(certificate, candidate));
    // A CA we hold that carries the issuer's name but whose key did not sign it: a forgery or a mix-up.
    const namesake = known.find((candidate) => certificate.checkIssued(candidate));
    if (signer) issuerCheck = 'response-ca';
    else if (namesake || fromResponse.length > 0) {
      failures.push({
        code: 'issuer-signature-mismatch',
        message: namesake
          ? `the signature does not verify against the CA certificate named as its issuer ("${certificateInfo(namesake).subject}")`
          : `the signature does not verify against any of the ${fromResponse.length} CA certificate(s) the response carried`,
      });
    }
    const how = signer
      ? '; signature verified against the CA certificate in the response'
      : fromResponse.length === 0 && !namesake
        ? '; the response carried no CA certificate to check the signature against'
        : '';
    notes.push(`issued by "${info.issuer}", which does not chain to the downloaded root chain (normal: a pool issues phone certificates from its own CA)${how}`);
  }

  const now = typeof o.now === 'number' ? o.now : o.now.getTime();
  const notBefore = Date.parse(info.notBefore);
  const notAfter = Date.parse(info.notAfter);
  if (now < notBefore) failures.push({ code: 'not-yet-valid', message: `valid only from ${info.notBefore}` });
  else if (now > notAfter) failures.push({ code: 'expired', message: `expired at ${info.notAfter}` });
  else if (notAfter - now < (o.minRemainingMs ?? 3_600_000)) {
    const minutes = Math.floor((notAfter - now) / 60_000);
    warnings.push({ code: 'short-validity', message: `only ${minutes} min of validity left (until ${info.notAfter})` });
  }

  return {
    ok: failures.length === 0,
    failures,
    warnings,
    notes,
    info,
    chain: (path ?? []).map((c) => certificateInfo(c)),
    issuerCheck,
  };
}
