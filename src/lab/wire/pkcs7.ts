// The chain bundle a server hands out: a degenerate (certs-only) PKCS#7 SignedData. The client reads
// it with src/pki/certs.ts.

import { OID_SIGNED_DATA } from '../../pki/certs.js';
import { der } from './der.js';

/** PKCS#7 data (1.2.840.113549.1.7.1): the (absent) content of a certs-only SignedData. */
const OID_DATA = Buffer.from([0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x01]);

/** A degenerate (certs-only) PKCS#7 SignedData holding these certificates. */
export function buildPkcs7CertsOnly(certificates: Uint8Array[]): Buffer {
  const signedData = der(0x30, der(0x02, Buffer.from([1])), der(0x31), der(0x30, der(0x06, OID_DATA)), der(0xa0, ...certificates), der(0x31));
  return der(0x30, der(0x06, OID_SIGNED_DATA), der(0xa0, signedData));
}
