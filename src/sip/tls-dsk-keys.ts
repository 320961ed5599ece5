// TLS-DSK signing keys ([MS-SIPAE] 3.2.5.1): a 128-byte block from the TLS PRF with the EAP-TLS label
// (RFC 5216 §2.3) over client_random ‖ server_random; bytes 64-95 sign the client's messages, 96-127
// the server's. That block is exactly an RFC 5705 exporter without context, which is how the client
// gets it from node:tls; the PRF here serves engines that expose only the master secret (node-forge)
// and the test vectors.

import { createHmac } from 'node:crypto';

export const TLS_DSK_EXPORTER_LABEL = 'client EAP encryption';
export const TLS_DSK_KEY_BLOCK_LENGTH = 128;

export interface TlsDskKeys {
  clientKey: Buffer;
  serverKey: Buffer;
}

export function splitTlsDskKeyBlock(block: Buffer): TlsDskKeys {
  if (block.length !== TLS_DSK_KEY_BLOCK_LENGTH) throw new RangeError(`TLS-DSK key block is ${block.length} bytes, not ${TLS_DSK_KEY_BLOCK_LENGTH}`);
  return { clientKey: Buffer.from(block.subarray(64, 96)), serverKey: Buffer.from(block.subarray(96, 128)) };
}

/** RFC 2246 §5 P_hash. */
function pHash(hash: 'md5' | 'sha1' | 'sha256' | 'sha384', secret: Buffer, seed: Buffer, length: number): Buffer {
  const chunks: Buffer[] = [];
  let produced = 0;
  let a = seed;
  while (produced < length) {
    a = createHmac(hash, secret).update(a).digest();
    const chunk = createHmac(hash, secret).update(a).update(seed).digest();
    chunks.push(chunk);
    produced += chunk.length;
  }
  return Buffer.concat(chunks).subarray(0, length);
}

/** TLS 1.0/1.1 PRF (RFC 2246 §5): P_MD5 over the first half of the secret XOR P_SHA-1 over the second. */
export function tls10Prf(secret: Buffer, label: string, seed: Buffer, length: number): Buffer {
  const half = Math.ceil(secret.length / 2);
  const labelSeed = Buffer.concat([Buffer.from(label, 'latin1'), seed]);
  const md5 = pHash('md5', secret.subarray(0, half), labelSeed, length);
  const sha1 = pHash('sha1', secret.subarray(secret.length - half), labelSeed, length);
  return Buffer.from(md5.map((byte, index) => byte ^ (sha1[index] as number)));
}

/** TLS 1.2 PRF (RFC 5246 §5) with the suite's hash. */
export function tls12Prf(hash: 'sha256' | 'sha384', secret: Buffer, label: string, seed: Buffer, length: number): Buffer {
  return pHash(hash, secret, Buffer.concat([Buffer.from(label, 'latin1'), seed]), length);
}

/** RFC 2246 §8.1, without extended master secret (the TLS-DSK phone profile turns EMS off). */
export function tls10MasterSecret(preMaster: Buffer, clientRandom: Buffer, serverRandom: Buffer): Buffer {
  return tls10Prf(preMaster, 'master secret', Buffer.concat([clientRandom, serverRandom]), 48);
}

/** The TLS-DSK keys of a TLS 1.0/1.1 session from its master secret and randoms. */
export function tls10TlsDskKeys(masterSecret: Buffer, clientRandom: Buffer, serverRandom: Buffer): TlsDskKeys {
  const seed = Buffer.concat([clientRandom, serverRandom]);
  return splitTlsDskKeyBlock(tls10Prf(masterSecret, TLS_DSK_EXPORTER_LABEL, seed, TLS_DSK_KEY_BLOCK_LENGTH));
}
