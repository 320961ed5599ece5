// "Webticket Proof authentication" (protocol.md section 5): the proof key and the WS-Security header a
// client sends with ResolveUser and GetAndPublishCert. The client writes the two signed elements
// (Timestamp, SignedInfo) already in exclusive canonical form, so the bytes it hashes are the bytes it
// sends and no DOM is needed to sign; a test holds them equal to the lab's exclusive canonicalisation
// inside a full envelope. The server's check of the header is src/lab/wire/proof.ts.

import { createHash, createHmac } from 'node:crypto';
import {
  ALG_EXC_C14N,
  ALG_HMAC_SHA1,
  ALG_SHA1,
  DS,
  TOKEN_TYPE_SAML11,
  VALUE_TYPE_SAML_ASSERTION_ID,
  WSSE,
  WSU,
} from './namespaces.js';
import { escapeText } from './xml.js';

export { computeProofKey, pSha1, PROOF_KEY_BYTES } from './psha1.js';

export interface ProofTicket {
  /** The SAML assertion exactly as received (rawSlice). */
  assertionXml: string;
  assertionId: string;
  /** Ticket lifetime, verbatim from the token response. */
  created: string;
  expires: string;
}

/** Character data as exclusive canonicalisation writes it (a carriage return survives as a reference). */
function canonicalText(value: string): string {
  return escapeText(value).replace(/\r/g, '&#xD;');
}

/**
 * The wsu:Timestamp carrying the ticket's lifetime, referenced as #timestamp, in exclusive canonical
 * form: its own namespace declaration before its attribute, no empty-element tags.
 */
export function buildTimestamp(created: string, expires: string): string {
  return (
    `<wsu:Timestamp xmlns:wsu="${WSU}" wsu:Id="timestamp">` +
    `<wsu:Created>${canonicalText(created)}</wsu:Created>` +
    `<wsu:Expires>${canonicalText(expires)}</wsu:Expires>` +
    '</wsu:Timestamp>'
  );
}

/** SignedInfo in exclusive canonical form (fixed algorithm URIs, a base64 digest: nothing to escape). */
function signedInfoFor(digestBase64: string): string {
  return (
    `<SignedInfo xmlns="${DS}">` +
    `<CanonicalizationMethod Algorithm="${ALG_EXC_C14N}"></CanonicalizationMethod>` +
    `<SignatureMethod Algorithm="${ALG_HMAC_SHA1}"></SignatureMethod>` +
    '<Reference URI="#timestamp">' +
    `<Transforms><Transform Algorithm="${ALG_EXC_C14N}"></Transform></Transforms>` +
    `<DigestMethod Algorithm="${ALG_SHA1}"></DigestMethod>` +
    `<DigestValue>${digestBase64}</DigestValue>` +
    '</Reference>' +
    '</SignedInfo>'
  );
}

/**
 * The wsse:Security header element for a web-ticket proof: Timestamp, Assertion (unchanged) and,
 * when a proof key is given (an "endorsing" policy), the HMAC-SHA1 signature over the Timestamp.
 * Without a key the ticket travels unsigned (a "signed supporting token" policy).
 */
export function buildProofSecurity(ticket: ProofTicket, proofKey?: Uint8Array): string {
  const timestamp = buildTimestamp(ticket.created, ticket.expires);
  let signature = '';
  if (proofKey) {
    // Both are written in canonical form: the bytes digested and signed are the bytes sent.
    const digest = createHash('sha1').update(timestamp, 'utf8').digest('base64');
    const signedInfo = signedInfoFor(digest);
    const value = createHmac('sha1', proofKey).update(signedInfo, 'utf8').digest('base64');
    signature =
      `<Signature xmlns="${DS}">` +
      signedInfo +
      `<SignatureValue>${value}</SignatureValue>` +
      '<KeyInfo>' +
      `<wsse:SecurityTokenReference xmlns:wsse="${WSSE}" wsse:TokenType="${TOKEN_TYPE_SAML11}">` +
      `<wsse:KeyIdentifier ValueType="${VALUE_TYPE_SAML_ASSERTION_ID}">${escapeText(ticket.assertionId)}</wsse:KeyIdentifier>` +
      '</wsse:SecurityTokenReference>' +
      '</KeyInfo>' +
      '</Signature>';
  }
  return `<wsse:Security xmlns:wsse="${WSSE}">${timestamp}${ticket.assertionXml}${signature}</wsse:Security>`;
}
