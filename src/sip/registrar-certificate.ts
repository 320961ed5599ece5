// What the registrar-tls stage says about the certificate a registrar presents on 5061: does it name
// every host a phone may use (option 120, SRV targets, TLS-DSK targetname), does it carry wildcard
// entries (which break Lync Phone Edition sign-in), is any non-root certificate signed with SHA-1
// (works only at OpenSSL SECLEVEL 0), its validity and days left, and the serverAuth EKU.

import type { X509Certificate } from 'node:crypto';
import type forge from 'node-forge';
import asn1 from 'node-forge/lib/asn1.js';

const SHA1_SIGNATURE_OIDS = new Set(['1.2.840.113549.1.1.5', '1.2.840.10045.4.1', '1.3.14.3.2.29', '1.2.840.10040.4.3']);
const SERVER_AUTH_OID = '1.3.6.1.5.5.7.3.1';
const DAY_MS = 86_400_000;

export interface RegistrarCertificateFindings {
  subject: string;
  issuer: string;
  notAfter: string;
  daysLeft: number;
  expired: boolean;
  notYetValid: boolean;
  dnsNames: string[];
  /** DNS SAN entries (or a CN, when there is no DNS SAN) that are wildcards. */
  wildcardNames: string[];
  /** Each name a phone may use, and whether the leaf covers it (RFC 6125 rules, as Node applies them). */
  nameChecks: Array<{ name: string; covered: boolean }>;
  /** Subjects of chain certificates signed with SHA-1; a self-signed root's own signature is not used and not listed. */
  sha1Signed: string[];
  /** undefined when the leaf has no EKU extension (any purpose). */
  serverAuth: boolean | undefined;
}

/** The signature algorithm OID of a certificate, read from its outer ASN.1 (works for RSA and EC keys). */
export function signatureAlgorithmOid(certificate: X509Certificate): string {
  const parsed = asn1.fromDer(certificate.raw.toString('binary'));
  const algorithm = (parsed.value as forge.asn1.Asn1[])[1];
  const oid = (algorithm?.value as forge.asn1.Asn1[] | undefined)?.[0];
  if (!oid || typeof oid.value !== 'string') throw new Error(`certificate ${certificate.subject} has no readable signature algorithm`);
  return asn1.derToOid(oid.value);
}

function dnsNamesOf(certificate: X509Certificate): string[] {
  return (certificate.subjectAltName ?? '')
    .split(/,\s*/)
    .filter((entry) => entry.startsWith('DNS:'))
    .map((entry) => entry.slice(4));
}

function commonNameOf(certificate: X509Certificate): string | undefined {
  return /(?:^|\n)CN=([^\n]*)/.exec(certificate.subject)?.[1];
}

export function inspectRegistrarCertificate(chain: readonly X509Certificate[], names: readonly string[], nowMs: number): RegistrarCertificateFindings {
  const leaf = chain[0];
  if (!leaf) throw new Error('the registrar presented no certificate');
  const dnsNames = dnsNamesOf(leaf);
  const commonName = commonNameOf(leaf);
  const presented = dnsNames.length > 0 ? dnsNames : commonName ? [commonName] : [];
  const notAfterMs = Date.parse(leaf.validTo);
  const eku = leaf.keyUsage;
  return {
    subject: leaf.subject,
    issuer: leaf.issuer,
    notAfter: new Date(notAfterMs).toISOString(),
    daysLeft: Math.floor((notAfterMs - nowMs) / DAY_MS),
    expired: nowMs > notAfterMs,
    notYetValid: nowMs < Date.parse(leaf.validFrom),
    dnsNames,
    wildcardNames: presented.filter((name) => name.includes('*')),
    nameChecks: [...new Set(names.map((name) => name.toLowerCase().replace(/\.$/, '')))].map((name) => ({ name, covered: leaf.checkHost(name) !== undefined })),
    sha1Signed: chain.filter((certificate) => !(certificate.subject === certificate.issuer && certificate.verify(certificate.publicKey)) && SHA1_SIGNATURE_OIDS.has(signatureAlgorithmOid(certificate))).map((certificate) => certificate.subject),
    serverAuth: eku === undefined ? undefined : eku.includes(SERVER_AUTH_OID),
  };
}
