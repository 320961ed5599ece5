// The lab pool's certificate authority: a root CA, the pool's TLS certificate, and user certificates
// signed from a PKCS#10 request. RSA keys come from node:crypto (fast, off the main thread); node-forge
// only assembles the X.509 structures, and node:crypto signs them, because forge's pure-JS RSA private
// operations cost tens of milliseconds each.

import {
  X509Certificate,
  createPrivateKey,
  createPublicKey,
  randomBytes,
  sign as signBytes,
  type KeyObject,
} from 'node:crypto';
import forge from 'node-forge';
import { forgePublicKey } from './forge-key.js';
import type { RsaKeys } from '../pki/keys.js';

/** A certificate in the three forms callers need: PEM for TLS options, DER for the wire, parsed for checks. */
export interface IssuedCertificate {
  pem: string;
  der: Buffer;
  x509: X509Certificate;
}

export interface CertificateAuthority {
  certificate: IssuedCertificate;
  privateKey: KeyObject;
}

export interface DistinguishedName {
  commonName: string;
  organization?: string;
  organizationalUnit?: string;
  country?: string;
}

export type SignatureHash = 'sha1' | 'sha256';

/** A positive 128-bit serial (RFC 5280 allows up to 20 octets; the top bit is cleared to stay positive). */
function randomSerialHex(): string {
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0] ?? 0) & 0x7f | 0x01;
  return bytes.toString('hex');
}

function nameAttributes(name: DistinguishedName): forge.pki.CertificateField[] {
  const attributes: forge.pki.CertificateField[] = [];
  if (name.country) attributes.push({ name: 'countryName', value: name.country });
  if (name.organization) attributes.push({ name: 'organizationName', value: name.organization });
  if (name.organizationalUnit) attributes.push({ name: 'organizationalUnitName', value: name.organizationalUnit });
  // '@' (user@domain) is outside PrintableString, forge's default, so the CN is a UTF8String.
  attributes.push({ name: 'commonName', value: name.commonName, valueTagClass: forge.asn1.Type.UTF8 as unknown as forge.asn1.Class });
  return attributes;
}

const SIGNATURE_OIDS: Record<SignatureHash, string> = {
  sha1: forge.pki.oids['sha1WithRSAEncryption'] as string,
  sha256: forge.pki.oids['sha256WithRSAEncryption'] as string,
};

/** Signs the TBSCertificate with node:crypto and returns the finished certificate. */
function signCertificate(cert: forge.pki.Certificate, signer: KeyObject, hash: SignatureHash): IssuedCertificate {
  const oid = SIGNATURE_OIDS[hash];
  cert.signatureOid = oid;
  cert.siginfo.algorithmOid = oid;
  const tbs = (forge.pki as unknown as { getTBSCertificate(c: forge.pki.Certificate): forge.asn1.Asn1 }).getTBSCertificate(cert);
  (cert as unknown as { tbsCertificate: forge.asn1.Asn1 }).tbsCertificate = tbs;
  const tbsDer = Buffer.from(forge.asn1.toDer(tbs).getBytes(), 'binary');
  cert.signature = signBytes(hash, tbsDer, signer).toString('binary');
  const der = Buffer.from(forge.asn1.toDer(forge.pki.certificateToAsn1(cert)).getBytes(), 'binary');
  return fromDer(der);
}

export function fromDer(der: Buffer): IssuedCertificate {
  const x509 = new X509Certificate(der);
  return { der, x509, pem: x509.toString() };
}

function forgeCertificateOf(issued: IssuedCertificate): forge.pki.Certificate {
  return forge.pki.certificateFromAsn1(forge.asn1.fromDer(issued.der.toString('binary')));
}

function subjectKeyIdentifierOf(issued: IssuedCertificate): string {
  return forgeCertificateOf(issued).generateSubjectKeyIdentifier().getBytes();
}

interface Validity {
  notBefore: Date;
  notAfter: Date;
}

function baseCertificate(publicKey: forge.pki.rsa.PublicKey, validity: Validity): forge.pki.Certificate {
  const cert = forge.pki.createCertificate();
  cert.publicKey = publicKey;
  cert.serialNumber = randomSerialHex();
  cert.validity.notBefore = validity.notBefore;
  cert.validity.notAfter = validity.notAfter;
  return cert;
}

export interface RootCaOptions extends Validity {
  key: RsaKeys;
  subject: DistinguishedName;
  hash?: SignatureHash;
}

export function createRootCa(options: RootCaOptions): CertificateAuthority {
  const cert = baseCertificate(forgePublicKey(options.key.publicKey), options);
  const name = nameAttributes(options.subject);
  cert.setSubject(name);
  cert.setIssuer(name);
  cert.setExtensions([
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  return {
    certificate: signCertificate(cert, options.key.privateKey, options.hash ?? 'sha256'),
    privateKey: options.key.privateKey,
  };
}

function issuedBy(ca: CertificateAuthority, cert: forge.pki.Certificate): forge.pki.Certificate {
  cert.setIssuer(forgeCertificateOf(ca.certificate).subject.attributes);
  return cert;
}

export interface ServerCertificateOptions extends Validity {
  publicKey: KeyObject;
  /** The first name is also the subject CN. */
  dnsNames: string[];
  organization?: string;
  hash?: SignatureHash;
}

export function issueServerCertificate(ca: CertificateAuthority, options: ServerCertificateOptions): IssuedCertificate {
  const [commonName] = options.dnsNames;
  if (commonName === undefined) throw new Error('a server certificate needs at least one DNS name');
  const cert = issuedBy(ca, baseCertificate(forgePublicKey(options.publicKey), options));
  cert.setSubject(nameAttributes({ commonName, organization: options.organization }));
  cert.setExtensions([
    { name: 'basicConstraints', cA: false },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', serverAuth: true, clientAuth: true },
    { name: 'subjectAltName', altNames: options.dnsNames.map((value) => ({ type: 2, value })) },
    { name: 'subjectKeyIdentifier' },
    { name: 'authorityKeyIdentifier', keyIdentifier: subjectKeyIdentifierOf(ca.certificate) },
  ]);
  return signCertificate(cert, ca.privateKey, options.hash ?? 'sha256');
}

export interface UserCertificateOptions extends Validity {
  /** SPKI PEM of the key the certificate certifies (normally the CSR's). */
  publicKeyPem: string;
  /** Subject CN, e.g. `phone.test@lab.bootstrap-test.test`. */
  commonName: string;
  /** Added as a URI subject alternative name, e.g. `sip:phone.test@lab.bootstrap-test.test`. */
  sipUri?: string;
  hash?: SignatureHash;
}

/** The client certificate GetAndPublishCert hands out: client authentication, subject CN = the user. */
export function issueUserCertificate(ca: CertificateAuthority, options: UserCertificateOptions): IssuedCertificate {
  const publicKey = forge.pki.publicKeyFromPem(options.publicKeyPem) as forge.pki.rsa.PublicKey;
  const cert = issuedBy(ca, baseCertificate(publicKey, options));
  cert.setSubject(nameAttributes({ commonName: options.commonName }));
  const extensions: object[] = [
    { name: 'basicConstraints', cA: false },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', clientAuth: true },
    { name: 'subjectKeyIdentifier' },
    { name: 'authorityKeyIdentifier', keyIdentifier: subjectKeyIdentifierOf(ca.certificate) },
  ];
  if (options.sipUri) extensions.push({ name: 'subjectAltName', altNames: [{ type: 6, value: options.sipUri }] });
  cert.setExtensions(extensions);
  return signCertificate(cert, ca.privateKey, options.hash ?? 'sha256');
}

/** What the CA needs to know about a PKCS#10 request before it signs. */
export interface CertificateRequestInfo {
  commonName?: string;
  /** SPKI PEM of the requested key. */
  publicKeyPem: string;
  keyBits: number;
  /** `sha1`, `sha256`, ... from the request's signature algorithm, or the OID when unknown. */
  signatureHash: string;
  /** The request's self-signature verifies with its own key (proof of possession). */
  signatureValid: boolean;
}

/** Reads a DER PKCS#10 request. Throws a one-line Error when the bytes are not a request. */
export function readCertificateRequest(der: Uint8Array): CertificateRequestInfo {
  let csr: forge.pki.CertificateSigningRequest;
  try {
    csr = forge.pki.certificationRequestFromAsn1(forge.asn1.fromDer(Buffer.from(der).toString('binary')), true);
  } catch (error) {
    throw new Error(`not a PKCS#10 certificate request: ${(error as Error).message}`);
  }
  if (!csr.publicKey) throw new Error('the certificate request carries no RSA public key');
  const publicKey = csr.publicKey as forge.pki.rsa.PublicKey;
  let signatureValid = false;
  try {
    signatureValid = csr.verify();
  } catch {
    signatureValid = false;
  }
  const algorithm = forge.pki.oids[csr.signatureOid ?? ''] as string | undefined;
  const commonName = csr.subject.getField('CN')?.value as string | undefined;
  return {
    ...(commonName !== undefined ? { commonName } : {}),
    publicKeyPem: forge.pki.publicKeyToPem(publicKey),
    keyBits: publicKey.n.bitLength(),
    signatureHash: algorithm ? algorithm.replace(/WithRSAEncryption$/, '') : (csr.signatureOid ?? 'unknown'),
    signatureValid,
  };
}

/**
 * Loads a CA from PEM texts and checks that the key belongs to the certificate and that the
 * certificate may sign others. `source` names where the texts came from, for the error line.
 */
export function loadCertificateAuthority(certPem: string, keyPem: string, source: string): CertificateAuthority {
  let x509: X509Certificate;
  let privateKey: KeyObject;
  try {
    x509 = new X509Certificate(certPem);
  } catch (error) {
    throw new Error(`${source}: the CA certificate is not a PEM X.509 certificate (${(error as Error).message})`);
  }
  try {
    privateKey = createPrivateKey(keyPem);
  } catch (error) {
    throw new Error(`${source}: the CA key is not a readable unencrypted PEM private key (${(error as Error).message})`);
  }
  if (!x509.checkPrivateKey(privateKey)) throw new Error(`${source}: the CA key does not belong to the CA certificate`);
  if (!x509.ca) throw new Error(`${source}: the CA certificate has no basicConstraints cA=true`);
  if (privateKey.asymmetricKeyType !== 'rsa') throw new Error(`${source}: the CA key must be RSA`);
  return { certificate: fromDer(Buffer.from(x509.raw)), privateKey };
}

export function privateKeyPem(key: KeyObject): string {
  return key.export({ type: 'pkcs8', format: 'pem' }).toString();
}

/** SPKI PEM of a public key, or of the public half of a private key. */
export function publicKeyPemOf(key: KeyObject): string {
  const publicKey = key.type === 'public' ? key : createPublicKey(key);
  return publicKey.export({ type: 'spki', format: 'pem' }).toString();
}
