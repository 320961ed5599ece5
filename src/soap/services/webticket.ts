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

/** Where the server entropy was found. */
export type EntropySource = 'entropy' | 'requested-proof-token' | 'elsewhere';

export interface WebTicket {
  /** The SAML assertion exactly as received. */
  assertionXml: string;
  assertionId: string;
  /** Lifetime, verbatim. */
  created: string;
  expires: string;
  serverEntropy: Buffer;
  entropySource: EntropySource;
  /** ComputedKey algorithm URI when the server named one. */
  computedKeyAlgorithm?: string;
  tokenType?: string;
  context?: string;
}

export type TicketPart = 'assertion' | 'assertion-id' | 'lifetime' | 'server-entropy';

export type IssueTokenResult =
  | { kind: 'ticket'; ticket: WebTicket }
  | { kind: 'fault'; fault: SoapFault }
  | { kind: 'incomplete'; missing: TicketPart[] }
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

  const missing: TicketPart[] = [];
  const assertion = descendant(child(response, 'RequestedSecurityToken') ?? response, 'Assertion');
  const assertionId = attr(assertion, 'AssertionID') ?? attr(assertion, 'ID');
  const lifetime = descendant(response, 'Lifetime');
  const created = textOf(descendant(lifetime, 'Created'));
  const expires = textOf(descendant(lifetime, 'Expires'));
  const entropy = findServerEntropy(response);
  if (!assertion) missing.push('assertion');
  else if (!assertionId) missing.push('assertion-id');
  if (!created || !expires) missing.push('lifetime');
  if (!entropy) missing.push('server-entropy');
  if (!assertion || !assertionId || !created || !expires || !entropy) return { kind: 'incomplete', missing };

  const ticket: WebTicket = {
    assertionXml: rawSlice(assertion),
    assertionId,
    created,
    expires,
    serverEntropy: entropy.value,
    entropySource: entropy.source,
  };
  const computedKey = textOf(deep(response, 'RequestedProofToken', 'ComputedKey'));
  if (computedKey) {
    // Both trust namespaces (2005/12 and 2005/02) name P_SHA1 .../CK/PSHA1; the proof key would be
    // wrong under any other algorithm, so say so instead of signing with it.
    if (!/\/CK\/PSHA1$/i.test(computedKey)) {
      return { kind: 'invalid', reason: `the token response asks for computed-key algorithm ${quoteText(computedKey)}; only CK/PSHA1 is supported` };
    }
    ticket.computedKeyAlgorithm = computedKey;
  }
  const tokenType = textOf(child(response, 'TokenType'));
  if (tokenType) ticket.tokenType = tokenType;
  const context = attr(response, 'Context');
  if (context) ticket.context = context;
  return { kind: 'ticket', ticket };
}

/**
 * Server entropy: the RSTR's own Entropy/BinarySecret (WS-Trust combined entropy), else
 * RequestedProofToken/BinarySecret (protocol.md section 3), else the first BinarySecret anywhere
 * outside the assertion (what pidgin-sipe takes).
 */
function findServerEntropy(response: XmlElement): { value: Buffer; source: EntropySource } | undefined {
  const fromEntropy = base64Of(deep(child(response, 'Entropy'), 'BinarySecret'));
  if (fromEntropy) return { value: fromEntropy, source: 'entropy' };
  const fromProof = base64Of(deep(response, 'RequestedProofToken', 'BinarySecret'));
  if (fromProof) return { value: fromProof, source: 'requested-proof-token' };
  const stack = [...response.children];
  while (stack.length > 0) {
    const next = stack.shift() as XmlElement;
    if (next.name === 'Assertion') continue;
    if (next.name === 'BinarySecret') {
      const value = base64Of(next);
      if (value) return { value, source: 'elsewhere' };
    }
    stack.push(...next.children);
  }
  return undefined;
}

/** The proof key of a ticket: CK/PSHA1 over the client's and the server's entropy. */
export function ticketProofKey(ticket: Pick<WebTicket, 'serverEntropy'>, clientEntropy: Uint8Array): Buffer {
  return computeProofKey(clientEntropy, ticket.serverEntropy);
}
