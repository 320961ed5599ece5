// The phone's certificate request (protocol.md section 7 in the design notes): a PKCS#10 with
// CN=user@domain for the RSA 2048 pair from node:crypto, signed by node:crypto (SHA-1 as real
// clients, SHA-256 on request).
//
// The request is assembled with node-forge's ASN.1 codec alone. Its PKCS#10 builder lives in
// x509.js, which brings RSA in JavaScript, big integers, PEM and the ciphers with it; loading all
// of node-forge was the largest single cost of a one-off run (a 600 KB chunk), and none of that
// is needed when node:crypto supplies the SubjectPublicKeyInfo and the signature. The layout is
// node-forge's own: test/pki/csr-verify.test.ts checks the bytes against pki.createCertificationRequest.

import { sign } from 'node:crypto';
import asn1 from 'node-forge/lib/asn1.js';
import type { RsaKeys } from './keys.js';

export type CsrHash = 'sha1' | 'sha256';

export interface Csr {
  der: Buffer;
  base64: string;
}

const SIGNATURE_OIDS: Record<CsrHash, string> = {
  sha1: '1.2.840.113549.1.1.5', // sha1WithRSAEncryption
  sha256: '1.2.840.113549.1.1.11', // sha256WithRSAEncryption
};
const COMMON_NAME_OID = '2.5.4.3';

const { Class, Type } = asn1;
const binary = (bytes: Buffer): string => bytes.toString('binary');
const sequence = (items: ReturnType<typeof asn1.create>[]) => asn1.create(Class.UNIVERSAL, Type.SEQUENCE, true, items);
const oid = (dotted: string) => asn1.create(Class.UNIVERSAL, Type.OID, false, asn1.oidToDer(dotted).getBytes());
const toBuffer = (node: ReturnType<typeof asn1.create>): Buffer => Buffer.from(asn1.toDer(node).getBytes(), 'binary');

/** PKCS#10 for `commonName` (user@domain, no `sip:`), signed with the pair's private key. */
export function createCsr({ keyPair, commonName, hash = 'sha1' }: { keyPair: RsaKeys; commonName: string; hash?: CsrHash }): Csr {
  const info = sequence([
    asn1.create(Class.UNIVERSAL, Type.INTEGER, false, asn1.integerToDer(0).getBytes()),
    // Subject: one RDN. '@' is outside PrintableString, so the CN is a UTF8String.
    sequence([
      asn1.create(Class.UNIVERSAL, Type.SET, true, [
        sequence([oid(COMMON_NAME_OID), asn1.create(Class.UNIVERSAL, Type.UTF8, false, binary(Buffer.from(commonName, 'utf8')))]),
      ]),
    ]),
    asn1.fromDer(binary(keyPair.publicKey.export({ type: 'spki', format: 'der' }))),
    // attributes [0]: none.
    asn1.create(Class.CONTEXT_SPECIFIC, 0, true, []),
  ]);
  const infoDer = toBuffer(info);
  const signature = sign(hash, infoDer, keyPair.privateKey);
  const der = toBuffer(
    sequence([
      info,
      sequence([oid(SIGNATURE_OIDS[hash]), asn1.create(Class.UNIVERSAL, Type.NULL, false, '')]),
      asn1.create(Class.UNIVERSAL, Type.BITSTRING, false, `\u0000${binary(signature)}`),
    ]),
  );
  return { der, base64: der.toString('base64') };
}
