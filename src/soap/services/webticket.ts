// WS-Trust IssueToken against the Web Ticket Service (protocol.md section 3): the request a phone
// sends and the reading of the token response. The token service's side is src/lab/wire/webticket.ts.

import { randomBytes, randomUUID } from 'node:crypto';
import { addressingHeaders, buildEnvelope, parseEnvelope, soapActionHeader, type SoapFault, type SoapVersion } from '../envelope.js';
import {
  ACTION_RST_ISSUE,
  AUTH,
  AUTH_CLAIMS_DIALECT,
  CLAIM_TYPE_URI,
  KEY_TYPE_SYMMETRIC,
  REQUEST_TYPE_ISSUE_2005_02,
  TOKEN_TYPE_SAML11,
  WSA,
  WSP,
  WST,
} from '../namespaces.js';
import { computeProofKey } from '../psha1.js';
import { attr, base64Of, child, deep, descendant, descendants, escapeAttribute, escapeText, rawSlice, textOf, type XmlElement } from '../xml.js';
import { quoteText } from '../../text.js';

/** Bytes of client entropy, as real clients send (256 bits). */
export const CLIENT_ENTROPY_BYTES = 32;

export function newClientEntropy(): Buffer {
  return randomBytes(CLIENT_ENTROPY_BYTES);
}

export interface IssueTokenRequestOptions {
  /** The web-ticket port address the request is posted to. */
  to: string;
  /** The service the ticket is for: the CertProv WebTicketProof port address. */
  appliesTo: string;
  clientEntropy: Uint8Array;
  /** `sip:user@domain` claim; a PIN phone knows it only after ResolveUser. */
  sipUri?: string;
  /** Serialised header element carrying the credential (pin-credential's UsernameToken). */
  credentialHeader?: string;
  context?: string;
  messageId?: string;
  /** The PIN port binding's SOAP version (default 1.1). */
  soapVersion?: SoapVersion;
}

export interface SoapRequest {
  xml: string;
  action: string;
  /** Value for the HTTP SOAPAction header (quoted). */
  soapAction: string;
}

/** The RequestSecurityToken exactly as protocol.md section 3 lists it. */
export function buildIssueTokenRequest(options: IssueTokenRequestOptions): SoapRequest & { context: string } {
  const context = options.context ?? randomUUID();
  const claims =
    options.sipUri === undefined
      ? ''
      : `<wst:Claims Dialect="${AUTH_CLAIMS_DIALECT}">` +
        `<auth:ClaimType xmlns:auth="${AUTH}" Uri="${CLAIM_TYPE_URI}" Optional="false">` +
        `<auth:Value>${escapeText(options.sipUri)}</auth:Value>` +
        '</auth:ClaimType></wst:Claims>';
  const body =
    `<wst:RequestSecurityToken xmlns:wst="${WST}" Context="${escapeAttribute(context)}">` +
    `<wst:TokenType>${TOKEN_TYPE_SAML11}</wst:TokenType>` +
    `<wst:RequestType>${REQUEST_TYPE_ISSUE_2005_02}</wst:RequestType>` +
    `<wsp:AppliesTo xmlns:wsp="${WSP}"><wsa:EndpointReference xmlns:wsa="${WSA}">` +
    `<wsa:Address>${escapeText(options.appliesTo)}</wsa:Address>` +
    '</wsa:EndpointReference></wsp:AppliesTo>' +
    claims +
    `<wst:Entropy><wst:BinarySecret>${Buffer.from(options.clientEntropy).toString('base64')}</wst:BinarySecret></wst:Entropy>` +
    `<wst:KeyType>${KEY_TYPE_SYMMETRIC}</wst:KeyType>` +
    '</wst:RequestSecurityToken>';
  const header =
    addressingHeaders({ to: options.to, action: ACTION_RST_ISSUE, ...(options.messageId ? { messageId: options.messageId } : {}) }) +
    (options.credentialHeader ?? '');
  return { xml: buildEnvelope({ header, body, version: options.soapVersion }), action: ACTION_RST_ISSUE, soapAction: soapActionHeader(ACTION_RST_ISSUE), context };
}

// ---- reading the token response ----------------------------------------------------------------

/**
 * Where the response put the proof-key material (WS-Trust 1.3 §4.4.3):
 * - 'computed-key': RequestedProofToken/ComputedKey (CK/PSHA1) with the server's Entropy/BinarySecret;
 * - 'entropy': the response's own Entropy/BinarySecret without a ComputedKey element;
 * - 'proof-secret': RequestedProofToken/BinarySecret (the key itself, by the standard);
 * - 'elsewhere': a BinarySecret somewhere else outside the assertion (what pidgin-sipe takes).
 */
export type ProofMaterialSource = 'computed-key' | 'entropy' | 'proof-secret' | 'elsewhere';

/** How a key is made from the material: P_SHA1(client entropy, material), or the material itself. */
export type ProofKeyInterpretation = 'computed-key' | 'binary-secret';

export interface WebTicket {
  /** The SAML assertion exactly as received. */
  assertionXml: string;
  assertionId: string;
  /** Lifetime, verbatim. */
  created: string;
  expires: string;
  /** Server entropy or the proof secret, as `proofSource` says. */
  proofMaterial: Buffer;
  proofSource: ProofMaterialSource;
  /** ComputedKey algorithm URI when the server named one. */
  computedKeyAlgorithm?: string;
  tokenType?: string;
  context?: string;
}

export type TicketPart = 'assertion' | 'assertion-id' | 'lifetime' | 'proof-key';

export type IssueTokenResult =
  | { kind: 'ticket'; ticket: WebTicket }
  | { kind: 'fault'; fault: SoapFault }
  | { kind: 'incomplete'; missing: TicketPart[] }
  /** A proof key this client cannot use (EncryptedKey, a ComputedKey algorithm other than PSHA1). */
  | { kind: 'unsupported-proof'; reason: string }
  | { kind: 'invalid'; reason: string };

/** Read a RequestSecurityTokenResponse(Collection), matching everything by local name. */
export function parseIssueTokenResponse(xml: string): IssueTokenResult {
  const message = parseEnvelope(xml);
  if (message.kind === 'invalid') return { kind: 'invalid', reason: message.reason };
  if (message.kind === 'fault') return { kind: 'fault', fault: message.fault };
  const body = message.body;
  // Collection or a bare response; with several, the one holding an assertion is the one we asked for.
  const responses = descendants(body, 'RequestSecurityTokenResponse');
  const response = responses.find((r) => descendant(r, 'Assertion')) ?? responses[0] ?? body;

  const proof = readProofMaterial(response);
  if (proof.kind === 'unsupported') return { kind: 'unsupported-proof', reason: proof.reason };
  const missing: TicketPart[] = [];
  const assertion = descendant(child(response, 'RequestedSecurityToken') ?? response, 'Assertion');
  const assertionId = attr(assertion, 'AssertionID') ?? attr(assertion, 'ID');
  const lifetime = descendant(response, 'Lifetime');
  const created = textOf(descendant(lifetime, 'Created'));
  const expires = textOf(descendant(lifetime, 'Expires'));
  if (!assertion) missing.push('assertion');
  else if (!assertionId) missing.push('assertion-id');
  if (!created || !expires) missing.push('lifetime');
  if (proof.kind === 'missing') missing.push('proof-key');
  if (!assertion || !assertionId || !created || !expires || proof.kind === 'missing') return { kind: 'incomplete', missing };

  const ticket: WebTicket = {
    assertionXml: rawSlice(assertion),
    assertionId,
    created,
    expires,
    proofMaterial: proof.value,
    proofSource: proof.source,
  };
  if (proof.algorithm) ticket.computedKeyAlgorithm = proof.algorithm;
  const tokenType = textOf(child(response, 'TokenType'));
  if (tokenType) ticket.tokenType = tokenType;
  const context = attr(response, 'Context');
  if (context) ticket.context = context;
  return { kind: 'ticket', ticket };
}

type ProofMaterial =
  | { kind: 'found'; value: Buffer; source: ProofMaterialSource; algorithm?: string }
  | { kind: 'unsupported'; reason: string }
  | { kind: 'missing' };

/** The proof-key material by WS-Trust 1.3 §4.4.3, then the tolerated non-standard places. */
function readProofMaterial(response: XmlElement): ProofMaterial {
  const proofToken = child(response, 'RequestedProofToken');
  if (child(proofToken, 'EncryptedKey')) {
    return { kind: 'unsupported', reason: 'the proof key comes as RequestedProofToken/EncryptedKey (encrypted for a client key this client does not have)' };
  }
  const serverEntropy = base64Of(deep(child(response, 'Entropy'), 'BinarySecret'));
  const computedKey = textOf(child(proofToken, 'ComputedKey'));
  if (computedKey) {
    // Both trust namespaces (2005/12 and 2005/02) name P_SHA1 .../CK/PSHA1; the proof key would be
    // wrong under any other algorithm, so say so instead of signing with it.
    if (!/\/CK\/PSHA1$/i.test(computedKey)) {
      return { kind: 'unsupported', reason: `the token response asks for computed-key algorithm ${quoteText(computedKey)}; only CK/PSHA1 is supported` };
    }
    const entropy = serverEntropy ?? binarySecretOutsideAssertion(response);
    if (!entropy) return { kind: 'missing' };
    return { kind: 'found', value: entropy, source: serverEntropy ? 'computed-key' : 'elsewhere', algorithm: computedKey };
  }
  const secret = base64Of(child(proofToken, 'BinarySecret'));
  if (secret) return { kind: 'found', value: secret, source: 'proof-secret' };
  if (serverEntropy) return { kind: 'found', value: serverEntropy, source: 'entropy' };
  const elsewhere = binarySecretOutsideAssertion(response);
  return elsewhere ? { kind: 'found', value: elsewhere, source: 'elsewhere' } : { kind: 'missing' };
}

/** The first BinarySecret anywhere outside the assertion, breadth first. */
function binarySecretOutsideAssertion(response: XmlElement): Buffer | undefined {
  const stack = [...response.children];
  while (stack.length > 0) {
    const next = stack.shift() as XmlElement;
    if (next.name === 'Assertion') continue;
    if (next.name === 'BinarySecret') {
      const value = base64Of(next);
      if (value) return value;
    }
    stack.push(...next.children);
  }
  return undefined;
}

export interface ProofKeyCandidate {
  key: Buffer;
  interpretation: ProofKeyInterpretation;
}

/** One line per interpretation, for --verbose and the report. */
export const PROOF_KEY_INTERPRETATIONS: Readonly<Record<ProofKeyInterpretation, string>> = {
  'computed-key': 'P_SHA1(client entropy, server value) (WS-Trust CK/PSHA1)',
  'binary-secret': 'the server\'s BinarySecret used as the key itself',
};

/**
 * The proof keys a ticket allows, most likely first. Only where the layout is explicit (ComputedKey
 * named) is there one; where it is not, the other reading comes second: RequestedProofToken/BinarySecret
 * is the key by the standard but was read as server entropy by earlier clients, and a bare
 * Entropy/BinarySecret is entropy by the standard.
 */
export function ticketProofKeys(ticket: Pick<WebTicket, 'proofMaterial' | 'proofSource'>, clientEntropy: Uint8Array): ProofKeyCandidate[] {
  const computed: ProofKeyCandidate = { key: computeProofKey(clientEntropy, ticket.proofMaterial), interpretation: 'computed-key' };
  const secret: ProofKeyCandidate = { key: Buffer.from(ticket.proofMaterial), interpretation: 'binary-secret' };
  switch (ticket.proofSource) {
    case 'computed-key':
      return [computed];
    case 'proof-secret':
      return [secret, computed];
    case 'entropy':
    case 'elsewhere':
      return [computed, secret];
  }
}
