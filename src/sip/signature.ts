// The TLS-DSK message signature ([MS-SIPAE] 3.2.5.2; [MS-SIP] 3.1.4.2 for versions below 3): a fixed
// list of header fields, each wrapped in <>, concatenated, then an HMAC with the signing key whose hash
// follows the negotiated cipher suite's MAC.

import { createHmac, timingSafeEqual } from 'node:crypto';
import { headerValue, identityUris, parseNameAddr, type SipMessage } from './message.js';

export type SignatureMac = 'md5' | 'sha1' | 'sha256' | 'sha384';

/** What the security association contributes to every signed string. */
export interface SignatureContext {
  realm: string;
  targetname: string;
  /** The challenge's `version`; 3 and above use the longer field list. Absent = 4 (what Lync sends). */
  version?: number;
}

/** crand/cnum for the client's requests, srand/snum for the server's messages. */
export interface SignatureNonce {
  rand: string;
  num: number | string;
}

/**
 * The signed fields of `message`, in order. Absent values are empty strings, which the string
 * still carries as `<>`.
 */
export function signatureFields(message: SipMessage, context: SignatureContext, nonce: SignatureNonce): string[] {
  const cseq = headerValue(message, 'cseq') ?? '';
  const space = cseq.indexOf(' ');
  const cseqNumber = space >= 0 ? cseq.slice(0, space) : cseq;
  const method = message.kind === 'request' ? message.method : space >= 0 ? cseq.slice(space + 1).trim() : '';
  const from = parseNameAddr(headerValue(message, 'from') ?? '');
  const to = parseNameAddr(headerValue(message, 'to') ?? '');
  const identity = identityUris(headerValue(message, 'p-asserted-identity') ?? headerValue(message, 'p-preferred-identity') ?? '');
  const sipIdentity = identity.find((uri) => /^sips?:/i.test(uri)) ?? '';
  const telIdentity = identity.find((uri) => /^tel:/i.test(uri)) ?? '';
  const expires = headerValue(message, 'expires') ?? '';
  const status = message.kind === 'response' ? [String(message.status)] : [];
  const head = ['TLS-DSK', nonce.rand, String(nonce.num), context.realm, context.targetname, headerValue(message, 'call-id') ?? '', cseqNumber, method];
  if ((context.version ?? 4) < 3) return [...head, from.uri, from.tag, to.tag, expires, ...status];
  return [...head, from.uri, from.tag, to.uri, to.tag, sipIdentity, telIdentity, expires, ...status];
}

export function signatureString(fields: readonly string[]): string {
  return fields.map((field) => `<${field}>`).join('');
}

/** Hex HMAC of the signed string; upper case, as pidgin-sipe sends it (servers answer in either case). */
export function computeSignature(key: Buffer, mac: SignatureMac, signedString: string): string {
  return createHmac(mac, key).update(signedString, 'utf8').digest('hex').toUpperCase();
}

/** Constant-time, case-insensitive comparison of a received signature with the expected one. */
export function signatureMatches(key: Buffer, mac: SignatureMac, signedString: string, received: string): boolean {
  if (!/^[0-9a-f]+$/i.test(received)) return false;
  const expected = createHmac(mac, key).update(signedString, 'utf8').digest();
  const given = Buffer.from(received, 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/**
 * The MAC of a negotiated suite, from its IANA name (`TLS_RSA_WITH_AES_128_CBC_SHA` → sha1,
 * `…_SHA384` → sha384); pidgin-sipe picks the signature hash the same way.
 */
export function macForCipherSuite(standardName: string): SignatureMac | undefined {
  const suffix = /_(MD5|SHA|SHA256|SHA384)$/.exec(standardName)?.[1];
  if (suffix === 'MD5') return 'md5';
  if (suffix === 'SHA') return 'sha1';
  if (suffix === 'SHA256') return 'sha256';
  if (suffix === 'SHA384') return 'sha384';
  return undefined;
}
