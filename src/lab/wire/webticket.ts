// The token service's side of WS-Trust IssueToken (protocol.md section 3), for the lab pool: reading
// a received RST, the SAML 1.1 assertion it issues and the RSTRC that carries it.

import { buildEnvelope, parseEnvelope } from '../../soap/envelope.js';
import {
  ACTION_RSTRC_ISSUE_FINAL,
  BINARY_SECRET_NONCE,
  COMPUTED_KEY_PSHA1,
  SAML11_ASSERTION,
  TOKEN_TYPE_SAML11,
  WST,
  WSU,
} from '../../soap/namespaces.js';
import { attr, base64Of, child, deep, descendant, escapeAttribute, escapeText, textOf } from '../../soap/xml.js';
import { computeProofKey } from '../../soap/psha1.js';

export interface IssueTokenRequestRead {
  context?: string;
  tokenType?: string;
  requestType?: string;
  appliesTo?: string;
  claimedSipUri?: string;
  clientEntropy?: Buffer;
  keyType?: string;
}

/** What a token service needs from a received RST; by local name, any namespace or prefix. */
export function readIssueTokenRequest(xml: string): { ok: true; request: IssueTokenRequestRead } | { ok: false; reason: string } {
  const message = parseEnvelope(xml);
  if (message.kind === 'invalid') return { ok: false, reason: message.reason };
  if (message.kind === 'fault') return { ok: false, reason: 'request is a SOAP fault' };
  const rst = descendant(message.body, 'RequestSecurityToken');
  if (!rst) return { ok: false, reason: 'Body has no RequestSecurityToken' };
  const request: IssueTokenRequestRead = {};
  const set = <K extends keyof IssueTokenRequestRead>(key: K, value: IssueTokenRequestRead[K] | undefined): void => {
    if (value !== undefined) request[key] = value;
  };
  set('context', attr(rst, 'Context'));
  set('tokenType', textOf(child(rst, 'TokenType')));
  set('requestType', textOf(child(rst, 'RequestType')));
  set('appliesTo', textOf(deep(child(rst, 'AppliesTo'), 'Address')));
  const claimValue = child(rst, 'Claims')?.children.find((c) => c.name === 'ClaimType');
  set('claimedSipUri', textOf(child(claimValue, 'Value')) ?? attr(claimValue, 'Value'));
  set('clientEntropy', base64Of(deep(child(rst, 'Entropy'), 'BinarySecret')));
  set('keyType', textOf(child(rst, 'KeyType')));
  return { ok: true, request };
}

export interface SamlAssertionOptions {
  assertionId: string;
  issuer: string;
  issueInstant: string;
  notBefore: string;
  notOnOrAfter: string;
  /** The user the ticket stands for, e.g. sip:jeff@example.com. */
  subject: string;
  /** The AppliesTo address. */
  audience: string;
}

/** An (unsigned) SAML 1.1 assertion of the shape the Web Ticket Service issues. */
export function buildSamlAssertion(o: SamlAssertionOptions): string {
  const e = escapeAttribute;
  return (
    `<saml:Assertion xmlns:saml="${SAML11_ASSERTION}" MajorVersion="1" MinorVersion="1" ` +
    `AssertionID="${e(o.assertionId)}" Issuer="${e(o.issuer)}" IssueInstant="${e(o.issueInstant)}">` +
    `<saml:Conditions NotBefore="${e(o.notBefore)}" NotOnOrAfter="${e(o.notOnOrAfter)}">` +
    `<saml:AudienceRestrictionCondition><saml:Audience>${escapeText(o.audience)}</saml:Audience></saml:AudienceRestrictionCondition>` +
    '</saml:Conditions>' +
    `<saml:AuthenticationStatement AuthenticationMethod="urn:oasis:names:tc:SAML:1.0:am:password" AuthenticationInstant="${e(o.issueInstant)}">` +
    `<saml:Subject><saml:NameIdentifier Format="urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified">${escapeText(o.subject)}</saml:NameIdentifier></saml:Subject>` +
    '</saml:AuthenticationStatement>' +
    '</saml:Assertion>'
  );
}

/**
 * How the token response carries the proof key (WS-Trust 1.3 §4.4.3):
 * - 'computed-key' (default, what a WCF token service answers to a request with client entropy):
 *   RequestedProofToken/ComputedKey CK/PSHA1 plus the server's Entropy/BinarySecret;
 * - 'proof-secret': RequestedProofToken/BinarySecret, which is the key itself;
 * - 'legacy-entropy': RequestedProofToken/BinarySecret holding server entropy, the key being
 *   P_SHA1(client entropy, it) (non-standard; what this project's lab served before issue 8);
 * - 'encrypted-key': RequestedProofToken/EncryptedKey (a key for a client key the phone never sent).
 */
export const TOKEN_LAYOUTS = ['computed-key', 'proof-secret', 'legacy-entropy', 'encrypted-key'] as const;
export type TokenLayout = (typeof TOKEN_LAYOUTS)[number];

export interface IssueTokenResponseOptions {
  context?: string;
  assertionXml: string;
  /** Server entropy ('computed-key', 'legacy-entropy') or the key itself ('proof-secret'). */
  proofMaterial: Uint8Array;
  created: string;
  expires: string;
  layout: TokenLayout;
}

const XENC = 'http://www.w3.org/2001/04/xmlenc#';

function proofTokenElements(layout: TokenLayout, material: Uint8Array): string {
  const secret = Buffer.from(material).toString('base64');
  switch (layout) {
    case 'computed-key':
      return (
        `<wst:RequestedProofToken><wst:ComputedKey>${COMPUTED_KEY_PSHA1}</wst:ComputedKey></wst:RequestedProofToken>` +
        `<wst:Entropy><wst:BinarySecret Type="${BINARY_SECRET_NONCE}">${secret}</wst:BinarySecret></wst:Entropy>`
      );
    case 'proof-secret':
    case 'legacy-entropy':
      return `<wst:RequestedProofToken><wst:BinarySecret Type="${BINARY_SECRET_NONCE}">${secret}</wst:BinarySecret></wst:RequestedProofToken>`;
    case 'encrypted-key':
      return (
        `<wst:RequestedProofToken><xenc:EncryptedKey xmlns:xenc="${XENC}">` +
        `<xenc:EncryptionMethod Algorithm="${XENC}rsa-oaep-mgf1p"/>` +
        `<xenc:CipherData><xenc:CipherValue>${secret}</xenc:CipherValue></xenc:CipherData>` +
        '</xenc:EncryptedKey></wst:RequestedProofToken>'
      );
  }
}

/** A RequestSecurityTokenResponseCollection (action RSTRC/IssueFinal) carrying one ticket. */
export function buildIssueTokenResponse(o: IssueTokenResponseOptions): string {
  const body =
    `<wst:RequestSecurityTokenResponseCollection xmlns:wst="${WST}">` +
    `<wst:RequestSecurityTokenResponse${o.context === undefined ? '' : ` Context="${escapeAttribute(o.context)}"`}>` +
    `<wst:TokenType>${TOKEN_TYPE_SAML11}</wst:TokenType>` +
    `<wst:RequestedSecurityToken>${o.assertionXml}</wst:RequestedSecurityToken>` +
    proofTokenElements(o.layout, o.proofMaterial) +
    `<wst:Lifetime><wsu:Created xmlns:wsu="${WSU}">${escapeText(o.created)}</wsu:Created>` +
    `<wsu:Expires xmlns:wsu="${WSU}">${escapeText(o.expires)}</wsu:Expires></wst:Lifetime>` +
    '<wst:KeySize>256</wst:KeySize>' +
    '</wst:RequestSecurityTokenResponse>' +
    '</wst:RequestSecurityTokenResponseCollection>';
  return buildEnvelope({ header: `<wsa:Action>${ACTION_RSTRC_ISSUE_FINAL}</wsa:Action>`, body });
}

/** The proof key the token service holds for a layout: the material itself, or P_SHA1(client, material). */
export function serverProofKey(layout: TokenLayout, clientEntropy: Uint8Array, material: Uint8Array): Buffer {
  return layout === 'proof-secret' || layout === 'encrypted-key' ? Buffer.from(material) : computeProofKey(clientEntropy, material);
}
