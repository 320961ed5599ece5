// Test certificates made on the fly: a root CA, an intermediate and leaf certificates, signed with
// node-forge from node:crypto keys. Nothing here is shipped.

import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import forge from 'node-forge';

export interface TestCa {
  der: Buffer;
  cert: forge.pki.Certificate;
  privateKey: KeyObject;
  publicKey: KeyObject;
}

let serial = 1;

export function rsaKeys(bits = 1024): { publicKey: KeyObject; privateKey: KeyObject } {
  return generateKeyPairSync('rsa', { modulusLength: bits });
}

function toForgePrivate(key: KeyObject): forge.pki.rsa.PrivateKey {
  return forge.pki.privateKeyFromPem(key.export({ type: 'pkcs1', format: 'pem' }).toString()) as forge.pki.rsa.PrivateKey;
}

function toForgePublic(key: KeyObject): forge.pki.rsa.PublicKey {
  return forge.pki.publicKeyFromPem(key.export({ type: 'spki', format: 'pem' }).toString()) as forge.pki.rsa.PublicKey;
}

const derOf = (cert: forge.pki.Certificate): Buffer =>
  Buffer.from(forge.asn1.toDer(forge.pki.certificateToAsn1(cert)).getBytes(), 'binary');

export interface IssueOptions {
  commonName: string;
  publicKey: KeyObject;
  issuer?: TestCa;
  notBefore?: Date;
  notAfter?: Date;
  isCa?: boolean;
  sanUri?: string;
  /** Signs with this key instead of the issuer's (a forged certificate). */
  signingKey?: KeyObject;
}

export function issue(o: IssueOptions & { privateKeyForSelfSigned?: KeyObject }): { der: Buffer; cert: forge.pki.Certificate } {
  const cert = forge.pki.createCertificate();
  cert.publicKey = toForgePublic(o.publicKey);
  cert.serialNumber = (serial++).toString(16).padStart(4, '0');
  cert.validity.notBefore = o.notBefore ?? new Date(Date.now() - 3_600_000);
  cert.validity.notAfter = o.notAfter ?? new Date(Date.now() + 180 * 86_400_000);
  cert.setSubject([{ name: 'commonName', value: o.commonName, valueTagClass: forge.asn1.Type.UTF8 as unknown as forge.asn1.Class }]);
  cert.setIssuer(o.issuer ? o.issuer.cert.subject.attributes : cert.subject.attributes);
  const extensions: object[] = [{ name: 'basicConstraints', cA: o.isCa ?? false }];
  if (o.isCa) extensions.push({ name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true });
  if (o.sanUri) extensions.push({ name: 'subjectAltName', altNames: [{ type: 6, value: o.sanUri }] });
  cert.setExtensions(extensions);
  const signer = o.signingKey ?? o.issuer?.privateKey ?? o.privateKeyForSelfSigned;
  if (!signer) throw new Error('no signing key');
  cert.sign(toForgePrivate(signer), forge.md.sha256.create());
  return { der: derOf(cert), cert };
}

export function makeCa(commonName: string, parent?: TestCa): TestCa {
  const keys = rsaKeys();
  const issued = parent
    ? issue({ commonName, publicKey: keys.publicKey, issuer: parent, isCa: true })
    : issue({ commonName, publicKey: keys.publicKey, isCa: true, privateKeyForSelfSigned: keys.privateKey });
  return { ...issued, ...keys };
}
