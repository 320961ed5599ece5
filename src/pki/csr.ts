// The phone's key pair and certificate request (protocol.md section 7): RSA 2048 from node:crypto,
// a PKCS#10 with CN=user@domain built with node-forge and signed by node:crypto (SHA-1 as real
// clients, SHA-256 on request). node-forge is imported here only; the CLI loads this lazily.

import { generateKeyPair, sign, type KeyObject } from 'node:crypto';
import forge from 'node-forge';

export interface KeyPair {
  publicKey: KeyObject;
  privateKey: KeyObject;
}

export const DEFAULT_KEY_BITS = 2048;

/**
 * Start generating an RSA key pair now and collect it later: the promise may sit unawaited while
 * other stages run (a rejection is only reported to whoever awaits it).
 */
export function startKeyGeneration({ bits = DEFAULT_KEY_BITS }: { bits?: number } = {}): Promise<KeyPair> {
  const pending = new Promise<KeyPair>((resolve, reject) => {
    generateKeyPair('rsa', { modulusLength: bits, publicExponent: 0x10001 }, (error, publicKey, privateKey) => {
      if (error) reject(error);
      else resolve({ publicKey, privateKey });
    });
  });
  pending.catch(() => undefined);
  return pending;
}

/** Present in node-forge's x509.js but missing from its type declarations. */
interface ForgeCsrInternals {
  getCertificationRequestInfo(request: forge.pki.CertificateSigningRequest): forge.asn1.Asn1;
}

export type CsrHash = 'sha1' | 'sha256';

export interface Csr {
  der: Buffer;
  base64: string;
}

const SIGNATURE_OIDS: Record<CsrHash, string> = {
  sha1: forge.pki.oids['sha1WithRSAEncryption'] as string,
  sha256: forge.pki.oids['sha256WithRSAEncryption'] as string,
};

/**
 * The key as forge needs it, built from its modulus and exponent: Node exports those as JWK in about
 * a microsecond, where the SubjectPublicKeyInfo export plus forge's PEM parse costs some 150 µs a run.
 */
function forgePublicKey(publicKey: KeyObject): forge.pki.rsa.PublicKey {
  const { n, e } = publicKey.export({ format: 'jwk' });
  if (n === undefined || e === undefined) throw new TypeError('the key pair is not RSA');
  const integer = (base64url: string) => new forge.jsbn.BigInteger(Buffer.from(base64url, 'base64url').toString('hex'), 16);
  return forge.pki.setRsaPublicKey(integer(n), integer(e));
}

/** PKCS#10 for `commonName` (user@domain, no `sip:`), signed with the pair's private key. */
export function createCsr({ keyPair, commonName, hash = 'sha1' }: { keyPair: KeyPair; commonName: string; hash?: CsrHash }): Csr {
  const request = forge.pki.createCertificationRequest();
  request.publicKey = forgePublicKey(keyPair.publicKey);
  // '@' is outside PrintableString (forge's default), so the CN is a UTF8String.
  request.setSubject([{ name: 'commonName', value: commonName, valueTagClass: forge.asn1.Type.UTF8 as unknown as forge.asn1.Class }]);
  const info = (forge.pki as unknown as ForgeCsrInternals).getCertificationRequestInfo(request);
  const infoDer = Buffer.from(forge.asn1.toDer(info).getBytes(), 'binary');
  // node:crypto signs in well under a millisecond where forge's JS RSA takes tens.
  const signature = sign(hash, infoDer, keyPair.privateKey);
  const signed = request as unknown as { certificationRequestInfo: forge.asn1.Asn1; signatureOid: string; signature: string };
  signed.certificationRequestInfo = info;
  signed.signatureOid = SIGNATURE_OIDS[hash];
  signed.signature = signature.toString('binary');
  const der = Buffer.from(forge.asn1.toDer(forge.pki.certificationRequestToAsn1(request)).getBytes(), 'binary');
  return { der, base64: der.toString('base64') };
}
