// The phone's key pair and certificate request (protocol.md section 7): RSA 2048 from node:crypto,
// a PKCS#10 with CN=user@domain built with node-forge and signed by node:crypto (SHA-1 as real
// clients, SHA-256 on request). The CLI loads this module (and with it node-forge) lazily.

import { sign } from 'node:crypto';
import { forgePublicKey } from './forge-key.js';
import type { RsaKeys } from './keys.js';
import forge from 'node-forge';

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

/** PKCS#10 for `commonName` (user@domain, no `sip:`), signed with the pair's private key. */
export function createCsr({ keyPair, commonName, hash = 'sha1' }: { keyPair: RsaKeys; commonName: string; hash?: CsrHash }): Csr {
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
