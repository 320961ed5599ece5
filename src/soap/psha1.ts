// The proof key of a web ticket (WS-Trust CK/PSHA1): the client derives it to sign, the lab to verify.

import { createHmac } from 'node:crypto';

/** Length of the proof key: the 256 bits of entropy each side contributes. */
export const PROOF_KEY_BYTES = 32;

/**
 * P_SHA-1 from TLS 1.0 (RFC 2246 §5): A(0) = seed, A(i) = HMAC(secret, A(i-1)),
 * output = HMAC(secret, A(1) + seed) + HMAC(secret, A(2) + seed) + ..., cut to `length` bytes.
 */
export function pSha1(secret: Uint8Array, seed: Uint8Array, length: number): Buffer {
  const blocks: Buffer[] = [];
  let produced = 0;
  let a: Buffer = Buffer.from(seed);
  while (produced < length) {
    a = createHmac('sha1', secret).update(a).digest();
    const block = createHmac('sha1', secret).update(a).update(seed).digest();
    blocks.push(block);
    produced += block.length;
  }
  return Buffer.concat(blocks).subarray(0, length);
}

/**
 * WS-Trust CK/PSHA1: key = P_SHA1(requestor entropy, issuer entropy), i.e. the CLIENT entropy is
 * the HMAC secret and the SERVER entropy is the seed. Checked against the published
 * Microsoft.IdentityModel PSHA1 reference vectors (see test/soap/proof.test.ts).
 */
export function computeProofKey(clientEntropy: Uint8Array, serverEntropy: Uint8Array, length = PROOF_KEY_BYTES): Buffer {
  return pSha1(clientEntropy, serverEntropy, length);
}
