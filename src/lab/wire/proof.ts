// The server's check of a web-ticket proof header (protocol.md section 5): the received envelope is
// canonicalised with xml-crypto over an @xmldom/xmldom DOM, the digest and HMAC-SHA1 recomputed under
// the proof key of the ticket, and the timestamp held against the server's clock.

import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { DOMParser, type Document as XmlDomDocument, type Element as XmlDomElement } from '@xmldom/xmldom';
import { ExclusiveCanonicalization } from 'xml-crypto';
import { ALG_EXC_C14N, ALG_HMAC_SHA1, ALG_SHA1 } from '../../soap/namespaces.js';
import { parseXml } from '../../soap/xml.js';
import { quoteText } from '../../text.js';
import { BootstrapTestError } from '../../errors.js';

// ---- canonicalisation --------------------------------------------------------------------------

/** A fragment given to the canonicaliser is not well-formed XML. */
/** A fragment given to the canonicaliser is not well-formed XML. */
export class ProofXmlError extends BootstrapTestError {
  constructor(message: string) {
    super('BT_PROOF_XML', message);
  }
}

function parseDom(xml: string): XmlDomDocument {
  return new DOMParser({
    onError: (level, message) => {
      if (level !== 'warning') throw new ProofXmlError(String(message).split('\n')[0] ?? '');
    },
  }).parseFromString(xml, 'text/xml');
}

/** Exclusive XML canonicalisation (without comments) of one element, in its document context. */
export function exclusiveC14n(element: XmlDomElement): string {
  return new ExclusiveCanonicalization().process(element as unknown as Parameters<ExclusiveCanonicalization['process']>[0], {});
}

/** Exclusive canonical form of a standalone XML fragment. */
export function exclusiveC14nOf(xml: string): string {
  const root = parseDom(xml).documentElement;
  if (!root) throw new ProofXmlError('fragment has no root element');
  return exclusiveC14n(root);
}

// ---- checking the header -----------------------------------------------------------------------

export type ProofFailure =
  | 'malformed'
  | 'missing-security'
  | 'missing-timestamp'
  | 'missing-assertion'
  | 'missing-signature'
  | 'unsupported-algorithm'
  | 'bad-reference'
  | 'bad-digest'
  | 'bad-signature'
  | 'unknown-assertion'
  | 'expired'
  | 'not-yet-valid';

export type ProofVerdict =
  | { ok: true; assertionId: string; signed: boolean; created: string; expires: string }
  | { ok: false; reason: ProofFailure; detail: string; assertionId?: string };

export interface VerifyProofOptions {
  /** The proof key of the ticket with this AssertionID, or undefined when the server never issued it. */
  keyFor: (assertionId: string) => Uint8Array | undefined;
  /** The server's clock. */
  now: Date | number;
  /** Tolerated clock difference (default 5 minutes, as WCF). */
  skewMs?: number;
  /** An endorsing policy requires the signature (default true). */
  requireSignature?: boolean;
}

const fail = (reason: ProofFailure, detail: string, assertionId?: string): ProofVerdict =>
  assertionId === undefined ? { ok: false, reason, detail } : { ok: false, reason, detail, assertionId };

function elementsByLocalName(scope: XmlDomElement | XmlDomDocument, name: string): XmlDomElement[] {
  return Array.from(scope.getElementsByTagNameNS('*', name) as unknown as ArrayLike<XmlDomElement>);
}

function childByLocalName(element: XmlDomElement | undefined, name: string): XmlDomElement | undefined {
  if (!element) return undefined;
  for (let node = element.firstChild; node; node = node.nextSibling) {
    if (node.nodeType === 1 && (node as XmlDomElement).localName === name) return node as XmlDomElement;
  }
  return undefined;
}

function attributeByLocalName(element: XmlDomElement | undefined, name: string): string | undefined {
  if (!element) return undefined;
  const attributes = element.attributes;
  for (let i = 0; i < attributes.length; i++) {
    const a = attributes.item(i);
    if (a && (a.localName ?? a.name) === name) return a.value;
  }
  return undefined;
}

const trimmed = (element: XmlDomElement | undefined): string => (element?.textContent ?? '').trim();

function decodeBase64(value: string): Buffer | undefined {
  const compact = value.replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(compact) || compact.length % 4 !== 0) return undefined;
  return Buffer.from(compact, 'base64');
}

/** Check the proof header of a received envelope. Never throws. */
export function verifyProofSecurity(envelopeXml: string, options: VerifyProofOptions): ProofVerdict {
  let document: XmlDomDocument;
  try {
    // The linear well-formedness pass and its bounds come first: xmldom is not built for hostile input.
    parseXml(envelopeXml);
    document = parseDom(envelopeXml);
  } catch (error) {
    return fail('malformed', `request is not well-formed XML: ${quoteText((error as Error).message)}`);
  }
  const envelope = document.documentElement;
  if (!envelope) return fail('malformed', 'request has no root element');
  const header = childByLocalName(envelope, 'Header');
  const security = childByLocalName(header, 'Security');
  if (!security) return fail('missing-security', 'no wsse:Security header');

  const timestamp = childByLocalName(security, 'Timestamp');
  if (!timestamp) return fail('missing-timestamp', 'no wsu:Timestamp in the Security header');
  const created = trimmed(childByLocalName(timestamp, 'Created'));
  const expires = trimmed(childByLocalName(timestamp, 'Expires'));
  const createdMs = Date.parse(created);
  const expiresMs = Date.parse(expires);
  if (Number.isNaN(createdMs) || Number.isNaN(expiresMs)) {
    return fail('malformed', `Timestamp Created/Expires are not dates: "${quoteText(created)}" / "${quoteText(expires)}"`);
  }

  const assertion = childByLocalName(security, 'Assertion');
  const assertionIdInToken = attributeByLocalName(assertion, 'AssertionID') ?? attributeByLocalName(assertion, 'ID');
  const signature = childByLocalName(security, 'Signature');
  // Only our own signature's KeyInfo counts: the assertion may carry a signature with its own KeyInfo.
  const keyInfo = childByLocalName(signature, 'KeyInfo');
  const keyIdentifier = keyInfo ? trimmed(elementsByLocalName(keyInfo, 'KeyIdentifier')[0]) || undefined : undefined;
  const assertionId = keyIdentifier ?? assertionIdInToken;
  if (!assertion && !keyIdentifier) return fail('missing-assertion', 'no SAML Assertion in the Security header');
  if (assertionId === undefined) return fail('missing-assertion', 'the SAML Assertion has no AssertionID');
  if (keyIdentifier && assertionIdInToken && keyIdentifier !== assertionIdInToken) {
    return fail('bad-reference', `KeyIdentifier "${quoteText(keyIdentifier)}" does not name the Assertion "${quoteText(assertionIdInToken)}"`, assertionId);
  }

  const key = options.keyFor(assertionId);
  if (!key) return fail('unknown-assertion', `no ticket with AssertionID "${quoteText(assertionId)}" was issued`, assertionId);

  let signed = false;
  if (signature) {
    const problem = checkSignature(signature, timestamp, key);
    if (problem) return { ...problem, assertionId };
    signed = true;
  } else if (options.requireSignature ?? true) {
    return fail('missing-signature', 'the policy is endorsing but the request carries no ds:Signature', assertionId);
  }

  const now = typeof options.now === 'number' ? options.now : options.now.getTime();
  const skew = options.skewMs ?? 5 * 60_000;
  if (createdMs > now + skew) return fail('not-yet-valid', `timestamp created ${created} is in the future`, assertionId);
  if (expiresMs <= now - skew) return fail('expired', `timestamp expired at ${expires}`, assertionId);
  return { ok: true, assertionId, signed, created, expires };
}

function checkSignature(
  signature: XmlDomElement,
  timestamp: XmlDomElement,
  key: Uint8Array,
): { ok: false; reason: ProofFailure; detail: string } | undefined {
  const signedInfo = childByLocalName(signature, 'SignedInfo');
  if (!signedInfo) return { ok: false, reason: 'malformed', detail: 'ds:Signature has no SignedInfo' };
  const c14nMethod = attributeByLocalName(childByLocalName(signedInfo, 'CanonicalizationMethod'), 'Algorithm');
  const signatureMethod = attributeByLocalName(childByLocalName(signedInfo, 'SignatureMethod'), 'Algorithm');
  if (c14nMethod !== ALG_EXC_C14N) {
    return { ok: false, reason: 'unsupported-algorithm', detail: `canonicalization ${quoteText(c14nMethod ?? '(none)')}` };
  }
  if (signatureMethod !== ALG_HMAC_SHA1) {
    return { ok: false, reason: 'unsupported-algorithm', detail: `signature method ${quoteText(signatureMethod ?? '(none)')}` };
  }
  const references = elementsByLocalName(signedInfo, 'Reference');
  const reference = references[0];
  if (references.length !== 1 || !reference) {
    return { ok: false, reason: 'bad-reference', detail: `SignedInfo has ${references.length} references, expected 1` };
  }
  const uri = attributeByLocalName(reference, 'URI') ?? '';
  const timestampId = attributeByLocalName(timestamp, 'Id');
  if (!uri.startsWith('#') || uri.slice(1) !== timestampId) {
    return { ok: false, reason: 'bad-reference', detail: `Reference URI "${quoteText(uri)}" does not point at the Timestamp` };
  }
  const digestMethod = attributeByLocalName(childByLocalName(reference, 'DigestMethod'), 'Algorithm');
  if (digestMethod !== ALG_SHA1) {
    return { ok: false, reason: 'unsupported-algorithm', detail: `digest method ${quoteText(digestMethod ?? '(none)')}` };
  }
  for (const transform of elementsByLocalName(reference, 'Transform')) {
    const algorithm = attributeByLocalName(transform, 'Algorithm');
    if (algorithm !== ALG_EXC_C14N) {
      return { ok: false, reason: 'unsupported-algorithm', detail: `transform ${quoteText(algorithm ?? '(none)')}` };
    }
  }
  const claimedDigest = decodeBase64(trimmed(childByLocalName(reference, 'DigestValue')));
  const actualDigest = createHash('sha1').update(exclusiveC14n(timestamp), 'utf8').digest();
  if (!claimedDigest || claimedDigest.length !== actualDigest.length || !timingSafeEqual(claimedDigest, actualDigest)) {
    return { ok: false, reason: 'bad-digest', detail: 'DigestValue does not match the canonical Timestamp' };
  }
  const claimedValue = decodeBase64(trimmed(childByLocalName(signature, 'SignatureValue')));
  const actualValue = createHmac('sha1', key).update(exclusiveC14n(signedInfo), 'utf8').digest();
  if (!claimedValue || claimedValue.length !== actualValue.length || !timingSafeEqual(claimedValue, actualValue)) {
    return { ok: false, reason: 'bad-signature', detail: 'SignatureValue does not match HMAC-SHA1 of SignedInfo under the proof key' };
  }
  return undefined;
}

